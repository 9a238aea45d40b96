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

class PluginAccelerator;

/// Finishes once both parts are done: the plugin completed the kernel, and
/// the submitting thread is done with it (copying writable host spans back,
/// unless the plugin does: DC_BACKEND_WRITES_BACK).
/// Thread-safe as described per member.
class PluginCommand final : public ExecutionState {
 public:
  /// The request's result names its device (error messages use it). Throws
  /// ArgumentError when the request has more arguments than a kernel may take.
  explicit PluginCommand(LaunchRequest&& request);

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

  /// Hands the command to the plugin of `device`: it stays alive until
  /// complete(). The device has counted it in the plugin already; it is
  /// counted out (PluginAccelerator::handed_back) once complete() and every
  /// wait that began meanwhile are over, so the device outlives them.
  void hold(std::shared_ptr<PluginCommand> self, PluginAccelerator& device) noexcept {
    self_ = std::move(self);
    device_ = &device;
    holds_.store(kHolder, std::memory_order_release);
  }
  /// The plugin refused the command: complete() will not come.
  void release_hold() noexcept;

  /// dc_launch_t::complete: the plugin's report, once (a second one is logged and ignored).
  static void complete(void* context, dc_status_t status, const char* message);
  /// dc_launch_t::complete_at: the same, with when the kernel finished.
  static void complete_at(void* context, dc_status_t status, const char* message, std::int64_t finished_ns);
  /// dc_launch_t::cancel_requested.
  static std::int32_t cancel_requested(void* context);

  /// Waits until the plugin completed the kernel; its status.
  [[nodiscard]] dc_status_t wait_for_kernel() const noexcept;
  /// The submitting thread's part is done (after the plugin took the command).
  void finish_part() noexcept { finish_part(Clock::time_point{}); }
  /// The submitting thread's part failed with `error` (before or after the plugin took it).
  void set_submit_error(std::exception_ptr error) noexcept { submit_error_ = std::move(error); }
  /// The command never reached the plugin: it fails with `error`.
  void fail_submission(std::exception_ptr error) noexcept;

 protected:
  /// While the plugin holds it: tells the device that a thread waits
  /// (dc_backend_t::waiting), which reports any completions it held back.
  bool wait_begins() noexcept override;
  void wait_ends() noexcept override;
  /// The same for a continuation, until complete().
  void continuation_pending() noexcept override;
  /// On the device's continuation thread, not the plugin's thread that
  /// completed the command (see ContinuationThread).
  void run_continuations(std::vector<std::function<void()>> continuations) noexcept override;

 private:
  static constexpr dc_status_t kPending = -1;
  // holds_: kDone once complete() (or release_hold) began; kContinuation
  // once a continuation waits through the device (complete() then ends that
  // wait); plus kHolder per party still using the device through this
  // command: the plugin's hold until complete() returns, each wait until it
  // ends, a continuation's until complete().
  static constexpr std::uint32_t kDone = 1;
  static constexpr std::uint32_t kContinuation = 2;
  static constexpr std::uint32_t kHolder = 4;
  // One part is done; the last finishes the command, at `finished` if the
  // plugin's part is last and told when (else now).
  void finish_part(Clock::time_point finished) noexcept;
  // complete() and complete_at(); `finished` may be unknown (a default time point).
  static void completed(void* context, dc_status_t status, const char* message, Clock::time_point finished);
  // Adds a holder unless complete() began (or the plugin never had it); whether it did.
  bool hold_device() noexcept;
  // One party is done with the device; the last counts the command out of it.
  void let_go(PluginAccelerator& device) noexcept;
  std::shared_ptr<const KernelDefinition> kernel_;
  Range global_;
  Range local_;
  std::vector<LaunchArgument> arguments_;
  std::vector<SpanCopy> spans_;
  PluginAccelerator* device_ = nullptr;
  std::shared_ptr<PluginCommand> self_;
  std::atomic<std::uint32_t> holds_{0};  // 0: not handed to the plugin
  std::atomic<dc_status_t> kernel_status_{kPending};
  std::string failure_;
  std::exception_ptr submit_error_;
  std::atomic<int> remaining_{2};
};

}  // namespace dotcompute::runtime
