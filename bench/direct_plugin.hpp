// A backend plugin driven through its C table alone, the way the runtime
// drives it but without the runtime: the raw side of the plugin benchmarks
// (dotcompute_plugin_bench, dotcompute_opencl_one_side plugin, `dotcompute
// bench`). Launches on one device, counted as they complete; waits that tell
// the plugin of themselves (dc_backend_t::waiting, where it has one) and,
// like Execution::wait, spin briefly before blocking.
//
// The plugin is loaded, checked and initialised as the runtime does it
// (load_plugin_file: any table layout of the ABI version, its own state).
//
// Not thread-safe: one thread launches and waits. Completions may arrive on
// any thread. Errors throw std::runtime_error with the plugin's message.
#pragma once

#include <dotcompute/plugin_abi.h>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "plugins/plugin_module.hpp"

namespace dotcompute::bench {

class DirectPlugin {
 public:
  /// Loads and initialises the plugin in `file` (compiled programs kept in
  /// `cache_directory`, "" for none), to drive device `device` of its
  /// backend named `backend` ("": its first).
  DirectPlugin(const std::string& file, const std::string& cache_directory, const std::string& backend = "",
               std::uint32_t device = 0)
      : device_(device) {
    runtime::PluginLoad load = runtime::load_plugin_file(file, {.allowlist = {}, .cache_directory = cache_directory});
    if (load.module == nullptr) throw std::runtime_error(file + ": " + load.reason);
    module_ = std::move(load.module);
    try {
      start(file, backend);
    } catch (...) {
      release();
      throw;
    }
  }
  ~DirectPlugin() { release(); }
  DirectPlugin(const DirectPlugin&) = delete;
  DirectPlugin& operator=(const DirectPlugin&) = delete;

  /// The device's program for `kernel`, released with this object. What
  /// `kernel` points to (name, source, host code) must outlive this object.
  [[nodiscard]] void* prepare(const dc_kernel_t& kernel) {
    void* program = nullptr;
    dc_message_t message{};
    check(backend_->prepare_kernel(state_, device_, &kernel, &program, &message), message);
    programs_.push_back(program);
    return program;
  }

  /// Whether buffer arguments are host pointers: the backend has no device memory of its own.
  [[nodiscard]] bool shares_host_memory() const noexcept { return backend_->allocate == nullptr; }
  /// Device memory (not where the device shares host memory), released with this object.
  [[nodiscard]] void* allocate(std::uint64_t bytes) {
    void* memory = nullptr;
    dc_message_t message{};
    check(backend_->allocate(state_, device_, bytes, &memory, &message), message);
    memory_.push_back(memory);
    return memory;
  }
  void upload(void* memory, const void* host, std::uint64_t bytes) {
    dc_message_t message{};
    check(backend_->upload(state_, device_, memory, host, bytes, &message), message);
  }
  void download(void* memory, void* host, std::uint64_t bytes) {
    dc_message_t message{};
    check(backend_->download(state_, device_, memory, host, bytes, &message), message);
  }

  /// One work-item of `program`, which takes no arguments.
  void launch(void* program) {
    dc_work_geometry_t one{};
    for (int d = 0; d < 3; ++d) one.global[d] = one.local[d] = 1;
    launch(program, one, {});
  }
  /// `program` over `geometry`, with one argument per parameter.
  void launch(void* program, const dc_work_geometry_t& geometry, std::span<const dc_launch_argument_t> arguments) {
    launch_.program = program;
    launch_.geometry = geometry;
    launch_.argument_count = static_cast<std::uint32_t>(arguments.size());
    launch_.arguments = arguments.data();
    dc_message_t message{};
    check(backend_->launch(state_, device_, &launch_, &message), message);
    ++launched_;
  }

  /// Blocks until every launch so far has completed; throws if one failed.
  void wait_all() {
    if (completed_.load() < launched_) {
      if (backend_->waiting != nullptr) backend_->waiting(state_, device_, 1);
      const auto spin_until = std::chrono::steady_clock::now() + kSpinBeforeBlocking;
      while (completed_.load() < launched_ && std::chrono::steady_clock::now() < spin_until) {
        std::this_thread::yield();
      }
      {
        std::unique_lock lock(mutex_);
        target_.store(launched_);  // sequentially consistent with completed(): one of the two sees the other
        all_done_.wait(lock, [this] { return completed_.load() >= launched_; });
      }
      if (backend_->waiting != nullptr) backend_->waiting(state_, device_, 0);
    }
    if (failed_.load()) throw std::runtime_error("a launch failed");
  }

 private:
  static constexpr std::chrono::microseconds kSpinBeforeBlocking{50};  // as Execution::wait

  void start(const std::string& file, const std::string& backend) {
    state_ = module_->state();
    const dc_plugin_t& table = module_->table();
    for (std::uint32_t i = 0; i < table.backend_count && backend_ == nullptr; ++i) {
      if (backend.empty() || backend == table.backends[i].name) backend_ = &table.backends[i];
    }
    if (backend_ == nullptr) throw std::runtime_error(file + " has no backend '" + backend + "'");
    dc_message_t message{};
    std::uint32_t devices = 0;
    check(backend_->device_count(state_, &devices, &message), message);
    if (device_ >= devices) {
      throw std::runtime_error(file + ": backend '" + backend_->name + "' has no device " + std::to_string(device_));
    }
    launch_.struct_size = sizeof launch_;
    launch_.completion_context = this;
    launch_.complete = [](void* self, dc_status_t status, const char*) {
      static_cast<DirectPlugin*>(self)->completed(status);
    };
    launch_.complete_at = [](void* self, dc_status_t status, const char*, std::int64_t) {
      static_cast<DirectPlugin*>(self)->completed(status);
    };
    launch_.cancel_requested = [](void*) -> std::int32_t { return 0; };
  }
  void release() noexcept {
    if (backend_ != nullptr) {
      dc_message_t message{};
      (void)backend_->synchronize(state_, device_, &message);
      for (void* memory : memory_) backend_->release(state_, device_, memory);
      for (void* program : programs_) backend_->release_kernel(state_, device_, program);
    }
    module_.reset();  // shuts the plugin down and unloads it
  }
  static void check(dc_status_t status, dc_message_t& message) {
    message.text[DC_MESSAGE_CAPACITY - 1] = '\0';
    if (status != DC_STATUS_OK) throw std::runtime_error(message.text[0] != '\0' ? message.text : "plugin call failed");
  }
  void completed(dc_status_t status) {
    if (status != DC_STATUS_OK) failed_.store(true);
    if (completed_.fetch_add(1) + 1 != target_.load()) return;
    std::lock_guard lock(mutex_);  // the waiter is asleep or about to check
    all_done_.notify_all();
  }

  std::shared_ptr<runtime::PluginModule> module_;
  const std::uint32_t device_;
  void* state_ = nullptr;
  const dc_backend_t* backend_ = nullptr;
  std::vector<void*> programs_;
  std::vector<void*> memory_;
  dc_launch_t launch_{};
  long launched_ = 0;
  std::atomic<long> completed_{0};
  std::atomic<long> target_{-1};  // the count wait_all() waits for
  std::atomic<bool> failed_{false};
  std::mutex mutex_;
  std::condition_variable all_done_;
};

}  // namespace dotcompute::bench
