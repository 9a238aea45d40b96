// A registered kernel described for a plugin's C table (dc_kernel_t): its
// name, parameters, portable source, ahead-of-time CUDA fatbin and native
// host code, with the storage the descriptor points into.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "dotcompute/kernel_definition.hpp"
#include "dotcompute/plugin_abi.h"

namespace dotcompute::runtime {

/// Immutable once made; not movable (descriptor() points into it). Keeps the
/// kernel's source alive; the KernelDefinition itself need not outlive it.
class PluginKernel {
 public:
  explicit PluginKernel(const KernelDefinition& kernel);
  PluginKernel(const PluginKernel&) = delete;
  PluginKernel& operator=(const PluginKernel&) = delete;

  /// What a plugin's prepare_kernel() takes; valid as long as this object.
  [[nodiscard]] const dc_kernel_t& descriptor() const noexcept { return descriptor_; }
  /// Whether it describes `kernel` (same name, native code and source).
  [[nodiscard]] bool describes(const KernelDefinition& kernel) const noexcept {
    return kernel.name == name_ && kernel.cpu_entry == cpu_entry_ && kernel.source == source_;
  }

 private:
  /// dc_kernel_t::run_host_chunk: runs `host_code` (a PluginKernel)'s native code.
  static void run_host_chunk(const void* host_code, const void* const* values, const dc_work_geometry_t* geometry,
                             std::uint64_t begin, std::uint64_t end);

  std::shared_ptr<const KernelSource> source_;
  std::string name_;
  cpu::KernelEntry cpu_entry_ = nullptr;
  std::vector<std::string> parameter_names_;
  std::vector<dc_kernel_parameter_t> parameters_;
  std::string cuda_targets_;  // "sm_80 sm_90": the source's CUDA fatbin holds these
  dc_kernel_binary_t cuda_fatbin_{};
  dc_kernel_t descriptor_{};
};

}  // namespace dotcompute::runtime
