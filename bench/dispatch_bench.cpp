// Launch overhead on the CPU backend: an empty kernel's execute + wait round
// trip, and pipelined tiny executions from one submitting thread.
#include <benchmark/benchmark.h>

#include <dotcompute/dotcompute.hpp>

#include "paired.hpp"
#include "raw_spin_team.hpp"

namespace dotcompute::bench {
namespace {

// Round trips of empty executions over `items` work items vs empty fork/joins
// of a raw spinning thread team, `batch` at a time.
void empty_round_trips(benchmark::State& state, long items, int batch) {
  require_sample_kernels();
  Runtime runtime = Runtime::create();
  ComputeOrchestrator& orchestrator = runtime.orchestrator();
  RawSpinTeam team(runtime.devices()[0]->info().compute_units);
  const std::function<void(unsigned, unsigned)> nothing = [](unsigned, unsigned) {};
  PairedSamples samples;
  for (auto _ : state) {
    const double dc = seconds_taken([&] {
      for (int i = 0; i < batch; ++i) orchestrator.execute("empty", Range(items)).wait();
    });
    const double raw = seconds_taken([&] {
      for (int i = 0; i < batch; ++i) team.run(nothing);
    });
    samples.add(dc, raw);
  }
  samples.report_latency(state, batch);
}

// Range 1: runs inline on the submitting thread.
void BM_EmptyKernelRoundTrip(benchmark::State& state) { empty_round_trips(state, 1, 1000); }
BENCHMARK(BM_EmptyKernelRoundTrip)->Unit(benchmark::kMicrosecond)->MinTime(1.0)->UseRealTime();

// 64K items: split across the pool's threads.
void BM_EmptyKernelParallelRoundTrip(benchmark::State& state) { empty_round_trips(state, 1 << 16, 200); }
BENCHMARK(BM_EmptyKernelParallelRoundTrip)->Unit(benchmark::kMicrosecond)->MinTime(1.0)->UseRealTime();

// Executions per second from one thread that submits without waiting on each.
void BM_TinyExecutionsPipelined(benchmark::State& state) {
  require_sample_kernels();
  Runtime runtime = Runtime::create();
  ComputeOrchestrator& orchestrator = runtime.orchestrator();
  constexpr int kBatch = 1000;
  for (auto _ : state) {
    Execution last;
    for (int i = 0; i < kBatch; ++i) last = orchestrator.execute("empty", Range(64));
    last.wait();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_TinyExecutionsPipelined)->Unit(benchmark::kMicrosecond)->MinTime(1.0)->UseRealTime();

}  // namespace
}  // namespace dotcompute::bench
