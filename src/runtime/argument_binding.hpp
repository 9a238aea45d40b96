// Checks a call's arguments against a kernel's signature and converts them
// into launch arguments.
#pragma once

#include <span>
#include <vector>

#include "dotcompute/accelerator.hpp"
#include "dotcompute/kernel_args.hpp"

namespace dotcompute::runtime {

/// Launch arguments for `kernel` over `range`, or ArgumentError naming the
/// kernel, the parameter and the reason: wrong count, kind, element type,
/// access, a scalar that does not convert losslessly, a buffer smaller than
/// its DC_SIZE expression (or than the range when it has none).
[[nodiscard]] std::vector<LaunchArgument> bind_arguments(const KernelDefinition& kernel, const Range& range,
                                                         std::span<const KernelArg> args);

/// The launch's work-group size: `requested` checked against `range`, or the
/// default (largest power of two ≤ 256 dividing dimension 0; 1 elsewhere).
/// Also checks that the range's dimensions match the kernel's.
[[nodiscard]] Range resolve_local_size(const KernelDefinition& kernel, const Range& range,
                                       const std::optional<Range>& requested);

}  // namespace dotcompute::runtime
