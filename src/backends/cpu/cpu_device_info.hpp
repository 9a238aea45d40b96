// Detects the host CPU's identity and capabilities.
#pragma once

#include <cstddef>

#include "dotcompute/accelerator.hpp"

namespace dotcompute::cpu {

/// Model name and vendor (cpuid), `threads`, SIMD width and features, physical memory.
[[nodiscard]] DeviceInfo detect_cpu_device_info(std::size_t threads);

/// CPUs in this process's affinity mask (at least 1).
[[nodiscard]] std::size_t available_cpu_count() noexcept;

}  // namespace dotcompute::cpu
