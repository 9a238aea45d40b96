// One launch on a plugin device: the ExecutionState the runtime hands out and
// the completion context the plugin calls back.
#pragma once

#include <array>
#include <atomic>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dotcompute/accelerator.hpp"
#include "dotcompute/backend/device_arguments.hpp"
#include "dotcompute/backend/execution_state.hpp"
#include "dotcompute/plugin_abi.h"

namespace dotcompute::runtime {

/// Finishes once both parts are done: the plugin completed the kernel, and
/// the submitting thread is done with it (copying writable host spans back,
/// unless the plugin does: DC_BACKEND_WRITES_BACK).
/// Thread-safe as described per member.
class PluginCommand final : public ExecutionState {
 public:
  /// `device` names the device in error messages. Throws ArgumentError when
  /// the request has more arguments than a kernel may take.
  PluginCommand(LaunchRequest&& request, std::string device);

  /// Its kernel, until the command has gone to the plugin (see kernel_submitted).
  [[nodiscard]] const KernelDefinition& kernel() const noexcept { return *kernel_; }
  /// The plugin has the command: its prepared program is all it needs, so the
  /// definition is let go here, on the submitting thread (which took it),
  /// rather than by whichever thread completes the command.
  void kernel_submitted() noexcept { kernel_.reset(); }
  [[nodiscard]] const Range& global() const noexcept { return global_; }
  [[nodiscard]] const Range& local() const noexcept { return local_; }
  // Filled by the submitting thread before the command goes to the plugin.
  std::vector<LaunchArgument>& arguments() noexcept { return arguments_; }
  std::vector<SpanCopy>& spans() noexcept { return spans_; }

  /// Hands the command to the plugin: it stays alive until complete(), which
  /// then takes it out of `in_plugin` (its device's count, already raised for it).
  void hold(std::shared_ptr<PluginCommand> self, std::atomic<int>& in_plugin) noexcept {
    self_ = std::move(self);
    in_plugin_ = &in_plugin;
  }
  /// The plugin refused the command: complete() will not come.
  void release_hold() noexcept;

  /// dc_launch_t::complete: the plugin's report, once (a second one is logged and ignored).
  static void complete(void* context, dc_status_t status, const char* message);
  /// dc_launch_t::cancel_requested.
  static std::int32_t cancel_requested(void* context);

  /// Waits until the plugin completed the kernel; its status.
  [[nodiscard]] dc_status_t wait_for_kernel() const noexcept;
  /// The submitting thread's part is done (after the plugin took the command).
  void finish_part() noexcept;
  /// The submitting thread's part failed with `error` (before or after the plugin took it).
  void set_submit_error(std::exception_ptr error) noexcept { submit_error_ = std::move(error); }
  /// The command never reached the plugin: it fails with `error`.
  void fail_submission(std::exception_ptr error) noexcept;

 private:
  static constexpr dc_status_t kPending = -1;
  std::shared_ptr<const KernelDefinition> kernel_;
  Range global_;
  Range local_;
  std::vector<LaunchArgument> arguments_;
  std::vector<SpanCopy> spans_;
  std::string device_;
  std::atomic<int>* in_plugin_ = nullptr;
  std::shared_ptr<PluginCommand> self_;
  std::atomic<bool> completed_{false};
  std::atomic<dc_status_t> kernel_status_{kPending};
  std::string failure_;
  std::exception_ptr submit_error_;
  std::atomic<int> remaining_{2};
};

}  // namespace dotcompute::runtime
