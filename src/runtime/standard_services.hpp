// The default implementations of the runtime's services.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
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

class StandardPluginManager;

/// The backends of this build: the CPU backend (built in), the CUDA module
/// (loaded from a shared library next to the runtime, when it was built),
/// then the backends of the loaded plugins (OpenCL is one, installed with the
/// runtime). Applies the pool cap
/// to each device pool as its backend starts.
class StandardAcceleratorFactory final : public AcceleratorFactory {
 public:
  using dependencies = Dependencies<RuntimeOptions, StandardPluginManager>;
  StandardAcceleratorFactory(const std::shared_ptr<RuntimeOptions>& options,
                             const std::shared_ptr<StandardPluginManager>& plugins);
  [[nodiscard]] const std::vector<std::shared_ptr<Accelerator>>& devices() override;
  [[nodiscard]] std::span<const std::shared_ptr<Accelerator>> devices_of(std::string_view backend) override;
  [[nodiscard]] std::vector<std::shared_ptr<Accelerator>> started_devices() const override;
  [[nodiscard]] const std::vector<SkippedBackend>& skipped() override;

 private:
  struct Backend {
    std::string name;
    // Enumerates the devices; fills `partly_skipped` with the parts it left out.
    std::function<std::vector<std::shared_ptr<Accelerator>>(std::vector<std::string>& partly_skipped)> start;
    std::once_flag started;
    std::atomic<bool> done{false};
    std::vector<std::shared_ptr<Accelerator>> devices;
    std::string skipped_reason;
    std::vector<std::string> partly_skipped;  // e.g. a platform that failed
  };
  void start(Backend& backend);
  void start_all();

  std::size_t pool_max_cached_bytes_;
  std::vector<std::string> enabled_;  // empty: every backend
  std::vector<std::unique_ptr<Backend>> backends_;
  std::once_flag all_started_;
  std::atomic<bool> all_done_{false};                      // all_started_ ran to the end
  std::vector<std::shared_ptr<Accelerator>> all_devices_;  // set once, by start_all()
  std::vector<SkippedBackend> skipped_;                    // set once, by start_all()
};

/// Binds arguments (runtime/argument_binding) and launches.
class StandardKernelExecutionService final : public KernelExecutionService {
 public:
  [[nodiscard]] Execution launch(std::shared_ptr<const KernelDefinition> kernel, Accelerator& device,
                                 const Range& range, std::span<const KernelArg> args, const ExecutionOptions& options,
                                 SharedText selection_reason, std::stop_token stop) override;
};

/// Reports and trims the pools of the devices started so far.
class StandardMemoryManager : public MemoryManager {
 public:
  using dependencies = Dependencies<AcceleratorFactory>;
  explicit StandardMemoryManager(std::shared_ptr<AcceleratorFactory> factory) : factory_(std::move(factory)) {}
  [[nodiscard]] std::vector<MemoryPoolReport> report() const override;
  std::size_t trim() override;

 protected:
  struct PoolEntry {
    MemoryPool* pool;
    std::string devices;
  };
  /// Distinct pools of the started devices (host-sharing devices share one).
  [[nodiscard]] std::vector<PoolEntry> pools() const;
  std::shared_ptr<AcceleratorFactory> factory_;  // keeps the devices, hence their pools, alive
};

/// StandardMemoryManager plus a background thread that trims idle pools.
class AdvancedMemoryManager final : public StandardMemoryManager {
 public:
  AdvancedMemoryManager(std::shared_ptr<AcceleratorFactory> factory, AdvancedMemoryOptions advanced);
  ~AdvancedMemoryManager() override;

 private:
  void run(std::stop_token stop);
  AdvancedMemoryOptions advanced_;
  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::jthread thread_;  // last: started after everything it uses
};

}  // namespace dotcompute::runtime
