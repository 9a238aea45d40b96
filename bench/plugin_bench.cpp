// Launches on a plugin backend through dotcompute, against the same plugin's C
// table driven by hand in the same process: what the runtime adds per launch
// (argument checks, device choice, the execution state, the plugin device's
// bookkeeping) on top of the plugin itself. The plugins: the example offload
// plugin (an in-order queue on a thread of its own), and inline_plugin.cpp
// (kernels run inside launch(): the runtime's own cost on one thread).
#include <benchmark/benchmark.h>
#include <dlfcn.h>

#include <dotcompute/plugin_abi.h>
#include <atomic>
#include <dotcompute/dotcompute.hpp>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "paired.hpp"

namespace dotcompute::bench {
namespace {

// The plugin's C table used directly: the "empty" sample's native code, one
// launch per call, completions counted.
class RawPlugin {
 public:
  explicit RawPlugin(const char* path) : library_(dlopen(path, RTLD_NOW | RTLD_LOCAL)) {
    if (library_ == nullptr) throw std::runtime_error(std::string("dlopen: ") + dlerror());
    auto* entry = reinterpret_cast<dc_plugin_entry_fn>(dlsym(library_, DC_PLUGIN_ENTRY_SYMBOL));
    if (entry == nullptr) throw std::runtime_error("no plugin entry point");
    table_ = entry();
    const dc_host_t host{sizeof(dc_host_t), DC_PLUGIN_ABI_VERSION, "bench", path, ""};
    dc_message_t message{};
    check(table_->init(&host, &state_, &message), message);
    backend_ = &table_->backends[0];
    std::uint32_t devices = 0;
    check(backend_->device_count(state_, &devices, &message), message);
    empty_ = KernelRegistry::global().get("empty");
    kernel_.struct_size = sizeof kernel_;
    kernel_.name = "empty";
    kernel_.dimensions = 1;
    kernel_.host_code = empty_.get();
    kernel_.run_host_chunk = &run_chunk;
    check(backend_->prepare_kernel(state_, 0, &kernel_, &program_, &message), message);
  }
  ~RawPlugin() {
    synchronize();
    backend_->release_kernel(state_, 0, program_);
    table_->shutdown(state_);
    dlclose(library_);
  }
  RawPlugin(const RawPlugin&) = delete;
  RawPlugin& operator=(const RawPlugin&) = delete;

  void launch() {
    dc_launch_t launch{};
    launch.struct_size = sizeof launch;
    launch.program = program_;
    for (int d = 0; d < 3; ++d) launch.geometry.global[d] = launch.geometry.local[d] = 1;
    launch.completion_context = &completed_;
    launch.complete = [](void* context, dc_status_t, const char*) {
      static_cast<std::atomic<long>*>(context)->fetch_add(1, std::memory_order_release);
    };
    launch.cancel_requested = [](void*) -> std::int32_t { return 0; };
    dc_message_t message{};
    check(backend_->launch(state_, 0, &launch, &message), message);
    ++launched_;
  }
  // Waits for every launch's completion, as a caller holding no handles would.
  void wait_all() const {
    while (completed_.load(std::memory_order_acquire) < launched_) std::this_thread::yield();
  }
  void synchronize() {
    dc_message_t message{};
    check(backend_->synchronize(state_, 0, &message), message);
  }

 private:
  static void run_chunk(const void* host_code, const void* const* values, const dc_work_geometry_t* geometry,
                        std::uint64_t begin, std::uint64_t end) {
    cpu::LaunchArgs args{};
    args.values = values;
    for (int d = 0; d < 3; ++d) {
      args.geometry.global[d] = geometry->global[d];
      args.geometry.local[d] = geometry->local[d];
    }
    static_cast<const KernelDefinition*>(host_code)->cpu_entry(args, cpu::WorkChunk{begin, end});
  }
  static void check(dc_status_t status, dc_message_t& message) {
    message.text[DC_MESSAGE_CAPACITY - 1] = '\0';
    if (status != DC_STATUS_OK) throw std::runtime_error(std::string("offload plugin: ") + message.text);
  }

  void* library_;
  const dc_plugin_t* table_ = nullptr;
  void* state_ = nullptr;
  const dc_backend_t* backend_ = nullptr;
  std::shared_ptr<const KernelDefinition> empty_;
  dc_kernel_t kernel_{};
  void* program_ = nullptr;
  std::atomic<long> completed_{0};
  long launched_ = 0;
};

// Both sides are loaded and warmed before timing; the runtime loads its own
// copy of the plugin at `path`, whose backend is `backend`.
struct Setup {
  explicit Setup(const char* path = OFFLOAD_PLUGIN, const std::string& backend = "offload")
      : runtime(Runtime::create([&](RuntimeOptions& options) {
          options.plugin_paths = {std::filesystem::path(path).parent_path().string()};
          options.backends = {"cpu", backend};
        })),
        raw(path),
        on{.device = backend + ":0", .local_size = {}} {
    require_sample_kernels();
    runtime.orchestrator().execute(on, "empty", Range(1)).wait();
    raw.launch();
    raw.wait_all();
  }
  Runtime runtime;
  RawPlugin raw;
  ExecutionOptions on;
};

void BM_PluginPipelinedEmptyLaunches(benchmark::State& state) {
  Setup s;
  measure_pipelined_launches(
      state, 2000, [&] { return s.runtime.orchestrator().execute(s.on, "empty", Range(1)); }, [&] { s.raw.launch(); },
      [&] { s.raw.wait_all(); });
}
BENCHMARK(BM_PluginPipelinedEmptyLaunches)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

void BM_PluginSyncLaunchWait(benchmark::State& state) {
  Setup s;
  measure_sync_launches(
      state, 200, [&] { return s.runtime.orchestrator().execute(s.on, "empty", Range(1)); }, [&] { s.raw.launch(); },
      [&] { s.raw.wait_all(); });
}
BENCHMARK(BM_PluginSyncLaunchWait)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

// The runtime alone: a plugin that runs each kernel inside launch() and
// completes it there, so both sides are one thread doing all the work of a
// launch, the runtime's submission and completion against the plugin's C
// launch called by hand.
void BM_PluginInlineLaunches(benchmark::State& state) {
  Setup s(INLINE_PLUGIN, "inline");
  measure_pipelined_launches(
      state, 2000, [&] { return s.runtime.orchestrator().execute(s.on, "empty", Range(1)); }, [&] { s.raw.launch(); },
      [&] { s.raw.wait_all(); });
}
BENCHMARK(BM_PluginInlineLaunches)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

}  // namespace
}  // namespace dotcompute::bench
