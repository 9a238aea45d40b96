// One OpenCL device: an in-order command queue behind a cancellable software
// queue, device memory pooled per device, programs built from the portable
// kernel source and cached in memory and on disk.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "dotcompute/accelerator.hpp"
#include "dotcompute/backend/driver_window.hpp"
#include "dotcompute/program_cache.hpp"
#include "opencl_api.hpp"

namespace dotcompute::opencl {

/// The context and queue of one device; shared by the device and by every
/// replica it created, so that buffers may outlive the runtime.
struct Context {
  Context(cl_device_id device);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  cl_device_id device;
  cl_context context = nullptr;
  cl_command_queue queue = nullptr;
};

class OpenClCommand;

class OpenClDevice final : public Accelerator {
 public:
  /// A completion marker follows every window / 4 commands, at most every this many.
  static constexpr std::size_t kMaxMarkerInterval = 64;

  OpenClDevice(cl_platform_id platform, cl_device_id device, std::size_t index,
               const std::filesystem::path& cache_directory);
  ~OpenClDevice() override;

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

  /// What a completion marker covers: every command dispatched before it.
  struct Marker {
    std::uint64_t covers = 0;  // sequence of the last command covered (0: no marker)
    std::size_t count = 0;     // commands covered that no earlier marker covers
    std::chrono::steady_clock::time_point first_dispatched;
  };
  /// Called from the driver's callback when a completion marker is reached
  /// (any thread; never takes the queue lock).
  void marker_reached(const Marker& marker, cl_int status) noexcept;
  /// Finishes cancelled waiting commands, hands waiting commands to the driver
  /// while the window has room, and arms a completion marker.
  void pump();

 private:
  struct Program {
    // Held so that the address keying programs_ is not reused by another source.
    std::shared_ptr<const KernelSource> source;
    cl_program program = nullptr;
    std::unordered_map<std::string, cl_kernel> kernels;
  };
  /// The kernel object of `kernel`, building (or loading from the disk cache) its program once.
  cl_kernel kernel_object(const KernelDefinition& kernel);
  cl_program build_program(const KernelSource& source);
  /// With the queue lock held: hands waiting commands to the driver while the
  /// window has room (a cancelled one is finished instead), then arms a marker.
  void dispatch_waiting_locked();
  /// With the queue lock held: finishes every cancelled command still waiting,
  /// wherever it is in the queue. A scan of the whole queue, so not done per
  /// launch: by the dispatcher once per completion marker, and by waiters.
  void finish_cancelled_waiting_locked();
  /// With the completion lock held: whether a marker should follow the
  /// commands dispatched so far (then counted as pending); what it covers
  /// (covers 0: none). `end_of_burst`: nothing more is about to be dispatched.
  Marker claim_marker_locked(bool end_of_burst);
  /// With the queue lock held (not the completion lock): enqueues `marker`.
  void arm_marker(const Marker& marker);
  /// With the completion lock held: room left in the window.
  [[nodiscard]] std::size_t room_locked() const;
  /// With the queue lock held: hands every waiting command to the driver,
  /// waiting for window room as needed (so that a transfer can follow them).
  void drain_waiting_locked();
  /// Runs a transfer (`enqueue` returns its event) after everything queued so far; blocks until done.
  void transfer(const std::function<cl_int(cl_event*)>& enqueue, const std::string& what);

  DeviceInfo info_;
  std::shared_ptr<Context> context_;
  std::shared_ptr<MemoryPool> pool_;
  ProgramCache disk_cache_;
  std::string cache_device_key_;
  bool fp64_ = false;

  std::mutex programs_mutex_;
  std::unordered_map<const KernelSource*, Program> programs_;

  // Lock order: queue_mutex_, then completion_mutex_. Driver callbacks only
  // ever take completion_mutex_; the only OpenCL calls made under it are the
  // non-blocking marker enqueue and its callback registration.
  std::mutex queue_mutex_;  // waiting_, the order in which commands reach the driver, clSetKernelArg
  std::deque<std::shared_ptr<OpenClCommand>> waiting_;
  std::mutex completion_mutex_;
  std::condition_variable completed_;
  // Guarded by completion_mutex_:
  std::deque<std::pair<std::uint64_t, std::shared_ptr<OpenClCommand>>> in_flight_;  // (sequence, command)
  std::uint64_t dispatched_ = 0;     // sequence of the last command handed to the driver
  std::uint64_t marked_ = 0;         // sequence of the last command a marker covers
  std::size_t markers_pending_ = 0;  // markers in the driver, not reached yet
  bool rearm_ = false;               // the last pending marker was reached with commands uncovered
  bool backlog_ = false;             // waiting_ was left non-empty
  bool stopping_ = false;
  std::chrono::steady_clock::time_point first_uncovered_dispatched_;  // of the next marker's first command
  std::chrono::steady_clock::time_point last_marker_reached_;
  DriverWindow window_;  // measured from each marker: its commands' time in the driver
  // Moves the software queue along when driver completions make room (driver
  // callbacks cannot: they must not take the queue lock). Idle without a backlog.
  std::thread dispatcher_;
  void dispatcher_main();
};

}  // namespace dotcompute::opencl
