// Loads backend modules (OpenCL, later CUDA) from shared libraries, so that
// the runtime has no link-time dependency on any driver library.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "dotcompute/accelerator.hpp"

namespace dotcompute::runtime {

/// The folder the runtime library was loaded from (backend modules lie beside
/// it, installed plugins in dotcompute/plugins under it).
[[nodiscard]] std::filesystem::path runtime_library_directory();

/// The provider of `libdotcompute_backend_<backend>.so`, found next to the
/// runtime library (or in $DOTCOMPUTE_BACKEND_DIR). The module stays loaded
/// for the life of the process. Throws DeviceUnavailableError with the reason
/// (not built, cannot be loaded and why, no entry point).
/// `cache_directory` is passed to the module for its compiled programs ("" = its default).
[[nodiscard]] std::unique_ptr<AcceleratorProvider> load_backend_module(const std::string& backend,
                                                                       const std::string& cache_directory);

}  // namespace dotcompute::runtime
