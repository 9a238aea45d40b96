// One CUDA GPU: a stream behind a cancellable software queue, events for
// completion, pooled device memory, transfers by DMA from pinned host memory
// (or through pinned staging buffers), kernels from the ahead-of-time fatbin
// when it matches the device and from NVRTC (cached in memory and on disk)
// otherwise.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cuda_driver.hpp"
#include "dotcompute/accelerator.hpp"
#include "dotcompute/backend/driver_window.hpp"
#include "dotcompute/program_cache.hpp"

namespace dotcompute::cuda {

/// The device's primary context, retained for the life of the process (so
/// that buffers and pinned host memory never outlive it).
struct Context {
  const Driver* driver;
  CUdevice device;
  CUcontext context;
  /// Makes the context current on the calling thread (cheap; every entry point calls it).
  void bind() const { check(driver->cuCtxSetCurrent(context), "cuCtxSetCurrent"); }
};

class CudaCommand;

class CudaDevice final : public Accelerator {
 public:
  CudaDevice(std::shared_ptr<Context> context, std::size_t index, const std::filesystem::path& cache_directory);
  ~CudaDevice() override;

  [[nodiscard]] const DeviceInfo& info() const noexcept override { return info_; }
  [[nodiscard]] bool can_run(const KernelDefinition& kernel) const noexcept override;
  [[nodiscard]] std::string cannot_run_reason(const KernelDefinition& kernel) const override;
  [[nodiscard]] bool shares_host_memory() const noexcept override { return false; }
  [[nodiscard]] MemoryPool& memory_pool() noexcept override { return *pool_; }
  [[nodiscard]] std::shared_ptr<ExecutionState> launch(LaunchRequest request) override;
  void synchronize() override;

  [[nodiscard]] std::unique_ptr<DeviceReplica> create_replica(std::size_t bytes) override;
  void upload(DeviceReplica& replica, const void* host, std::size_t bytes) override;
  void download(DeviceReplica& replica, void* host, std::size_t bytes) override;

  /// Finishes cancelled waiting commands, then hands waiting commands to the
  /// driver while the window has room.
  void pump();
  /// Blocks until `event` completes (the driver spins or yields, as for any caller).
  CUresult wait_for_event(CUevent event);
  /// Marks the device unusable after a failure that breaks its context.
  void mark_broken(const std::string& reason);

 private:
  struct Module {
    std::shared_ptr<const KernelSource> source;  // keeps the key's address from being reused
    CUmodule module = nullptr;
    std::map<std::string, CUfunction, std::less<>> functions;  // entry points looked up so far
  };
  struct StagingSlot {
    void* host = nullptr;
    CUevent done = nullptr;
    bool used = false;
  };
  /// The entry point of `kernel`, loading its module once: the fatbin when it
  /// holds code for this device, else NVRTC output (from the disk cache when there).
  CUfunction function_for(const KernelDefinition& kernel);
  CUmodule load_jit_module(const KernelDefinition& kernel);
  /// With the queue lock held: hands waiting commands to the driver while the
  /// window has room (a cancelled one is finished instead).
  void dispatch_waiting_locked();
  /// With the queue lock held: finishes every cancelled command still waiting,
  /// wherever it is in the queue. A scan of the whole queue, so not done per
  /// launch: by the completion thread's pumps and by waiters.
  void finish_cancelled_waiting_locked();
  void drain_waiting_locked();
  /// Copies between host and device after all work queued so far; blocks until done.
  void copy(bool to_device, CUdeviceptr device, void* host, std::size_t bytes);
  void staged_copy_locked(bool to_device, CUdeviceptr device, void* host, std::size_t bytes);
  CUevent take_event();
  void recycle_event(CUevent event);
  void completion_main();

  std::shared_ptr<Context> context_;
  const Driver& driver_;
  DeviceInfo info_;
  int architecture_ = 0;  // 10 * major + minor
  unsigned max_block_[3] = {};
  unsigned max_grid_[3] = {};
  std::shared_ptr<MemoryPool> pool_;
  ProgramCache disk_cache_;
  CUstream stream_ = nullptr;

  std::mutex modules_mutex_;
  std::map<const KernelSource*, Module> aot_modules_;
  std::map<std::pair<const KernelSource*, std::string>, Module> jit_modules_;

  std::mutex broken_mutex_;
  std::string broken_;  // why the context is unusable ("" while it works)
  std::atomic<bool> is_broken_{false};

  // Lock order: queue_mutex_, then completion_mutex_.
  std::mutex queue_mutex_;  // waiting_, the stream's submission order, staging_
  std::deque<std::shared_ptr<CudaCommand>> waiting_;
  std::vector<StagingSlot> staging_;
  std::mutex completion_mutex_;
  std::condition_variable completed_;
  std::deque<std::shared_ptr<CudaCommand>> in_flight_;  // guarded by completion_mutex_
  std::vector<CUevent> free_events_;                    // guarded by completion_mutex_
  std::atomic<std::size_t> in_flight_count_{0};
  bool backlog_ = false;    // guarded by completion_mutex_: waiting_ was left non-empty
  bool idle_ = false;       // guarded by completion_mutex_: the completion thread sleeps
  bool stopping_ = false;   // guarded by completion_mutex_
  std::thread completion_;  // waits on each command's event in order and finishes it

  // Commands the stream may hold; measured by the completion thread (the only user of last_completed_).
  DriverWindow window_;
  std::chrono::steady_clock::time_point last_completed_;
};

}  // namespace dotcompute::cuda
