// The services a runtime is composed of, and the functions that register
// them in a ServiceCollection (DESIGN.md §6).
//
//   dc::ServiceCollection services;
//   services.add_singleton<dc::BackendSelector, MySelector>();   // replaces the default
//   dc::add_dotcompute_runtime(services, [](dc::RuntimeOptions& o) { o.enable_telemetry = true; });
//   dc::Runtime runtime = dc::Runtime::from_services(services.build());
//
// add_dotcompute_runtime() registers every service with try_add, and
// resolution returns a type's last registration, so an application's own
// registration wins whether it is made before or after the call.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <stop_token>
#include <string>
#include <vector>

#include "dotcompute/accelerator.hpp"
#include "dotcompute/backend/execution_state.hpp"
#include "dotcompute/kernel_registry.hpp"
#include "dotcompute/orchestrator.hpp"
#include "dotcompute/runtime_options.hpp"
#include "dotcompute/services.hpp"

namespace dotcompute {

/// A backend that was not started, and why.
struct SkippedBackend {
  std::string backend;
  std::string reason;
};

/// Where the runtime finds kernels.
class KernelDiscovery {
 public:
  virtual ~KernelDiscovery() = default;
  [[nodiscard]] virtual KernelRegistry& registry() noexcept = 0;
};

/// Starts the backends and owns their devices. Backends start lazily, each
/// at most once: enumerating OpenCL costs ~28 ms per process, so only callers
/// that need its devices (or every device) pay for it. Thread-safe.
class AcceleratorFactory {
 public:
  virtual ~AcceleratorFactory() = default;
  /// Every device of every backend, in backend order; starts the backends not started yet.
  [[nodiscard]] virtual const std::vector<std::shared_ptr<Accelerator>>& devices() = 0;
  /// The devices of one backend ("cpu", "opencl", ...), starting only that
  /// backend; empty for an unknown backend. Valid as long as the factory.
  [[nodiscard]] virtual std::span<const std::shared_ptr<Accelerator>> devices_of(std::string_view backend) = 0;
  /// The devices started so far; starts nothing.
  [[nodiscard]] virtual std::vector<std::shared_ptr<Accelerator>> started_devices() const = 0;
  /// Backends that could not start (or are not built), with the reason; starts every backend.
  [[nodiscard]] virtual const std::vector<SkippedBackend>& skipped() = 0;
};

/// Checks arguments against the kernel's signature and launches on a device
/// already chosen. Thread-safe. Throws ArgumentError before anything runs.
class KernelExecutionService {
 public:
  virtual ~KernelExecutionService() = default;
  [[nodiscard]] virtual Execution launch(std::shared_ptr<const KernelDefinition> kernel, Accelerator& device,
                                         const Range& range, std::span<const KernelArg> args,
                                         const ExecutionOptions& options, SharedText selection_reason,
                                         std::stop_token stop) = 0;
};

/// Statistics of one device memory pool.
struct MemoryPoolReport {
  std::string devices;  ///< ids of the devices using the pool ("cpu:0")
  std::string pool;     ///< pool name
  MemoryPoolStats stats;
};

/// The runtime's view of device memory. Thread-safe.
class MemoryManager {
 public:
  virtual ~MemoryManager() = default;
  [[nodiscard]] virtual std::vector<MemoryPoolReport> report() const = 0;
  /// Returns every pool's cached blocks upstream; bytes released.
  virtual std::size_t trim() = 0;
};

/// Receives a notification per finished execution. Called on the thread that
/// finishes the execution: keep it short and thread-safe.
class TelemetrySink {
 public:
  virtual ~TelemetrySink() = default;
  /// False for sinks that record nothing; the orchestrator then skips them
  /// entirely (no per-execution cost).
  [[nodiscard]] virtual bool enabled() const noexcept { return true; }
  virtual void execution_finished(const KernelResult& result, ExecutionStatus status) noexcept = 0;
};

/// The default sink: records nothing, costs nothing.
class NullTelemetrySink final : public TelemetrySink {
 public:
  [[nodiscard]] bool enabled() const noexcept override { return false; }
  void execution_finished(const KernelResult&, ExecutionStatus) noexcept override {}
};

/// Per (kernel, device) execution statistics: counts by outcome, total /
/// minimum / maximum wall time, and a histogram of total time in powers of two
/// of microseconds. Thread-safe.
class PerformanceMonitor final : public TelemetrySink {
 public:
  struct Entry {
    std::uint64_t succeeded = 0;
    std::uint64_t failed = 0;
    std::uint64_t cancelled = 0;
    std::chrono::nanoseconds total_time{0};
    std::chrono::nanoseconds min_time = std::chrono::nanoseconds::max();
    std::chrono::nanoseconds max_time{0};
    /// histogram[i]: executions whose total time t satisfies 2^(i-1) µs <= t < 2^i µs (i = 0: < 1 µs).
    std::vector<std::uint64_t> histogram = std::vector<std::uint64_t>(32, 0);
  };
  /// Key: "kernel@device".
  using Snapshot = std::map<std::string, Entry>;

  void execution_finished(const KernelResult& result, ExecutionStatus status) noexcept override;
  [[nodiscard]] Snapshot snapshot() const;
  void reset();

 private:
  mutable std::mutex mutex_;
  Snapshot entries_;
};

/// Registers the runtime's services (see the top of this file). Options start
/// as RuntimeOptions{}, `configure` edits them, the environment fills fields
/// still at their default, then they are validated (ArgumentError listing every
/// invalid field). enable_telemetry adds add_performance_monitoring().
void add_dotcompute_runtime(ServiceCollection& services, const std::function<void(RuntimeOptions&)>& configure = {});

/// Registers a PerformanceMonitor, also as a TelemetrySink: the orchestrator
/// then reports every finished execution to it.
void add_performance_monitoring(ServiceCollection& services);

struct AdvancedMemoryOptions {
  /// How often the background trimmer looks at the pools.
  std::chrono::milliseconds check_interval{250};
  /// A pool with no allocation for this long gives its cached blocks back.
  std::chrono::milliseconds idle_trim_after{2000};
};

/// Replaces the MemoryManager with one that also runs a background trimmer:
/// pools idle for `idle_trim_after` are trimmed. The thread stops when the
/// provider is destroyed.
void add_advanced_memory_management(ServiceCollection& services, AdvancedMemoryOptions options = {});

}  // namespace dotcompute
