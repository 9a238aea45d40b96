// A backend plugin driven through its C table alone, the way the runtime
// drives it but without the runtime: the raw side of the plugin benchmarks
// (dotcompute_plugin_bench, dotcompute_opencl_one_side plugin). Launches of one
// kernel on device 0 with one work-item and no arguments, counted as they
// complete; waits that tell the plugin of themselves (dc_backend_t::waiting,
// where it has one) and, like Execution::wait, spin briefly before blocking.
//
// Not thread-safe: one thread launches and waits. Completions may arrive on
// any thread. Errors throw std::runtime_error with the plugin's message.
#pragma once

#include <dlfcn.h>

#include <dotcompute/plugin_abi.h>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

namespace dotcompute::bench {

class DirectPlugin {
 public:
  /// Loads and initialises the plugin in `file` (compiled programs kept in
  /// `cache_directory`, "" for none) and prepares `kernel` on device 0. What
  /// `kernel` points to (name, source, host code) must outlive this object.
  DirectPlugin(const std::string& file, const std::string& cache_directory, const dc_kernel_t& kernel)
      : library_(dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL)), kernel_(kernel) {
    if (library_ == nullptr) throw std::runtime_error(dlerror());
    try {
      start(file, cache_directory);
    } catch (...) {
      release();
      throw;
    }
  }
  ~DirectPlugin() { release(); }
  DirectPlugin(const DirectPlugin&) = delete;
  DirectPlugin& operator=(const DirectPlugin&) = delete;

  /// One work-item of the kernel.
  void launch() {
    dc_message_t message{};
    check(backend_->launch(state_, 0, &launch_, &message), message);
    ++launched_;
  }

  /// Blocks until every launch so far has completed; throws if one failed.
  void wait_all() {
    if (completed_.load() < launched_) {
      if (backend_->waiting != nullptr) backend_->waiting(state_, 0, 1);
      const auto spin_until = std::chrono::steady_clock::now() + kSpinBeforeBlocking;
      while (completed_.load() < launched_ && std::chrono::steady_clock::now() < spin_until) {
        std::this_thread::yield();
      }
      {
        std::unique_lock lock(mutex_);
        target_.store(launched_);  // sequentially consistent with completed(): one of the two sees the other
        all_done_.wait(lock, [this] { return completed_.load() >= launched_; });
      }
      if (backend_->waiting != nullptr) backend_->waiting(state_, 0, 0);
    }
    if (failed_.load()) throw std::runtime_error("a launch failed");
  }

 private:
  static constexpr std::chrono::microseconds kSpinBeforeBlocking{50};  // as Execution::wait

  void start(const std::string& file, const std::string& cache_directory) {
    auto* entry = reinterpret_cast<dc_plugin_entry_fn>(dlsym(library_, DC_PLUGIN_ENTRY_SYMBOL));
    if (entry == nullptr) throw std::runtime_error(file + " exports no " DC_PLUGIN_ENTRY_SYMBOL);
    table_ = entry();
    const dc_host_t host{sizeof(dc_host_t), DC_PLUGIN_ABI_VERSION, "bench", file.c_str(), cache_directory.c_str()};
    dc_message_t message{};
    check(table_->init(&host, &state_, &message), message);
    backend_ = &table_->backends[0];
    std::uint32_t devices = 0;
    check(backend_->device_count(state_, &devices, &message), message);
    if (devices == 0) throw std::runtime_error(file + ": no device");
    check(backend_->prepare_kernel(state_, 0, &kernel_, &launch_.program, &message), message);
    launch_.struct_size = sizeof launch_;
    for (int d = 0; d < 3; ++d) launch_.geometry.global[d] = launch_.geometry.local[d] = 1;
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
    if (state_ != nullptr) {
      dc_message_t message{};
      (void)backend_->synchronize(state_, 0, &message);
      if (launch_.program != nullptr) backend_->release_kernel(state_, 0, launch_.program);
      table_->shutdown(state_);
    }
    if (library_ != nullptr) dlclose(library_);
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

  void* library_ = nullptr;
  const dc_kernel_t kernel_;
  const dc_plugin_t* table_ = nullptr;
  void* state_ = nullptr;
  const dc_backend_t* backend_ = nullptr;
  dc_launch_t launch_{};
  long launched_ = 0;
  std::atomic<long> completed_{0};
  std::atomic<long> target_{-1};  // the count wait_all() waits for
  std::atomic<bool> failed_{false};
  std::mutex mutex_;
  std::condition_variable all_done_;
};

}  // namespace dotcompute::bench
