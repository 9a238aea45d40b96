// Shared state behind an Execution handle. Backends derive from it for their
// commands and finish it exactly once; the handle observes it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <stop_token>
#include <vector>

#include "dotcompute/execution.hpp"

namespace dotcompute {

enum class ExecutionStatus : std::uint32_t { pending, running, succeeded, failed, cancelled };

class ExecutionState;

/// Told as an execution finishes (see ExecutionState::on_finishing).
class FinishObserver {
 public:
  virtual ~FinishObserver() = default;
  /// On the finishing thread, with result() and final_status() final. Must not
  /// wait on `state`.
  virtual void finishing(const ExecutionState& state) const noexcept = 0;
};

/// Completion state of one execution. Thread-safe. Exactly one of
/// finish_succeeded / finish_failed / finish_cancelled is called, once.
class ExecutionState {
 public:
  using Clock = std::chrono::steady_clock;

  /// `stop` is the caller's token; cancellation is requested when it stops or cancel() is called.
  explicit ExecutionState(KernelResult initial = {}, std::stop_token stop = {});
  virtual ~ExecutionState();
  ExecutionState(const ExecutionState&) = delete;
  ExecutionState& operator=(const ExecutionState&) = delete;

  [[nodiscard]] ExecutionStatus status() const noexcept { return status_.load(std::memory_order_acquire); }
  /// The status this execution is finishing with; equals status() once finished.
  /// Valid inside on_finishing() observers.
  [[nodiscard]] ExecutionStatus final_status() const noexcept { return final_status_; }
  [[nodiscard]] bool is_finished() const noexcept { return status() >= ExecutionStatus::succeeded; }

  /// Blocks until finished. Never throws.
  void wait() noexcept;
  /// Waits up to `timeout`; true when finished.
  bool wait_for(std::chrono::nanoseconds timeout) noexcept;
  /// Rethrows the stored error, if any. Call only once finished.
  void rethrow_if_failed() const;
  /// The result; valid once finished successfully.
  [[nodiscard]] const KernelResult& result() const noexcept { return result_; }
  [[nodiscard]] std::exception_ptr error() const noexcept { return error_; }

  void request_cancel() noexcept { cancel_requested_.store(true, std::memory_order_relaxed); }
  [[nodiscard]] bool cancel_requested() const noexcept {
    return cancel_requested_.load(std::memory_order_relaxed) || stop_.stop_requested();
  }

  /// Runs `continuation` once finished: right now if it already is, else
  /// through run_continuations() (on the finishing thread by default).
  void on_finished(std::function<void()> continuation);
  /// Has a backend that holds completions back report this one if it has
  /// finished (Execution::is_done polls through it). Never blocks for it.
  void report_if_finished() noexcept;
  /// Tells `observer` the final result and status before waiters are released
  /// (so what it records is visible once wait() returns): on the finishing
  /// thread, or right now if finishing has already begun. One observer per
  /// execution (the orchestrator's telemetry); a second call throws
  /// std::logic_error. Kept, and shared, until this state is destroyed. Costs
  /// no allocation: launches pass here.
  void on_finishing(std::shared_ptr<const FinishObserver> observer);

  // --- for backends ---------------------------------------------------------
  /// Records the start time (now, or `at`) and moves to `running`.
  void mark_started() noexcept { mark_started(Clock::now()); }
  void mark_started(Clock::time_point at) noexcept;
  /// When the execution was submitted (created).
  [[nodiscard]] Clock::time_point submitted_at() const noexcept { return submitted_; }
  /// When mark_started() was called (a default time point before). Read it
  /// only on a thread that synchronised with that call.
  [[nodiscard]] Clock::time_point started_at() const noexcept { return started_; }
  /// Records the finish time (now, or `at` unless it is a default time
  /// point) and the timings into the result, then finishes.
  void finish_succeeded(Clock::time_point at = {}) noexcept;
  void finish_failed(std::exception_ptr error) noexcept;
  /// Finishes with a CancelledError naming the kernel and whether it had started.
  void finish_cancelled() noexcept;
  /// Finishes with a CancelledError for work its device dropped before it
  /// started, whatever mark_started() recorded (the runtime marks a plugin's
  /// work started when it hands it over; the plugin drops it from its queue).
  void finish_dropped() noexcept;
  /// The result to fill in before finishing (device, reason, transfer time...).
  KernelResult& mutable_result() noexcept { return result_; }

 protected:
  /// Called by wait() before blocking: a backend may run pending work on the
  /// waiting thread here (the CPU backend executes chunks). Default: nothing.
  virtual void help_while_waiting() noexcept {}
  /// A thread begins waiting (wait(), wait_for()) while this execution has
  /// not finished. A backend that may hold completions back reports them
  /// from here (plugin devices: dc_backend_t::waiting). True: wait_ends()
  /// follows when that wait returns. Default: nothing (false).
  virtual bool wait_begins() noexcept { return false; }
  virtual void wait_ends() noexcept {}
  /// A continuation now waits for this execution (on_finished, before it
  /// finished): like a waiting thread, a reason not to hold its completion
  /// back. Called once per execution at most. Default: nothing.
  virtual void continuation_pending() noexcept {}
  /// Finishes successfully with `result` as is (its timings included).
  void finish_with_result(const KernelResult& result) noexcept;
  /// Runs the continuations queued while this execution was unfinished, in
  /// order, once it has finished (waiters are released first). Default: on
  /// the finishing thread. A backend whose finishing thread must not block
  /// (a driver's, or the one that reports the work a continuation may wait
  /// for) hands them to a thread of its own.
  virtual void run_continuations(std::vector<std::function<void()>> continuations) noexcept;

 private:
  class WaitHint;
  void finish_cancelled(bool started) noexcept;
  void finish(ExecutionStatus status) noexcept;

  std::atomic<ExecutionStatus> status_{ExecutionStatus::pending};
  ExecutionStatus final_status_ = ExecutionStatus::pending;
  std::atomic<bool> cancel_requested_{false};
  std::atomic<int> blocked_waiters_{0};
  std::stop_token stop_;
  KernelResult result_;
  std::exception_ptr error_;
  Clock::time_point submitted_;
  Clock::time_point started_;
  std::mutex mutex_;  // guards continuations_ and the blocking wait
  std::condition_variable finished_cv_;
  std::vector<std::function<void()>> continuations_;
  std::shared_ptr<const FinishObserver> observer_;
  bool finishing_ = false;             // guarded by mutex_: observer_ was told (or is being told)
  bool continuation_pending_ = false;  // guarded by mutex_: continuation_pending() was called
};

}  // namespace dotcompute
