// The CUDA C++ form of portable kernel source: what the CUDA backend compiles
// with NVRTC at run time and dotcompute-kernelc hands to nvcc at build time.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "dotcompute/kernel_definition.hpp"

namespace dotcompute::cuda {

/// The `extern "C" __global__` entry point generated for kernel `kernel`.
[[nodiscard]] std::string entry_name(std::string_view kernel);

/// The geometry every entry point takes as its first parameter: the launch
/// range, so that work items outside it (in partial blocks) return at once.
struct EntryGeometry {
  unsigned long long global[3];
};

/// A complete CUDA C++ translation unit: the CUDA prelude (the DC_* markers and
/// dc_* built-ins; no #include, so NVRTC needs no headers), the source with
/// `#line` so that diagnostics name the .dck file and line, and one entry point
/// per kernel in `kernels` (each of which must come from `source`).
[[nodiscard]] std::string translation_unit(const KernelSource& source,
                                           std::span<const KernelDefinition* const> kernels);

}  // namespace dotcompute::cuda
