// Launches on a plugin backend through dotcompute, against the same plugin's C
// table driven by hand in the same process: what the runtime adds per launch
// (argument checks, device choice, the execution state, the plugin device's
// bookkeeping) on top of the plugin itself. The plugins: the example offload
// plugin (an in-order queue on a thread of its own), and inline_plugin.cpp
// (kernels run inside launch(): the runtime's own cost on one thread).
#include <benchmark/benchmark.h>

#include <array>
#include <cstring>
#include <dotcompute/dotcompute.hpp>
#include <filesystem>
#include <memory>

#include "direct_plugin.hpp"
#include "paired.hpp"
#include "plugins/plugin_kernel.hpp"

namespace dotcompute::bench {
namespace {

// Both sides are loaded and warmed before timing; the runtime loads its own
// copy of the plugin at `path`, whose backend is `backend`.
struct Setup {
  explicit Setup(const char* path = OFFLOAD_PLUGIN, const std::string& backend = "offload")
      : runtime(Runtime::create([&](RuntimeOptions& options) {
          options.plugin_paths = {std::filesystem::path(path).parent_path().string()};
          options.backends = {"cpu", backend};
        })),
        empty(*KernelRegistry::global().get("empty")),
        raw(path, "", backend),
        raw_empty(raw.prepare(empty.descriptor())),
        on{.device = backend + ":0", .local_size = {}} {
    require_sample_kernels();
    runtime.orchestrator().execute(on, "empty", Range(1)).wait();
    raw.launch(raw_empty);
    raw.wait_all();
  }
  void raw_launch() { raw.launch(raw_empty); }
  Runtime runtime;
  runtime::PluginKernel empty;  // the "empty" sample, as the plugin's C table takes it
  DirectPlugin raw;
  void* raw_empty;
  ExecutionOptions on;
};

void BM_PluginPipelinedEmptyLaunches(benchmark::State& state) {
  Setup s;
  measure_pipelined_launches(
      state, 2000, [&] { return s.runtime.orchestrator().execute(s.on, "empty", Range(1)); }, [&] { s.raw_launch(); },
      [&] { s.raw.wait_all(); });
}
BENCHMARK(BM_PluginPipelinedEmptyLaunches)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

void BM_PluginSyncLaunchWait(benchmark::State& state) {
  Setup s;
  measure_sync_launches(
      state, 200, [&] { return s.runtime.orchestrator().execute(s.on, "empty", Range(1)); }, [&] { s.raw_launch(); },
      [&] { s.raw.wait_all(); });
}
BENCHMARK(BM_PluginSyncLaunchWait)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

void BM_PluginContinuedLaunchWait(benchmark::State& state) {
  Setup s;
  measure_continued_launches(state, 200, [&] { return s.runtime.orchestrator().execute(s.on, "empty", Range(1)); });
}
BENCHMARK(BM_PluginContinuedLaunchWait)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

// The runtime alone: a plugin that runs each kernel inside launch() and
// completes it there, so both sides are one thread doing all the work of a
// launch, the runtime's submission and completion against the plugin's C
// launch called by hand.
void BM_PluginInlineLaunches(benchmark::State& state) {
  Setup s(INLINE_PLUGIN, "inline");
  measure_pipelined_launches(
      state, 2000, [&] { return s.runtime.orchestrator().execute(s.on, "empty", Range(1)); }, [&] { s.raw_launch(); },
      [&] { s.raw.wait_all(); });
}
BENCHMARK(BM_PluginInlineLaunches)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

// The same with arguments: saxpy(n, a, x, y), two scalars and two buffers
// of 16 floats, so that a launch also checks and binds its arguments and
// records the buffers' accesses; the raw side passes the same four to the C
// launch by hand.
void BM_PluginInlineLaunchesWithArguments(benchmark::State& state) {
  Setup s(INLINE_PLUGIN, "inline");
  constexpr int n = 16;
  Buffer<float> x(std::vector<float>(n, 1.0f)), y(std::vector<float>(n, 1.0f));
  const runtime::PluginKernel saxpy(*KernelRegistry::global().get("saxpy"));
  void* raw_saxpy = s.raw.prepare(saxpy.descriptor());
  std::vector<float> raw_x(n, 1.0f), raw_y(n, 1.0f);
  std::array<dc_launch_argument_t, 4> arguments{};
  const float a = 1.0f;
  arguments[0].kind = arguments[1].kind = DC_PARAMETER_SCALAR;
  std::memcpy(arguments[0].scalar, &n, sizeof n);
  std::memcpy(arguments[1].scalar, &a, sizeof a);
  arguments[2].kind = arguments[3].kind = DC_PARAMETER_BUFFER;
  arguments[2].memory = raw_x.data();
  arguments[3].memory = raw_y.data();
  arguments[2].elements = arguments[3].elements = n;
  dc_work_geometry_t geometry{};
  geometry.global[0] = n;
  geometry.global[1] = geometry.global[2] = 1;
  geometry.local[0] = geometry.local[1] = geometry.local[2] = 1;
  measure_pipelined_launches(
      state, 2000, [&] { return s.runtime.orchestrator().execute(s.on, "saxpy", Range(n), n, a, std::as_const(x), y); },
      [&] { s.raw.launch(raw_saxpy, geometry, arguments); }, [&] { s.raw.wait_all(); });
}
BENCHMARK(BM_PluginInlineLaunchesWithArguments)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

}  // namespace
}  // namespace dotcompute::bench
