// One CUDA GPU of the CUDA plugin: a stream behind a cancellable software
// queue, events for completion, transfers by DMA from pinned host memory (or
// through pinned staging buffers), kernels from the ahead-of-time fatbin when
// it matches the device and from NVRTC (cached in memory and on disk)
// otherwise. The runtime keeps buffers coherent and pools this device's
// memory; it reaches the device only through the plugin ABI (cuda_plugin.cpp).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cuda_driver.hpp"
#include "dotcompute/backend/driver_window.hpp"
#include "dotcompute/plugin_abi.h"
#include "dotcompute/program_cache.hpp"

namespace dotcompute::cuda {

/// The device's primary context, retained for the life of the process (so
/// that device memory and pinned host memory never outlive it).
struct Context {
  const Driver* driver;
  CUdevice device;
  CUcontext context;
  /// Makes the context current on the calling thread (cheap; every entry point calls it).
  void bind() const { check(driver->cuCtxSetCurrent(context), "cuCtxSetCurrent"); }
};

/// A kernel prepared for one device (dc_backend_t::prepare_kernel's program).
struct PreparedKernel {
  std::string name;
  std::string module_key;  // the modules_ entry its function comes from
  CUfunction function = nullptr;
  std::uint32_t parameter_count = 0;
};

class CudaCommand;
/// Destroys a command and returns its memory to the Recycled cache it came
/// from: commands are made on the launching thread and let go on the
/// completion thread, which through the general allocator contend for its lock.
struct CudaCommandDeleter {
  void operator()(CudaCommand* command) const noexcept;
};
using CudaCommandPtr = std::unique_ptr<CudaCommand, CudaCommandDeleter>;

/// Thread-safe: every member may be called from any thread. Errors are thrown
/// as the runtime's types (DeviceError, CompilationError, ...); the plugin
/// layer turns them into statuses.
///
/// Completions: an event follows every few launches (a completion marker, see
/// marker_interval), and one follows a launch whenever no marker is pending,
/// so a lone launch has its own. The completion thread waits for each marker
/// in turn and completes the launches it covers, at once. An event per launch
/// cost a cuEventRecord on the submitting thread and a cuEventSynchronize on
/// the completion thread for every launch.
class CudaDevice {
 public:
  /// A completion marker follows every window / 4 launches, at most every this many.
  static constexpr std::size_t kMaxMarkerInterval = 64;

  /// Device `index` of the backend ("cuda:<index>" in the runtime).
  CudaDevice(std::shared_ptr<Context> context, std::uint32_t index, const std::filesystem::path& cache_directory);
  ~CudaDevice();
  CudaDevice(const CudaDevice&) = delete;
  CudaDevice& operator=(const CudaDevice&) = delete;

  /// Its description; the strings live as long as the device.
  [[nodiscard]] const dc_device_info_t& info() const noexcept { return info_; }

  /// Loads the kernel's module once per source: its ahead-of-time fatbin when
  /// that holds code for this device, else NVRTC output (from the disk cache
  /// when there). Throws plugin::Error(DC_STATUS_UNSUPPORTED) without source,
  /// CompilationError with NVRTC's log, DeviceUnavailableError without NVRTC.
  [[nodiscard]] PreparedKernel* prepare(const dc_kernel_t& kernel);
  void release(PreparedKernel* kernel) noexcept;

  /// Device memory (a CUdeviceptr). Throws OutOfMemoryError.
  [[nodiscard]] void* allocate(std::uint64_t bytes);
  void release_memory(void* memory) noexcept;
  /// Ordered after the work launched so far; return once done.
  void upload(void* memory, const void* host, std::uint64_t bytes);
  void download(void* memory, void* host, std::uint64_t bytes);

  /// Queues a launch (copying what it needs); completes it through its callbacks.
  /// Throws ArgumentError for a geometry the device cannot run, DeviceError
  /// once a failed kernel broke the context.
  void launch(const dc_launch_t& launch);
  /// Returns once everything launched so far has completed.
  void synchronize();

 private:
  friend class CudaCommand;  // reports a broken context; enqueues on the stream
  struct Module {
    CUmodule module = nullptr;
    std::size_t users = 0;  // prepared kernels whose function comes from it
  };
  struct StagingSlot {
    void* host = nullptr;
    CUevent done = nullptr;
    bool used = false;
  };
  CUmodule load_jit_module(const dc_kernel_t& kernel);
  /// Marks the device unusable after a failure that breaks its context.
  void mark_broken(const std::string& reason);
  /// An event recorded after the launches it covers.
  struct Marker {
    CUevent event = nullptr;
    std::size_t count = 0;  // launches covered that no earlier marker covers: the next `count` in flight
    std::chrono::steady_clock::time_point first_dispatched;  // of the first of them
  };
  /// Finishes cancelled waiting commands, hands waiting commands to the
  /// driver while the window has room, and covers the launches in flight with
  /// a marker when none is pending.
  void pump();
  /// With the queue lock held: hands waiting commands to the driver while the
  /// window has room (a cancelled one is finished instead).
  void dispatch_waiting_locked();
  /// With the queue lock held: hands `command` to the driver, then records a
  /// marker after it when one is due.
  void dispatch_locked(CudaCommandPtr command);
  /// Launches a marker covers, at most.
  [[nodiscard]] std::size_t marker_interval() const;
  /// With the completion lock held: the marker covering every launch in
  /// flight not yet covered (then counted as pending; count 0: none is), its
  /// event still to take.
  Marker claim_marker_locked();
  /// With the queue lock held: records `marker` (claimed just now) on the
  /// stream. Without it the launches it covers could never complete, so if
  /// that fails they fail with the error.
  void record_marker_locked(Marker marker);
  /// With the queue lock held: finishes every cancelled command still waiting,
  /// wherever it is in the queue. A scan of the whole queue, so not done per
  /// launch: by the completion thread when it leaves a backlog.
  void finish_cancelled_waiting_locked();
  /// With the queue lock held through `queue_lock`: hands every command
  /// waiting now to the driver (so that a transfer can follow them), waiting
  /// for window room as needed, without the queue lock meanwhile. Commands
  /// launched during the wait may reach the driver first.
  void drain_waiting(std::unique_lock<std::mutex>& queue_lock);
  /// Copies between host and device after all work queued so far; blocks until done.
  void copy(bool to_device, CUdeviceptr device, void* host, std::size_t bytes);
  void staged_copy_locked(bool to_device, CUdeviceptr device, void* host, std::size_t bytes);
  /// A recycled event, or a new one; the driver's status.
  CUresult take_event(CUevent& event);
  void recycle_event(CUevent event);
  void completion_main();

  std::shared_ptr<Context> context_;
  const Driver& driver_;
  std::string id_;  // "cuda:<index>", for messages
  std::string name_, driver_version_, features_;
  dc_device_info_t info_{};
  int architecture_ = 0;  // 10 * major + minor
  unsigned max_block_[3] = {};
  unsigned max_grid_[3] = {};
  ProgramCache disk_cache_;
  CUstream stream_ = nullptr;

  std::mutex modules_mutex_;
  std::map<std::string, Module> modules_;  // "aot:<fatbin address>" or "jit:<translation unit>"

  std::mutex broken_mutex_;
  std::string broken_;  // why the context is unusable ("" while it works)
  std::atomic<bool> is_broken_{false};

  // Lock order: queue_mutex_, then completion_mutex_.
  std::mutex queue_mutex_;  // waiting_, the stream's submission order, staging_
  std::deque<CudaCommandPtr> waiting_;
  std::uint64_t queued_ = 0;  // commands put in waiting_ so far
  std::vector<StagingSlot> staging_;
  std::mutex completion_mutex_;
  std::condition_variable completed_;
  // Guarded by completion_mutex_; what changes the order of the stream
  // (dispatching, claiming and recording markers) is also under queue_mutex_.
  std::deque<CudaCommandPtr> in_flight_;          // in the order they reached the stream
  std::deque<Marker> markers_;                    // recorded, not reached yet; oldest first
  std::atomic<std::size_t> markers_recorded_{0};  // markers_.size(), also read without the lock
  std::size_t markers_pending_ = 0;               // claimed, not reached yet (recorded, or about to be)
  std::size_t uncovered_ = 0;                     // the launches in flight last, no marker covers
  std::chrono::steady_clock::time_point first_uncovered_dispatched_;
  std::vector<CUevent> free_events_;
  bool backlog_ = false;                         // waiting_ was left non-empty
  bool idle_ = false;                            // the completion thread sleeps
  bool stopping_ = false;                        // the destructor
  std::atomic<std::size_t> in_flight_count_{0};  // in_flight_.size(), also read without the lock
  std::thread completion_;                       // waits for each marker in turn and completes the launches it covers
  std::vector<CudaCommandPtr> reached_;          // the completion thread's: launches a marker covered

  // Commands the stream may hold; measured by the completion thread (the only user of last_completed_), per marker.
  DriverWindow window_;
  std::chrono::steady_clock::time_point last_completed_;
};

}  // namespace dotcompute::cuda
