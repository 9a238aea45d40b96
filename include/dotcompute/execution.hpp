// The result of a kernel execution and the asynchronous handle to it.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "dotcompute/range.hpp"
#include "dotcompute/shared_text.hpp"

namespace dotcompute {

class ExecutionState;
struct KernelDefinition;

/// Where the time of one execution went. transfer is zero on the CPU backend
/// (zero-copy). queued is the CPU backend's wait for its threads: zero for a
/// tiny launch run at once on the submitting thread (the runtime's own work
/// on it, well under a microsecond, counts as compute). On a plugin backend
/// it is zero unless a hot reload parked the launch: a plugin does not report
/// when its driver starts a launch, so the time in the driver's queue counts
/// as compute.
struct ExecutionTimings {
  std::chrono::nanoseconds queued{0};    ///< submitted → started on the device
  std::chrono::nanoseconds transfer{0};  ///< moving buffer data for this execution
  std::chrono::nanoseconds compute{0};   ///< started → finished
  std::chrono::nanoseconds total{0};     ///< submitted → finished
};

/// What an execution did: which kernel, on which device, why that device, and how long it took.
struct KernelResult {
  std::string kernel;           ///< kernel name
  std::string device;           ///< device id, e.g. "cpu:0"
  SharedText selection_reason;  ///< why that device was chosen (copies without allocating)
  Range range;                  ///< global range it ran over
  ExecutionTimings timings;
};

/// Handle to an asynchronous execution. Cheap to copy (shared state); all
/// copies observe the same execution. Thread-safe.
///
/// Errors raised while the execution ran (CancelledError, ExecutionError,
/// DeviceError, ...) are stored and rethrown by wait() and get(), on the
/// calling thread. Waiting threads may help the CPU backend execute work.
class Execution {
 public:
  Execution() = default;  ///< an empty handle; every call but valid() throws ArgumentError
  explicit Execution(std::shared_ptr<ExecutionState> state) noexcept : state_(std::move(state)) {}

  [[nodiscard]] bool valid() const noexcept { return state_ != nullptr; }

  /// Blocks until finished; rethrows the execution's error if it failed or was cancelled.
  void wait() const;
  /// Waits up to `timeout`; true when finished (successfully or not). Never throws its error.
  [[nodiscard]] bool wait_for(std::chrono::nanoseconds timeout) const;
  /// True once finished (successfully or not). Asks a device that holds
  /// completions back (OpenCL, while more work follows) to report it first.
  [[nodiscard]] bool is_done() const;
  /// Waits, then returns the result or rethrows the execution's error.
  [[nodiscard]] KernelResult get() const;
  /// Requests cancellation. Not handed to its device yet: it never runs.
  /// Running on the CPU: it stops at the next chunk boundary. Either way
  /// wait()/get() throw CancelledError. Work already in an OpenCL or CUDA
  /// driver's queue (about the next 2 ms of work, at least the next two
  /// launches) cannot be stopped and finishes normally. No effect once finished.
  void cancel() const;

  /// A handle that finishes after `continuation(result)` has run. The
  /// continuation runs immediately if this execution already finished;
  /// otherwise, on the CPU backend, on the thread that finishes it (keep it
  /// short), and on a plugin device (OpenCL, CUDA), on that device's
  /// continuation thread, in the order its launches finished: there it may
  /// block (read a buffer, wait for other work, synchronize a device), yet
  /// delays the continuations queued behind it. A continuation must not
  /// wait for the handle of one queued behind it on the same device. It is
  /// skipped when this execution fails; the new handle then carries that
  /// error. If the continuation throws, the new handle's get() rethrows that
  /// exception.
  [[nodiscard]] Execution then(std::function<void(const KernelResult&)> continuation) const;

  /// The shared state (for backends and tests).
  [[nodiscard]] const std::shared_ptr<ExecutionState>& state() const noexcept { return state_; }

 private:
  const ExecutionState& checked_state() const;
  std::shared_ptr<ExecutionState> state_;
};

}  // namespace dotcompute
