// `dotcompute devices` from process start to exit (CPU-only path) vs a trivial
// program, both started with posix_spawn and reaped with waitpid, interleaved.
#include <benchmark/benchmark.h>

#include "paired.hpp"
#include "spawn.hpp"

namespace dotcompute::bench {
namespace {

void BM_CliDevicesStartup(benchmark::State& state) {
  // The CPU-only path: other backends excluded (OpenCL enumeration alone costs ~28 ms).
  ::setenv("DOTCOMPUTE_BACKENDS", "cpu", 1);
  const std::vector<std::string> devices = {DOTCOMPUTE_CLI, "devices"};
  const std::vector<std::string> trivial = {TRIVIAL_PROGRAM};
  PairedSamples samples;
  for (auto _ : state) {
    const double dc = seconds_taken([&] { spawn_and_wait(devices); });
    const double raw = seconds_taken([&] { spawn_and_wait(trivial); });
    samples.add(dc, raw);
  }
  ::unsetenv("DOTCOMPUTE_BACKENDS");
  samples.report_latency(state, 1);
}
BENCHMARK(BM_CliDevicesStartup)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

}  // namespace
}  // namespace dotcompute::bench
