// Runtime: the zero-ceremony entry point that discovers devices and owns the orchestrator.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "dotcompute/accelerator.hpp"
#include "dotcompute/backend_selector.hpp"
#include "dotcompute/kernel_registry.hpp"
#include "dotcompute/orchestrator.hpp"

namespace dotcompute {

struct RuntimeOptions {
  /// Device used when a call names none: "" reads DOTCOMPUTE_DEVICE, and when
  /// that is unset too the selector decides. Same syntax as ExecutionOptions::device.
  std::string default_device;
  /// Device choice for calls without a device; null = FixedPrioritySelector.
  std::shared_ptr<BackendSelector> selector;
  /// Kernels to run; null = KernelRegistry::global().
  KernelRegistry* registry = nullptr;
  /// CPU backend threads (including threads that wait on results); 0 = all
  /// CPUs this process may run on (DOTCOMPUTE_CPU_THREADS overrides).
  std::size_t cpu_threads = 0;
};

/// A backend that was not started, and why.
struct SkippedBackend {
  std::string backend;
  std::string reason;
};

/// Owns the backends, devices and orchestrator. Move-only; destroying it waits
/// for outstanding work on its devices.
class Runtime {
 public:
  /// Starts the runtime. Throws ArgumentError for invalid options (e.g. an
  /// unknown default device).
  static Runtime create(RuntimeOptions options = {});

  Runtime(Runtime&&) noexcept;
  Runtime& operator=(Runtime&&) noexcept;
  ~Runtime();

  [[nodiscard]] ComputeOrchestrator& orchestrator() noexcept;
  [[nodiscard]] std::vector<std::shared_ptr<Accelerator>> devices() const;
  [[nodiscard]] const std::vector<SkippedBackend>& skipped_backends() const noexcept;
  [[nodiscard]] KernelRegistry& registry() noexcept;

 private:
  struct Impl;
  explicit Runtime(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dotcompute
