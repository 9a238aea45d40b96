// BackendSelector: picks the device for each execution that names none.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "dotcompute/accelerator.hpp"
#include "dotcompute/shared_text.hpp"

namespace dotcompute {

/// What a selector decides on.
struct SelectionRequest {
  const KernelDefinition& kernel;
  const Range& range;
  /// Devices that can run the kernel, in the runtime's order; never empty.
  std::span<const std::shared_ptr<Accelerator>> candidates;
};

/// A selector's answer: one of the candidates and a human-readable reason.
/// A fixed reason is best given as SharedText::literal("..."): it then costs
/// no allocation per execution.
struct Selection {
  Accelerator* device = nullptr;
  SharedText reason;
};

/// Chooses a device per execution. Implementations must be thread-safe; they
/// run on the submitting thread for every execution, so keep them cheap.
class BackendSelector {
 public:
  virtual ~BackendSelector() = default;
  [[nodiscard]] virtual std::string_view name() const noexcept = 0;
  [[nodiscard]] virtual Selection select(const SelectionRequest& request) = 0;
};

/// Fixed priority: CUDA GPU > OpenCL GPU > other GPU > CPU backend > OpenCL CPU
/// > anything else; ties go to the earlier device. Learns nothing.
class FixedPrioritySelector final : public BackendSelector {
 public:
  [[nodiscard]] std::string_view name() const noexcept override { return "fixed-priority"; }
  [[nodiscard]] Selection select(const SelectionRequest& request) override;

  /// The rank of a device (lower is preferred).
  [[nodiscard]] static int rank(const DeviceInfo& device) noexcept;
};

}  // namespace dotcompute
