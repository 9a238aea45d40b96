// Tables that dotcompute-kernelc emits for each .dck file, and the call that
// registers them. Used by generated code only.
#pragma once

#include <cstddef>

#include "dotcompute/cpu/kernel_abi.hpp"
#include "dotcompute/kernel_definition.hpp"

namespace dotcompute::cpu {

struct GeneratedParameter {
  const char* name;
  ParameterKind kind;
  ScalarType type;
  Access access;
  const char* required_elements;  ///< DC_SIZE expression, "" when absent
};

struct GeneratedKernel {
  const char* name;
  int dimensions;
  int line;  ///< line of the kernel in the .dck file
  const GeneratedParameter* parameters;
  std::size_t parameter_count;
  KernelEntry entry;
};

/// The ahead-of-time CUDA fatbin of one .dck file (built by nvcc, embedded by
/// dotcompute-kernelc --embed-fatbin).
struct GeneratedCudaBinary {
  const unsigned char* image;
  std::size_t size;
  const char* architectures;  ///< "80,90": the machine code it holds
};

/// Registers the kernels of one generated file in KernelRegistry::global().
/// Called during static initialisation; never throws: a clash is recorded and
/// reported when the kernel is looked up. `cuda` is null without a fatbin.
void register_generated_kernels(const char* source, const char* path, const GeneratedKernel* kernels, std::size_t count,
                                const GeneratedCudaBinary* cuda = nullptr) noexcept;

}  // namespace dotcompute::cpu
