#include "plugin_command.hpp"

#include "../log.hpp"
#include "dotcompute/backend/device_lifetime.hpp"
#include "dotcompute/errors.hpp"

namespace dotcompute::runtime {

PluginCommand::PluginCommand(LaunchRequest&& request, std::string device,
                             std::shared_ptr<std::atomic<int>> callbacks_running)
    : ExecutionState(std::move(request.result), std::move(request.stop)),
      kernel_(std::move(request.kernel)),
      global_(request.global),
      local_(request.local),
      arguments_(std::move(request.arguments)),
      device_(std::move(device)),
      callbacks_running_(std::move(callbacks_running)) {
  if (arguments_.size() > c_arguments_.size()) {
    throw ArgumentError("kernel '" + kernel_->name + "' has " + std::to_string(arguments_.size()) +
                        " arguments, more than the " + std::to_string(c_arguments_.size()) + " a kernel may take");
  }
}

namespace {

// Counts a complete() call from its start until everything it set off (the
// continuations, the command's release) is over.
class CallbackInProgress {
 public:
  explicit CallbackInProgress(std::shared_ptr<std::atomic<int>> running) : running_(std::move(running)) {
    running_->fetch_add(1, std::memory_order_acq_rel);
  }
  ~CallbackInProgress() {
    running_->fetch_sub(1, std::memory_order_acq_rel);
    running_->notify_all();
  }
  CallbackInProgress(const CallbackInProgress&) = delete;
  CallbackInProgress& operator=(const CallbackInProgress&) = delete;

 private:
  std::shared_ptr<std::atomic<int>> running_;
};

}  // namespace

void PluginCommand::complete(void* context, dc_status_t status, const char* message) {
  const InternalThreadScope internal;  // a plugin's thread: never destroy a device here
  auto* command = static_cast<PluginCommand*>(context);
  const CallbackInProgress in_progress(command->callbacks_running_);  // outlives `self` below
  if (command->completed_.exchange(true)) {
    log(LogLevel::error, command->device_ + ": the plugin completed a launch twice; ignored");
    return;
  }
  const std::shared_ptr<PluginCommand> self = std::move(command->self_);  // alive to the end of this call
  if (status != DC_STATUS_OK) command->failure_ = message != nullptr && *message != '\0' ? message : "no message";
  command->kernel_status_.store(status, std::memory_order_release);
  command->kernel_status_.notify_all();
  command->finish_part();
}

std::int32_t PluginCommand::cancel_requested(void* context) {
  return static_cast<PluginCommand*>(context)->ExecutionState::cancel_requested() ? 1 : 0;
}

dc_status_t PluginCommand::wait_for_kernel() const noexcept {
  kernel_status_.wait(kPending, std::memory_order_acquire);
  return kernel_status_.load(std::memory_order_acquire);
}

void PluginCommand::finish_part() noexcept {
  if (remaining_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  spans_.clear();  // temporary device copies: released before waiters return
  const dc_status_t status = kernel_status_.load(std::memory_order_acquire);
  if (submit_error_ != nullptr) {
    finish_failed(submit_error_);
  } else if (status == DC_STATUS_OK) {
    finish_succeeded();
  } else if (status == DC_STATUS_CANCELLED) {
    finish_dropped();  // the plugin's status means: dropped before it started
  } else {
    finish_failed(std::make_exception_ptr(ExecutionError("kernel '" + kernel_->name + "' failed on " + device_ +
                                                         " (status " + std::to_string(status) + "): " + failure_)));
  }
}

void PluginCommand::fail_submission(std::exception_ptr error) noexcept {
  set_submit_error(std::move(error));
  remaining_.store(1, std::memory_order_relaxed);  // no kernel part will come
  finish_part();
}

}  // namespace dotcompute::runtime
