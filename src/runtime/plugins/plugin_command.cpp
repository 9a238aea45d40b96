#include "plugin_command.hpp"

#include <utility>

#include "../log.hpp"
#include "dotcompute/backend/device_lifetime.hpp"
#include "dotcompute/errors.hpp"

namespace dotcompute::runtime {

PluginCommand::PluginCommand(LaunchRequest&& request, std::string device)
    : ExecutionState(std::move(request.result), std::move(request.stop)),
      kernel_(std::move(request.kernel)),
      global_(request.global),
      local_(request.local),
      arguments_(std::move(request.arguments)),
      device_(std::move(device)) {
  if (arguments_.size() > kMaxKernelParameters) {
    throw ArgumentError("kernel '" + kernel_->name + "' has " + std::to_string(arguments_.size()) +
                        " arguments, more than the " + std::to_string(kMaxKernelParameters) + " a kernel may take");
  }
}

namespace {

// Takes a launch out of its device's count once everything its complete()
// call set off (the continuations, the command's release) is over.
class HandedBack {
 public:
  explicit HandedBack(std::atomic<int>* in_plugin) noexcept : in_plugin_(in_plugin) {}
  ~HandedBack() {
    if (in_plugin_ != nullptr && in_plugin_->fetch_sub(1, std::memory_order_acq_rel) == 1) in_plugin_->notify_all();
  }
  HandedBack(const HandedBack&) = delete;
  HandedBack& operator=(const HandedBack&) = delete;

 private:
  std::atomic<int>* in_plugin_;
};

}  // namespace

void PluginCommand::release_hold() noexcept {
  if (completed_.exchange(true)) return;  // the plugin completed it anyway: complete() let go of it
  const HandedBack handed_back(std::exchange(in_plugin_, nullptr));
  self_.reset();
}

void PluginCommand::complete(void* context, dc_status_t status, const char* message) {
  const InternalThreadScope internal;  // a plugin's thread: never destroy a device here
  auto* command = static_cast<PluginCommand*>(context);
  if (command->completed_.exchange(true)) {
    log(LogLevel::error, command->device_ + ": the plugin completed a launch twice; ignored");
    return;
  }
  const HandedBack handed_back(command->in_plugin_);                      // outlives `self` below
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
    finish_failed(std::make_exception_ptr(ExecutionError("kernel '" + result().kernel + "' failed on " + device_ +
                                                         " (status " + std::to_string(status) + "): " + failure_)));
  }
}

void PluginCommand::fail_submission(std::exception_ptr error) noexcept {
  set_submit_error(std::move(error));
  remaining_.store(1, std::memory_order_relaxed);  // no kernel part will come
  finish_part();
}

}  // namespace dotcompute::runtime
