// Execute through the runtime composed by the service container vs an
// orchestrator wired by hand from the same parts: resolution happens once, so
// the two must cost the same.
#include <benchmark/benchmark.h>

#include <dotcompute/backend/cpu_backend.hpp>
#include <dotcompute/dotcompute.hpp>

#include "paired.hpp"
#include "standard_orchestrator.hpp"
#include "standard_services.hpp"

namespace dotcompute::bench {
namespace {

void BM_ExecuteComposedVsHandWired(benchmark::State& state) {
  require_sample_kernels();
  Runtime composed = Runtime::create();
  runtime::StandardOrchestrator hand_wired(
      KernelRegistry::global(), composed.services().get_required<AcceleratorFactory>(),
      std::make_shared<FixedPrioritySelector>(), std::make_shared<runtime::StandardKernelExecutionService>(), {}, "");
  ComputeOrchestrator& through_services = composed.orchestrator();
  constexpr int kBatch = 1000;
  PairedSamples samples;
  for (auto _ : state) {
    const double dc = seconds_taken([&] {
      for (int i = 0; i < kBatch; ++i) through_services.execute("empty", Range(1)).wait();
    });
    const double raw = seconds_taken([&] {
      for (int i = 0; i < kBatch; ++i) hand_wired.execute("empty", Range(1)).wait();
    });
    samples.add(dc, raw);
  }
  samples.report_latency(state, kBatch);
}
BENCHMARK(BM_ExecuteComposedVsHandWired)->Unit(benchmark::kMicrosecond)->MinTime(1.0)->UseRealTime();

}  // namespace
}  // namespace dotcompute::bench
