// The orchestrator the runtime composes: kernel lookup, device choice, launch
// through the execution service, telemetry.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "dotcompute/backend/execution_state.hpp"
#include "dotcompute/backend_selector.hpp"
#include "dotcompute/kernel_registry.hpp"
#include "dotcompute/orchestrator.hpp"
#include "dotcompute/runtime_services.hpp"

namespace dotcompute::runtime {

/// Thread-safe; holds its collaborators (resolved once, at construction).
class StandardOrchestrator final : public ComputeOrchestrator {
 public:
  /// `default_device` ("" or "auto" = let the selector decide) must name one
  /// of `devices` (ArgumentError otherwise). Sinks that are not enabled() are
  /// dropped: with none left, executions carry no telemetry cost.
  StandardOrchestrator(KernelRegistry& registry, std::shared_ptr<AcceleratorFactory> devices,
                       std::shared_ptr<BackendSelector> selector, std::shared_ptr<KernelExecutionService> execution,
                       std::vector<std::shared_ptr<TelemetrySink>> sinks, std::string default_device);

  Execution execute_kernel_async(std::string_view kernel, const Range& range, std::span<const KernelArg> args,
                                 const ExecutionOptions& options, std::stop_token stop) override;
  [[nodiscard]] std::vector<std::shared_ptr<Accelerator>> available_devices() const override {
    return devices_->devices();
  }
  [[nodiscard]] std::shared_ptr<const KernelDefinition> get_kernel(std::string_view name) const override {
    return registry_.get(name);
  }

 private:
  [[nodiscard]] Accelerator& resolve_device(std::string_view spec, std::string_view origin) const;
  [[nodiscard]] Selection choose_device(const KernelDefinition& kernel, const Range& range,
                                        const ExecutionOptions& options);

  KernelRegistry& registry_;
  std::shared_ptr<AcceleratorFactory> devices_;  // backends start lazily: see resolve_device / choose_device
  std::shared_ptr<BackendSelector> selector_;
  std::shared_ptr<KernelExecutionService> execution_;
  // Tells the enabled sinks about every execution; shared with each execution
  // (which may outlive this orchestrator). Null without sinks: no per-execution cost.
  class TelemetryObserver final : public FinishObserver {
   public:
    explicit TelemetryObserver(std::vector<std::shared_ptr<TelemetrySink>> sinks) : sinks_(std::move(sinks)) {}
    void finishing(const ExecutionState& state) const noexcept override {
      for (const auto& sink : sinks_) sink->execution_finished(state.result(), state.final_status());
    }

   private:
    std::vector<std::shared_ptr<TelemetrySink>> sinks_;
  };
  std::shared_ptr<const TelemetryObserver> telemetry_;
  Accelerator* default_device_ = nullptr;
};

}  // namespace dotcompute::runtime
