// One OpenCL device of the OpenCL plugin: an in-order command queue behind a
// cancellable software queue, programs built from the portable kernel source
// and cached in memory and on disk. The runtime keeps buffers coherent and
// pools this device's memory; it reaches the device only through the plugin
// ABI (opencl_plugin.cpp).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "dotcompute/backend/driver_window.hpp"
#include "dotcompute/plugin_abi.h"
#include "dotcompute/program_cache.hpp"
#include "opencl_api.hpp"

namespace dotcompute::opencl {

/// The context and queue of one device.
struct Context {
  explicit Context(cl_device_id device);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  cl_device_id device;
  cl_context context = nullptr;
  cl_command_queue queue = nullptr;
};

/// A kernel prepared for one device (dc_backend_t::prepare_kernel's program).
struct PreparedKernel {
  std::string name;
  std::string program_key;  // the programs_ entry it came from
  cl_kernel kernel = nullptr;
  std::vector<std::size_t> scalar_sizes;  // per parameter: the scalar's size, 0 for buffers
};

/// What completing a command takes once the driver has it.
struct OpenClCompletion {
  using Clock = std::chrono::steady_clock;  // CLOCK_MONOTONIC, as dc_launch_t::complete_at counts

  const PreparedKernel* kernel;  // named in error messages
  void* context;                 // dc_launch_t::completion_context
  void (*complete)(void*, dc_status_t, const char*);
  void (*complete_at)(void*, dc_status_t, const char*, std::int64_t);  // null from a runtime without it

  /// The completion of `launch`.
  static OpenClCompletion of(const dc_launch_t& launch) noexcept;
  /// Reports the driver's status (negative: failed) to the runtime: finished at `finished`.
  void report(cl_int status, const std::string& device, Clock::time_point finished) const noexcept;
  /// Reports that the command was dropped before it reached the driver.
  void cancelled() const noexcept { complete(context, DC_STATUS_CANCELLED, nullptr); }
};

class OpenClLaunch;

/// Thread-safe: every member may be called from any thread.
///
/// Completions: a marker command every few launches (see marker_interval);
/// the driver's callback for it completes the commands it covers. While more
/// work follows with a marker of its own pending, and no thread waits
/// (waiting()), the callback only records how far the driver got: the next
/// launch() reports those completions on its own thread, or else the next
/// marker reached does. The driver's thread then spends next to nothing per
/// command, which matters on PoCL, whose in-order queue runs one command at
/// a time on the same threads that run these callbacks.
class OpenClDevice {
 public:
  /// A completion marker follows every window / 4 commands, at most every this many.
  static constexpr std::size_t kMaxMarkerInterval = 64;

  /// Device `index` of the backend ("opencl:<index>" in the runtime). Throws plugin::Error.
  OpenClDevice(cl_platform_id platform, cl_device_id device, std::uint32_t index,
               const std::filesystem::path& cache_directory);
  ~OpenClDevice();
  OpenClDevice(const OpenClDevice&) = delete;
  OpenClDevice& operator=(const OpenClDevice&) = delete;

  /// Its description; the strings live as long as the device.
  [[nodiscard]] const dc_device_info_t& info() const noexcept { return info_; }

  /// Builds (or loads from the disk cache) the kernel's program once per
  /// source, and creates its kernel object. Throws plugin::Error:
  /// DC_STATUS_UNSUPPORTED (no source, doubles without fp64),
  /// DC_STATUS_COMPILATION_ERROR with the build log.
  [[nodiscard]] PreparedKernel* prepare(const dc_kernel_t& kernel);
  void release(PreparedKernel* kernel) noexcept;

  /// Device memory (a cl_mem). Throws plugin::Error (DC_STATUS_OUT_OF_MEMORY).
  [[nodiscard]] void* allocate(std::uint64_t bytes);
  void release_memory(void* memory) noexcept;
  /// Ordered after the work launched so far; return once done.
  void upload(void* memory, const void* host, std::uint64_t bytes);
  void download(void* memory, void* host, std::uint64_t bytes);

  /// Hands a launch to the driver, or queues a copy of it while the window is
  /// full; completes it through its callbacks. Throws plugin::Error
  /// (DC_STATUS_INVALID_ARGUMENT) when its arguments do not fit its kernel.
  void launch(const dc_launch_t& launch);
  /// Returns once everything launched so far has completed.
  void synchronize();
  /// A thread begins or ends waiting for work on this device
  /// (dc_backend_t::waiting): completions held back are reported now, on the
  /// calling thread, and none is held back until every wait has ended.
  void waiting(bool begins) noexcept;

  /// What a completion marker covers: every command dispatched before it.
  struct Marker {
    std::uint64_t covers = 0;  // sequence of the last command covered (0: no marker)
    std::size_t count = 0;     // commands covered that no earlier marker covers
    std::chrono::steady_clock::time_point first_dispatched;
  };
  /// A marker's callback registration: owned by the driver until it calls back.
  struct MarkerCallback {
    OpenClDevice* device;
    Marker marker;
    cl_int status = CL_SUCCESS;  // once reached
    std::chrono::steady_clock::time_point reached_at;
    MarkerCallback* next = nullptr;  // in reached_early_
  };
  /// Called from the driver's callback when a completion marker is reached
  /// at `reached_at`, on a thread that holds none of this device's locks.
  /// Markers may come out of order.
  void marker_reached(const Marker& marker, cl_int status, std::chrono::steady_clock::time_point reached_at) noexcept;
  /// Called from the driver's callback when it runs inside the call that
  /// registers it (the marker had been reached already), under the queue
  /// lock: the dispatcher calls marker_reached() for it, then deletes it.
  void reached_early(MarkerCallback* callback) noexcept;

 private:
  struct Program {
    cl_program program = nullptr;
    std::size_t users = 0;  // prepared kernels made from it
  };
  cl_program build_program(const std::string& full_source, const std::string& path);
  class NothingHeldBack;
  /// Waits that keep completions from being held back: `change` more (or fewer).
  void count_waits(int change) noexcept;
  /// launch() of `launch`, completed through `command`, without reporting
  /// held back completions: with the queue lock.
  void enqueue(const dc_launch_t& launch, const OpenClCompletion& command);
  /// Reports the completions held back, on the calling thread (no lock held).
  void report_held_back() noexcept;
  /// With the completion lock held: commands in flight not known to have finished.
  [[nodiscard]] std::size_t unfinished_locked() const;
  /// With the completion lock held: updates held_back_ and in_flight_count_
  /// after in_flight_ or reached_ changed; returns the unfinished count.
  std::size_t update_counts_locked();
  /// Finishes cancelled waiting commands, hands waiting commands to the driver
  /// while the window has room, and arms a completion marker.
  void pump();
  /// With the queue lock held: hands waiting commands to the driver while the
  /// window has room (a cancelled one is finished instead), then arms a marker.
  void dispatch_waiting_locked();
  /// With the queue lock held: whether the command about to be dispatched
  /// should complete a marker (then its own event serves as the marker).
  /// `end_of_burst`: nothing more is about to be dispatched after it.
  [[nodiscard]] bool closes_marker_locked(bool end_of_burst) const;
  /// With the queue lock held: `command` has just been enqueued, `last` the
  /// event of its last command when closes_marker_locked() asked for it (else
  /// null). Counts it in flight and arms a marker when one is due; returns
  /// the room left in the window.
  std::size_t in_driver_locked(const OpenClCompletion& command, cl_event last);
  /// With the queue lock held: finishes every cancelled command still waiting,
  /// wherever it is in the queue. A scan of the whole queue, so not done per
  /// launch: by the dispatcher once per completion marker.
  void finish_cancelled_waiting_locked();
  /// A command the driver finished, and when (its marker was reached).
  struct Finished {
    OpenClCompletion command;
    OpenClCompletion::Clock::time_point at;
    bool held_back;  // it succeeded: its own marker was reached without error
  };
  /// With the completion lock held: takes the commands in flight up to
  /// sequence `covers`, reached at `reached_at` (those held back: when their
  /// own marker was), as many as `finished` holds; how many it took.
  std::size_t take_finished_locked(std::uint64_t covers, OpenClCompletion::Clock::time_point reached_at,
                                   std::span<Finished> finished);
  /// Commands a marker covers, at most (it may cover fewer: see claim_marker_locked).
  [[nodiscard]] std::size_t marker_interval() const;
  /// With the completion lock held: whether a marker should follow the
  /// commands dispatched so far (then counted as pending); what it covers
  /// (covers 0: none). `end_of_burst`: nothing more is about to be dispatched.
  Marker claim_marker_locked(bool end_of_burst);
  /// The same, unconditionally: every command dispatched so far and not covered yet.
  Marker claim_marker_locked();
  /// With the queue lock held (not the completion lock): enqueues `marker`.
  void arm_marker(const Marker& marker);
  /// The same with `event` (of the last command covered, owned by this call) as the marker.
  void watch(cl_event event, const Marker& marker);
  /// A claimed marker could not be armed: without it the commands it covers
  /// might never complete, so everything in flight fails with `error`.
  void lost_marker(cl_int error);
  /// Room left in the window with `in_flight` commands in the driver.
  [[nodiscard]] std::size_t room(std::size_t in_flight) const;
  /// With the queue lock held through `queue_lock`: hands every command
  /// waiting now to the driver (so that a transfer can follow them), waiting
  /// for window room as needed, without the queue lock meanwhile. Commands
  /// launched during the wait may reach the driver first.
  void drain_waiting(std::unique_lock<std::mutex>& queue_lock);
  /// Runs a transfer (`enqueue` returns its event) after everything queued so far; blocks until done.
  void transfer(const std::function<cl_int(cl_event*)>& enqueue, const std::string& what);
  void dispatcher_main();

  std::string id_;  // "opencl:<index>", for messages
  std::string name_, vendor_, driver_version_, features_;
  dc_device_info_t info_{};
  std::unique_ptr<Context> context_;
  ProgramCache disk_cache_;
  bool fp64_ = false;

  std::mutex programs_mutex_;
  std::unordered_map<std::string, Program> programs_;  // by full source text

  // Lock order: queue_mutex_, then completion_mutex_. Driver callbacks only
  // ever take completion_mutex_, and report completions holding neither (one
  // run inside its registration, under queue_mutex_, leaves that to the
  // dispatcher: see reached_early). No OpenCL call is made under completion_mutex_.
  std::mutex queue_mutex_;  // waiting_, the order in which commands reach the driver, clSetKernelArg
  std::deque<std::shared_ptr<OpenClLaunch>> waiting_;
  std::uint64_t queued_ = 0;  // commands put in waiting_ so far
  std::mutex completion_mutex_;
  std::condition_variable completed_;
  // Guarded by completion_mutex_:
  struct InFlight {
    std::uint64_t sequence;
    OpenClCompletion command;
  };
  std::deque<InFlight> in_flight_;
  std::atomic<std::size_t> in_flight_count_{0};  // unfinished_locked(), also read without the lock
  std::atomic<std::size_t> held_back_{0};        // leading commands in flight that finished (up to reached_)
  std::uint64_t reached_ = 0;                    // a held back marker showed every command up to here finished
  struct HeldMark {                              // a marker whose completions were held back
    std::uint64_t covers;
    OpenClCompletion::Clock::time_point at;
  };
  std::deque<HeldMark> held_marks_;              // oldest first; those still covering a command in flight
  int waits_ = 0;                                // waits under way (see waiting()): nothing is held back
  std::atomic<bool> may_hold_back_{true};        // false once a runtime without waiting() launched
  std::uint64_t dispatched_ = 0;                 // sequence of the last command handed to the driver
  std::uint64_t marked_ = 0;                     // sequence of the last command a marker covers
  std::atomic<std::size_t> markers_pending_{0};  // markers in the driver, not reached yet (changed under the lock)
  std::size_t callbacks_running_ = 0;            // marker_reached() calls past their first step
  MarkerCallback* reached_early_ = nullptr;      // see reached_early(): newest first, for the dispatcher
  std::uint64_t measured_ = 0;                   // the last command covered by a marker the window measured
  bool rearm_ = false;                           // the last pending marker was reached with commands uncovered
  bool backlog_ = false;                         // waiting_ was left non-empty
  bool destroying_ = false;                      // the destructor waits for the callbacks running
  bool stopping_ = false;
  std::chrono::steady_clock::time_point first_uncovered_dispatched_;  // of the next marker's first command
  std::chrono::steady_clock::time_point last_marker_reached_;
  DriverWindow window_;  // measured from each marker: its commands' time in the driver
  // Moves the software queue along when driver completions make room (driver
  // callbacks cannot: they must not take the queue lock), and reports the
  // markers reached early. Idle without a backlog.
  std::thread dispatcher_;
};

}  // namespace dotcompute::opencl
