#include "dotcompute/backend/execution_state.hpp"

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "dotcompute/errors.hpp"
#include "dotcompute/spin_pause.hpp"

namespace dotcompute {

namespace {
// Spinning this long before blocking keeps short waits off the futex: waking a
// blocked thread costs ~50 µs on the VMs this runs on.
constexpr auto kSpinBeforeBlocking = std::chrono::microseconds(50);
}  // namespace

ExecutionState::ExecutionState(KernelResult initial, std::stop_token stop)
    : stop_(std::move(stop)), result_(std::move(initial)), submitted_(Clock::now()) {}

ExecutionState::~ExecutionState() = default;

// Brackets one wait with wait_begins / wait_ends.
class ExecutionState::WaitHint {
 public:
  explicit WaitHint(ExecutionState& state) noexcept : state_(state), ends_(state.wait_begins()) {}
  ~WaitHint() {
    if (ends_) state_.wait_ends();
  }
  WaitHint(const WaitHint&) = delete;
  WaitHint& operator=(const WaitHint&) = delete;

 private:
  ExecutionState& state_;
  bool ends_;
};

void ExecutionState::wait() noexcept {
  if (is_finished()) return;
  const WaitHint hint(*this);
  help_while_waiting();
  const auto spin_until = Clock::now() + kSpinBeforeBlocking;
  while (!is_finished()) {
    if (Clock::now() > spin_until) break;
    for (int i = 0; i < 16 && !is_finished(); ++i) spin_pause();
  }
  if (is_finished()) return;
  std::unique_lock lock(mutex_);
  blocked_waiters_.fetch_add(1, std::memory_order_seq_cst);
  finished_cv_.wait(lock, [this] { return is_finished(); });
  blocked_waiters_.fetch_sub(1, std::memory_order_relaxed);
}

bool ExecutionState::wait_for(std::chrono::nanoseconds timeout) noexcept {
  if (is_finished()) return true;
  const WaitHint hint(*this);
  std::unique_lock lock(mutex_);
  blocked_waiters_.fetch_add(1, std::memory_order_seq_cst);
  const bool finished = finished_cv_.wait_for(lock, timeout, [this] { return is_finished(); });
  blocked_waiters_.fetch_sub(1, std::memory_order_relaxed);
  return finished;
}

void ExecutionState::rethrow_if_failed() const {
  if (error_) std::rethrow_exception(error_);
}

void ExecutionState::on_finished(std::function<void()> continuation) {
  bool queued = false;
  bool first = false;
  {
    std::lock_guard lock(mutex_);
    if (!is_finished()) {
      queued = true;
      first = !continuation_pending_;
      continuation_pending_ = true;
      continuations_.push_back(std::move(continuation));
    }
  }
  if (!queued) {
    continuation();
  } else if (first) {
    continuation_pending();  // outside the lock: a backend may report completions from here
  }
}

void ExecutionState::report_if_finished() noexcept {
  if (is_finished()) return;
  const WaitHint hint(*this);
}

void ExecutionState::on_finishing(std::shared_ptr<const FinishObserver> observer) {
  {
    std::lock_guard lock(mutex_);
    if (observer_ != nullptr) throw std::logic_error("an execution has one finish observer");
    observer_ = std::move(observer);
    if (!finishing_) return;
  }
  observer_->finishing(*this);
}

void ExecutionState::mark_started(Clock::time_point at) noexcept {
  started_ = at;
  status_.store(ExecutionStatus::running, std::memory_order_relaxed);
}

void ExecutionState::finish_succeeded(Clock::time_point at) noexcept {
  auto now = at != Clock::time_point{} ? at : Clock::now();
  if (started_ == Clock::time_point{}) started_ = now;
  now = std::max(now, started_);  // a backend's clock reading cannot end it before it started
  result_.timings.queued = started_ - submitted_;
  result_.timings.compute = now - started_ - result_.timings.transfer;
  result_.timings.total = now - submitted_;
  finish(ExecutionStatus::succeeded);
}

void ExecutionState::finish_with_result(const KernelResult& result) noexcept {
  try {
    result_ = result;
  } catch (...) {
    finish_failed(std::current_exception());
    return;
  }
  finish(ExecutionStatus::succeeded);
}

void ExecutionState::finish_failed(std::exception_ptr error) noexcept {
  error_ = std::move(error);
  finish(ExecutionStatus::failed);
}

void ExecutionState::finish_cancelled() noexcept { finish_cancelled(started_ != Clock::time_point{}); }

void ExecutionState::finish_dropped() noexcept { finish_cancelled(false); }

void ExecutionState::finish_cancelled(bool started) noexcept {
  try {
    error_ = std::make_exception_ptr(CancelledError(
        "execution of kernel '" + result_.kernel + "' on " + result_.device + " was cancelled " +
        (started ? "while running (it stopped at a chunk boundary)" : "before it started (it never ran)")));
  } catch (...) {
    error_ = std::current_exception();
  }
  finish(ExecutionStatus::cancelled);
}

void ExecutionState::finish(ExecutionStatus status) noexcept {
  final_status_ = status;
  const FinishObserver* observer = nullptr;
  std::vector<std::function<void()>> continuations;
  {
    std::lock_guard lock(mutex_);
    finishing_ = true;
    observer = observer_.get();  // set once, never reset while this state lives
    if (observer == nullptr) {   // nothing to tell first: finished in the same step
      status_.store(status, std::memory_order_seq_cst);
      continuations.swap(continuations_);
    }
  }
  if (observer != nullptr) {
    observer->finishing(*this);
    std::lock_guard lock(mutex_);
    status_.store(status, std::memory_order_seq_cst);
    continuations.swap(continuations_);
  }
  if (blocked_waiters_.load(std::memory_order_seq_cst) > 0) finished_cv_.notify_all();
  if (!continuations.empty()) run_continuations(std::move(continuations));
}

void ExecutionState::run_continuations(std::vector<std::function<void()>> continuations) noexcept {
  for (auto& continuation : continuations) continuation();
}

}  // namespace dotcompute
