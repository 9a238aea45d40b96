// vector_add of 16M floats through the orchestrator on the CPU backend vs a
// hand-written loop split over the same number of threads.
#include <benchmark/benchmark.h>

#include <dotcompute/dotcompute.hpp>
#include <thread>

#include "paired.hpp"
#include "raw_vector_add.hpp"

namespace dotcompute::bench {
namespace {

void BM_VectorAdd16M(benchmark::State& state) {
  constexpr int n = 1 << 24;
  require_sample_kernels();
  Runtime runtime = Runtime::create();
  const unsigned threads = runtime.devices()[0]->info().compute_units;
  RawSpinTeam team(threads);
  Buffer<float> a(n), b(n), c(n);
  a.fill(1.0f);
  b.fill(2.0f);
  // The raw loop works on plain heap memory, as a hand-written program would.
  std::vector<float> raw_a(n, 1.0f), raw_b(n, 2.0f), raw_c(n);
  PairedSamples samples;
  for (auto _ : state) {
    const double dc = seconds_taken([&] {
      runtime.orchestrator().execute("vector_add", Range(n), n, std::as_const(a), std::as_const(b), c).wait();
    });
    const double raw = seconds_taken([&] { raw_vector_add(team, n, raw_a.data(), raw_b.data(), raw_c.data()); });
    samples.add(dc, raw);
  }
  benchmark::DoNotOptimize(c.host_read()[n - 1] + raw_c[n - 1]);
  samples.report_rate(state, "GBps", 3.0 * n * sizeof(float) / 1e9);  // STREAM counting: 3 x 64 MiB
  state.counters["threads"] = threads;
}
BENCHMARK(BM_VectorAdd16M)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

}  // namespace
}  // namespace dotcompute::bench
