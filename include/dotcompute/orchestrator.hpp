// ComputeOrchestrator: runs a registered kernel on the best device.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dotcompute/accelerator.hpp"
#include "dotcompute/execution.hpp"
#include "dotcompute/kernel_args.hpp"
#include "dotcompute/kernel_definition.hpp"
#include "dotcompute/range.hpp"

namespace dotcompute {

/// Per-call options.
struct ExecutionOptions {
  /// "" (runtime default: DOTCOMPUTE_DEVICE, then the selector), a device id
  /// ("cpu:0", "opencl:1") or a backend name ("cpu", "opencl": its first device).
  std::string device;
  /// Work-group size; must divide the range in every dimension. Default: the
  /// largest power of two ≤ 256 dividing dimension 0, and 1 for the others.
  std::optional<Range> local_size;
};

/// Runs kernels: looks the kernel up, checks every argument against its
/// signature, picks a device and submits. Thread-safe.
///
/// Errors found before anything runs are thrown by the call: ArgumentError
/// (unknown kernel or device, wrong arguments), DeviceUnavailableError (no
/// device can run the kernel). Errors while running are stored in the returned
/// Execution.
class ComputeOrchestrator {
 public:
  virtual ~ComputeOrchestrator() = default;

  /// Submits `kernel` over `range` with `args` (one per parameter, in order).
  /// Cancellation is requested when `stop` is stopped or Execution::cancel() is called.
  virtual Execution execute_kernel_async(std::string_view kernel, const Range& range, std::span<const KernelArg> args,
                                         const ExecutionOptions& options = {}, std::stop_token stop = {}) = 0;

  /// Every device of the runtime, in order.
  [[nodiscard]] virtual std::vector<std::shared_ptr<Accelerator>> available_devices() const = 0;

  /// The kernel's definition; ArgumentError (with close matches) when unknown.
  [[nodiscard]] virtual std::shared_ptr<const KernelDefinition> get_kernel(std::string_view name) const = 0;

  /// Typed convenience: `execute("saxpy", dc::Range{n}, n, 2.0f, x, y)`.
  template <class... Args>
  Execution execute(std::string_view kernel, const Range& range, Args&&... args) {
    const std::array<KernelArg, sizeof...(Args)> list{KernelArg(std::forward<Args>(args))...};
    return execute_kernel_async(kernel, range, list);
  }
  /// Typed convenience with options: `execute({.device = "cpu"}, "saxpy", range, ...)`.
  template <class... Args>
  Execution execute(const ExecutionOptions& options, std::string_view kernel, const Range& range, Args&&... args) {
    const std::array<KernelArg, sizeof...(Args)> list{KernelArg(std::forward<Args>(args))...};
    return execute_kernel_async(kernel, range, list, options);
  }
};

}  // namespace dotcompute
