// NVRTC, resolved at run time: compiles the CUDA form of portable kernels
// for a device's compute capability. Needs no GPU.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace dotcompute::cuda {

/// What NVRTC produced: a CUBIN for the exact architecture when NVRTC knows
/// it, else PTX for the newest architecture it knows (the driver finishes it).
struct CompiledImage {
  std::vector<std::byte> bytes;  ///< CUBIN, or PTX text with its terminating NUL
  bool cubin = false;
  std::string target;  ///< "sm_90" or "compute_90"
};

/// The NVRTC library of the CUDA toolkit. Thread-safe.
class Nvrtc {
 public:
  /// Loads NVRTC on first use ($DOTCOMPUTE_NVRTC_LIBRARY, else libnvrtc.so.13,
  /// .12, .so). Throws DeviceUnavailableError naming what was tried.
  [[nodiscard]] static const Nvrtc& instance();

  /// "NVRTC 13.0".
  [[nodiscard]] const std::string& version() const noexcept { return version_; }

  /// Compiles `source` (diagnostics name `program_name`) for compute capability
  /// `major`.`minor`. Throws CompilationError with NVRTC's log, its locations
  /// rewritten as `file:line:`.
  [[nodiscard]] CompiledImage compile(const std::string& source, const std::string& program_name, int major,
                                      int minor) const;

 private:
  Nvrtc() = default;
  struct Api;
  const Api* api_ = nullptr;
  std::string version_;
  std::vector<int> architectures_;  // supported sm_XY, as XY
};

}  // namespace dotcompute::cuda
