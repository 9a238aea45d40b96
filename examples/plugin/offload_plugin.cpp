// A dotcompute backend plugin: one "offload" device with memory of its own,
// which runs kernels in submission order on a thread of its own through the
// kernels' native host code. It stands for a device behind a bus: the runtime
// uploads and downloads buffers exactly as it does for a GPU, and the whole
// conformance suite runs on it. docs/plugins.md walks through this file.
//
// Build (out of tree, against an installed dotcompute):
//   cmake -S examples -B build-examples -DCMAKE_PREFIX_PATH=/path/to/install && cmake --build build-examples
// Use:
//   DOTCOMPUTE_PLUGIN_PATH=$PWD/build-examples/plugins dotcompute devices
#include <condition_variable>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include <dotcompute/plugin.hpp>

#ifndef OFFLOAD_PLUGIN_VERSION
#define OFFLOAD_PLUGIN_VERSION "1.0.0"
#endif
// 1: copies writable host spans back itself, so that launches with one return
// at once (DC_BACKEND_WRITES_BACK); 0: leaves that to the runtime, which then
// waits in launch() (the test suite builds one version so).
#ifndef OFFLOAD_PLUGIN_WRITES_BACK
#define OFFLOAD_PLUGIN_WRITES_BACK 1
#endif

namespace {

using dotcompute::plugin::Error;

// A kernel prepared for the device: what a launch needs besides its arguments.
struct Program {
  const dc_kernel_t* kernel;
};

// One queued launch, with copies of everything dc_launch_t only lends.
struct Launch {
  Program* program;
  dc_work_geometry_t geometry;
  std::vector<dc_launch_argument_t> arguments;
  std::vector<dc_write_back_t> write_backs;  // device memory -> host, after the kernel
  void* context;
  void (*complete)(void*, dc_status_t, const char*);
  std::int32_t (*cancel_requested)(void*);
};

class OffloadBackend {
 public:
  static constexpr const char* name = "offload";
  static constexpr std::uint32_t features = OFFLOAD_PLUGIN_WRITES_BACK ? DC_BACKEND_WRITES_BACK : 0;

  OffloadBackend() : worker_([this] { run(); }) {}
  ~OffloadBackend() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    worker_.join();
  }

  std::uint32_t device_count() { return 1; }

  dc_device_info_t device_info(std::uint32_t) {
    dc_device_info_t info{};
    info.struct_size = sizeof info;
    info.name = "offload device (example plugin)";
    info.vendor = "dotcompute examples";
    info.driver_version = OFFLOAD_PLUGIN_VERSION;
    info.type = DC_DEVICE_ACCELERATOR;
    info.compute_units = 1;
    info.global_memory_bytes = std::uint64_t{1} << 30;
    info.max_work_group_size = 1024;
    info.shares_host_memory = 0;
    return info;
  }

  void* prepare_kernel(std::uint32_t, const dc_kernel_t& kernel) {
    if (kernel.run_host_chunk == nullptr) {
      throw Error(DC_STATUS_UNSUPPORTED, "it has no native host code (the offload device runs no JIT-compiled source)");
    }
    return new Program{&kernel};
  }
  void release_kernel(std::uint32_t, void* program) noexcept { delete static_cast<Program*>(program); }

  void* allocate(std::uint32_t, std::uint64_t bytes) {
    void* memory = std::aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
    if (memory == nullptr) throw Error(DC_STATUS_OUT_OF_MEMORY, "offload device memory exhausted");
    return memory;
  }
  void release(std::uint32_t, void* memory) noexcept { std::free(memory); }

  // Transfers join the queue so that they see (and are seen by) the kernels before them.
  void upload(std::uint32_t, void* memory, const void* host, std::uint64_t bytes) {
    run_in_order([=] { std::memcpy(memory, host, bytes); }, true);
  }
  void download(std::uint32_t, void* memory, void* host, std::uint64_t bytes) {
    run_in_order([=] { std::memcpy(host, memory, bytes); }, true);
  }

  void launch(std::uint32_t, const dc_launch_t& raw) {
    Launch launch{static_cast<Program*>(raw.program),
                  raw.geometry,
                  std::vector<dc_launch_argument_t>(raw.arguments, raw.arguments + raw.argument_count),
                  {},
                  raw.completion_context,
                  raw.complete,
                  raw.cancel_requested};
    // A runtime built against an older header sends a shorter dc_launch_t (and copies spans back itself).
    if (raw.struct_size >= offsetof(dc_launch_t, write_backs) + sizeof raw.write_backs) {
      launch.write_backs.assign(raw.write_backs, raw.write_backs + raw.write_back_count);
    }
    run_in_order([launch = std::move(launch)] { execute(launch); }, false);
  }

  void synchronize(std::uint32_t) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return in_flight_ == 0; });
  }

 private:
  static void execute(const Launch& launch) {
    if (launch.cancel_requested(launch.context) != 0) {
      launch.complete(launch.context, DC_STATUS_CANCELLED, nullptr);
      return;
    }
    // values[i] points at a scalar's bytes, or at a buffer's memory pointer.
    std::vector<const void*> values;
    for (const auto& argument : launch.arguments) {
      values.push_back(argument.kind == DC_PARAMETER_BUFFER ? static_cast<const void*>(&argument.memory)
                                                            : static_cast<const void*>(argument.scalar));
    }
    const dc_kernel_t& kernel = *launch.program->kernel;
    const std::uint64_t items = launch.geometry.global[0] * launch.geometry.global[1] * launch.geometry.global[2];
    kernel.run_host_chunk(kernel.host_code, values.data(), &launch.geometry, 0, items);
    for (const dc_write_back_t& copy : launch.write_backs) std::memcpy(copy.host, copy.memory, copy.bytes);
    launch.complete(launch.context, DC_STATUS_OK, nullptr);
  }

  void run_in_order(std::function<void()> task, bool wait) {
    std::unique_lock lock(mutex_);
    const std::uint64_t ticket = ++submitted_;
    tasks_.push_back(std::move(task));
    ++in_flight_;
    changed_.notify_all();
    if (wait) changed_.wait(lock, [&] { return finished_ >= ticket; });
  }

  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      changed_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      auto task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
      lock.lock();
      ++finished_;
      --in_flight_;
      changed_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::function<void()>> tasks_;
  std::uint64_t submitted_ = 0;
  std::uint64_t finished_ = 0;
  std::size_t in_flight_ = 0;
  bool stopping_ = false;
  std::thread worker_;  // last: starts once the queue exists
};

struct OffloadPlugin {
  static constexpr const char* name = "offload";
  static constexpr const char* version = OFFLOAD_PLUGIN_VERSION;
  static constexpr const char* description = "an in-order device with memory of its own (dotcompute example)";

  explicit OffloadPlugin(const dc_host_t&) {}
  OffloadBackend& backend() { return backend_; }

 private:
  OffloadBackend backend_;
};

static_assert(dotcompute::plugin::OwnMemoryBackend<OffloadBackend>);

}  // namespace

DOTCOMPUTE_PLUGIN(OffloadPlugin)
