#include "dotcompute/execution.hpp"

#include "dotcompute/backend/execution_state.hpp"
#include "dotcompute/errors.hpp"

namespace dotcompute {

namespace {

// State of a continuation created by Execution::then(); finished by the
// predecessor's finishing thread. Waiting on it waits on (and helps) the predecessor.
class ContinuationState final : public ExecutionState {
 public:
  explicit ContinuationState(std::shared_ptr<ExecutionState> predecessor) : predecessor_(std::move(predecessor)) {}

  void run(const std::function<void(const KernelResult&)>& continuation) noexcept {
    if (predecessor_->status() != ExecutionStatus::succeeded) {
      finish_failed(predecessor_->error());
    } else {
      try {
        continuation(predecessor_->result());
        finish_with_result(predecessor_->result());
      } catch (...) {
        finish_failed(std::current_exception());
      }
    }
  }

 protected:
  void help_while_waiting() noexcept override { predecessor_->wait(); }

 private:
  const std::shared_ptr<ExecutionState> predecessor_;
};

}  // namespace

const ExecutionState& Execution::checked_state() const {
  if (!state_) throw ArgumentError("Execution: this handle is empty (default-constructed)");
  return *state_;
}

void Execution::wait() const {
  checked_state();
  state_->wait();
  state_->rethrow_if_failed();
}

bool Execution::wait_for(std::chrono::nanoseconds timeout) const {
  checked_state();
  return state_->wait_for(timeout);
}

bool Execution::is_done() const {
  checked_state();
  state_->report_if_finished();  // a completion its device holds back counts
  return state_->is_finished();
}

KernelResult Execution::get() const {
  wait();
  return state_->result();
}

void Execution::cancel() const {
  checked_state();
  state_->request_cancel();
}

Execution Execution::then(std::function<void(const KernelResult&)> continuation) const {
  checked_state();
  if (!continuation) throw ArgumentError("Execution::then: the continuation is empty");
  auto next = std::make_shared<ContinuationState>(state_);
  state_->on_finished([next, continuation = std::move(continuation)] { next->run(continuation); });
  return Execution(next);
}

}  // namespace dotcompute
