#include "plugin_command.hpp"

#include <utility>

#include "../log.hpp"
#include "dotcompute/backend/device_lifetime.hpp"
#include "dotcompute/errors.hpp"
#include "plugin_accelerator.hpp"

namespace dotcompute::runtime {

PluginCommand::PluginCommand(LaunchRequest&& request)
    : ExecutionState(std::move(request.result), std::move(request.stop)),
      kernel_(std::move(request.kernel)),
      global_(request.global),
      local_(request.local),
      arguments_(std::move(request.arguments)) {
  if (arguments_.size() > kMaxKernelParameters) {
    throw ArgumentError("kernel '" + kernel_->name + "' has " + std::to_string(arguments_.size()) +
                        " arguments, more than the " + std::to_string(kMaxKernelParameters) + " a kernel may take");
  }
}

void PluginCommand::let_go(PluginAccelerator& device) noexcept {
  if ((holds_.fetch_sub(kHolder, std::memory_order_acq_rel) - kHolder) / kHolder == 0) device.handed_back();
}

bool PluginCommand::hold_device() noexcept {
  std::uint32_t holds = holds_.load(std::memory_order_acquire);
  do {
    if (holds == 0 || (holds & kDone) != 0) return false;  // not in the plugin (yet, or any more)
  } while (!holds_.compare_exchange_weak(holds, holds + kHolder, std::memory_order_acq_rel));
  return true;
}

void PluginCommand::release_hold() noexcept {
  if ((holds_.fetch_or(kDone, std::memory_order_acq_rel) & kDone) != 0) return;  // completed anyway: let go there
  PluginAccelerator& device = *device_;
  self_.reset();  // the submitting thread still holds it
  let_go(device);
}

void PluginCommand::complete(void* context, dc_status_t status, const char* message) {
  completed(context, status, message, Clock::time_point{});
}

void PluginCommand::complete_at(void* context, dc_status_t status, const char* message, std::int64_t finished_ns) {
  completed(context, status, message, Clock::time_point(std::chrono::nanoseconds(finished_ns)));
}

void PluginCommand::completed(void* context, dc_status_t status, const char* message, Clock::time_point finished) {
  const InternalThreadScope internal;  // a plugin's thread: never destroy a device here
  auto* command = static_cast<PluginCommand*>(context);
  const std::uint32_t before = command->holds_.fetch_or(kDone, std::memory_order_acq_rel);
  if ((before & kDone) != 0) {
    log(LogLevel::error, command->result().device + ": the plugin completed a launch twice; ignored");
    return;
  }
  PluginAccelerator& device = *command->device_;
  std::shared_ptr<PluginCommand> self = std::move(command->self_);
  if (status != DC_STATUS_OK) command->failure_ = message != nullptr && *message != '\0' ? message : "no message";
  command->kernel_status_.store(status, std::memory_order_release);
  command->kernel_status_.notify_all();
  command->finish_part(finished);
  // Its continuation no longer waits for the device; the plugin's hold and
  // the continuation's go together, once everything this call set off (the
  // continuations, the command's release) is over.
  const bool continuation = (before & kContinuation) != 0;
  if (continuation) device.waiting(false);
  const std::uint32_t leaving = continuation ? 2 * kHolder : kHolder;
  const bool last = (command->holds_.fetch_sub(leaving, std::memory_order_acq_rel) - leaving) / kHolder == 0;
  self.reset();
  if (last) device.handed_back();
}

bool PluginCommand::wait_begins() noexcept {
  if (!hold_device()) return false;
  device_->waiting(true);
  return true;
}

void PluginCommand::wait_ends() noexcept {
  PluginAccelerator& device = *device_;
  device.waiting(false);
  let_go(device);
}

void PluginCommand::continuation_pending() noexcept {
  if (!hold_device()) return;
  PluginAccelerator& device = *device_;
  device.waiting(true);
  // complete() ends the wait, and lets go of this hold, unless it began already.
  if ((holds_.fetch_or(kContinuation, std::memory_order_acq_rel) & kDone) == 0) return;
  device.waiting(false);
  let_go(device);
}

void PluginCommand::run_continuations(std::vector<std::function<void()>> continuations) noexcept {
  if (device_ == nullptr) {  // it never reached the plugin: finished on the submitting thread
    ExecutionState::run_continuations(std::move(continuations));
    return;
  }
  device_->continuations().post(std::move(continuations));
}

std::int32_t PluginCommand::cancel_requested(void* context) {
  return static_cast<PluginCommand*>(context)->ExecutionState::cancel_requested() ? 1 : 0;
}

dc_status_t PluginCommand::wait_for_kernel() const noexcept {
  kernel_status_.wait(kPending, std::memory_order_acquire);
  return kernel_status_.load(std::memory_order_acquire);
}

void PluginCommand::finish_part(Clock::time_point finished) noexcept {
  if (remaining_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  spans_.clear();  // temporary device copies: released before waiters return
  const dc_status_t status = kernel_status_.load(std::memory_order_acquire);
  if (submit_error_ != nullptr) {
    finish_failed(submit_error_);
  } else if (status == DC_STATUS_OK) {
    finish_succeeded(finished);
  } else if (status == DC_STATUS_CANCELLED) {
    finish_dropped();  // the plugin's status means: dropped before it started
  } else {
    finish_failed(
        std::make_exception_ptr(ExecutionError("kernel '" + result().kernel + "' failed on " + result().device +
                                               " (status " + std::to_string(status) + "): " + failure_)));
  }
}

void PluginCommand::fail_submission(std::exception_ptr error) noexcept {
  set_submit_error(std::move(error));
  remaining_.store(1, std::memory_order_relaxed);  // no kernel part will come
  finish_part();
}

}  // namespace dotcompute::runtime
