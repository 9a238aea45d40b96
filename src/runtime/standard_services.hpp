// The default implementations of the runtime's services.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stop_token>
#include <thread>
#include <vector>

#include "dotcompute/runtime_services.hpp"

namespace dotcompute::runtime {

/// Kernels from RuntimeOptions::registry, else the process-wide registry.
class StandardKernelDiscovery final : public KernelDiscovery {
 public:
  using dependencies = Dependencies<RuntimeOptions>;
  explicit StandardKernelDiscovery(const std::shared_ptr<RuntimeOptions>& options)
      : registry_(options->registry != nullptr ? *options->registry : KernelRegistry::global()) {}
  [[nodiscard]] KernelRegistry& registry() noexcept override { return registry_; }

 private:
  KernelRegistry& registry_;
};

/// Starts the CPU backend (OpenCL and CUDA are listed as skipped: not built yet).
class StandardAcceleratorFactory final : public AcceleratorFactory {
 public:
  using dependencies = Dependencies<RuntimeOptions>;
  explicit StandardAcceleratorFactory(const std::shared_ptr<RuntimeOptions>& options);
  [[nodiscard]] const std::vector<std::shared_ptr<Accelerator>>& devices() const noexcept override { return devices_; }
  [[nodiscard]] const std::vector<SkippedBackend>& skipped() const noexcept override { return skipped_; }

 private:
  std::vector<std::shared_ptr<Accelerator>> devices_;
  std::vector<SkippedBackend> skipped_;
};

/// Binds arguments (runtime/argument_binding) and launches.
class StandardKernelExecutionService final : public KernelExecutionService {
 public:
  [[nodiscard]] Execution launch(std::shared_ptr<const KernelDefinition> kernel, Accelerator& device,
                                 const Range& range, std::span<const KernelArg> args, const ExecutionOptions& options,
                                 std::string selection_reason, std::stop_token stop) override;
};

/// Reports and trims the devices' pools; applies RuntimeOptions::pool_max_cached_bytes.
class StandardMemoryManager : public MemoryManager {
 public:
  using dependencies = Dependencies<AcceleratorFactory, RuntimeOptions>;
  StandardMemoryManager(const std::shared_ptr<AcceleratorFactory>& factory,
                        const std::shared_ptr<RuntimeOptions>& options);
  [[nodiscard]] std::vector<MemoryPoolReport> report() const override;
  std::size_t trim() override;

 protected:
  struct PoolEntry {
    MemoryPool* pool;
    std::string devices;
  };
  std::vector<PoolEntry> pools_;                 // distinct pools (host-sharing devices share one)
  std::shared_ptr<AcceleratorFactory> factory_;  // keeps the devices, hence their pools, alive
};

/// StandardMemoryManager plus a background thread that trims idle pools.
class AdvancedMemoryManager final : public StandardMemoryManager {
 public:
  AdvancedMemoryManager(const std::shared_ptr<AcceleratorFactory>& factory,
                        const std::shared_ptr<RuntimeOptions>& options, AdvancedMemoryOptions advanced);
  ~AdvancedMemoryManager() override;
  /// Pools trimmed by the background thread so far.
  [[nodiscard]] std::uint64_t background_trims() const noexcept { return background_trims_.load(); }

 private:
  void run(std::stop_token stop);
  AdvancedMemoryOptions advanced_;
  std::atomic<std::uint64_t> background_trims_{0};
  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::jthread thread_;  // last: started after everything it uses
};

}  // namespace dotcompute::runtime
