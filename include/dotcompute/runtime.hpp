// Runtime: the zero-ceremony facade over the service composition of
// add_dotcompute_runtime (see runtime_services.hpp).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "dotcompute/accelerator.hpp"
#include "dotcompute/backend_selector.hpp"
#include "dotcompute/kernel_registry.hpp"
#include "dotcompute/orchestrator.hpp"
#include "dotcompute/runtime_options.hpp"
#include "dotcompute/runtime_services.hpp"
#include "dotcompute/services.hpp"

namespace dotcompute {

/// Owns a service provider composed by add_dotcompute_runtime and the services
/// resolved from it. Move-only; destroying it releases the services in reverse
/// creation order (the devices wait for their outstanding work, and for
/// continuations still running on their threads).
class Runtime {
 public:
  /// Default options, with DOTCOMPUTE_* environment variables applied.
  static Runtime create();
  /// `options`, with environment variables filling the fields left at their default.
  static Runtime create(RuntimeOptions options);
  /// Default options edited by `configure`, then the environment.
  static Runtime create(const std::function<void(RuntimeOptions&)>& configure);
  /// A provider built from a collection that add_dotcompute_runtime() filled
  /// (possibly with services replaced). ServiceResolutionError if it is not.
  static Runtime from_services(ServiceProvider provider);

  Runtime(Runtime&&) noexcept;
  Runtime& operator=(Runtime&&) noexcept;
  ~Runtime();

  [[nodiscard]] ComputeOrchestrator& orchestrator() noexcept;
  /// Every device (starts every backend not started yet).
  [[nodiscard]] std::vector<std::shared_ptr<Accelerator>> devices() const;
  /// Backends that were not started, with the reason (starts every backend).
  [[nodiscard]] const std::vector<SkippedBackend>& skipped_backends() const;
  [[nodiscard]] KernelRegistry& registry() noexcept;
  [[nodiscard]] const RuntimeOptions& options() const noexcept;
  /// The provider, to resolve further services (MemoryManager, PerformanceMonitor, ...).
  [[nodiscard]] ServiceProvider& services() noexcept;

 private:
  struct Impl;
  explicit Runtime(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dotcompute
