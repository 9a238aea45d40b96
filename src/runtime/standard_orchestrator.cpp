#include "standard_orchestrator.hpp"

#include "dotcompute/backend/execution_state.hpp"
#include "dotcompute/errors.hpp"

namespace dotcompute::runtime {

StandardOrchestrator::StandardOrchestrator(KernelRegistry& registry, std::shared_ptr<AcceleratorFactory> devices,
                                           std::shared_ptr<BackendSelector> selector,
                                           std::shared_ptr<KernelExecutionService> execution,
                                           std::vector<std::shared_ptr<TelemetrySink>> sinks,
                                           std::string default_device)
    : registry_(registry),
      devices_(std::move(devices)),
      selector_(std::move(selector)),
      execution_(std::move(execution)) {
  if (!devices_) throw ArgumentError("the orchestrator needs an accelerator factory");
  if (!selector_) throw ArgumentError("the orchestrator needs a backend selector");
  if (!execution_) throw ArgumentError("the orchestrator needs a kernel execution service");
  std::erase_if(sinks, [](const auto& sink) { return !sink || !sink->enabled(); });
  if (!sinks.empty()) telemetry_ = std::make_shared<const TelemetryObserver>(std::move(sinks));
  if (!default_device.empty() && default_device != "auto") {
    default_device_ = &resolve_device(default_device, "the default accelerator (RuntimeOptions or DOTCOMPUTE_DEVICE)");
  }
}

// "cpu:0" or "opencl" start only the backend they name; anything else (a
// device name, a typo) needs every backend to look it up or list the choices.
Accelerator& StandardOrchestrator::resolve_device(std::string_view spec, std::string_view origin) const {
  const std::string_view backend = spec.substr(0, spec.find(':'));
  const auto of_backend = devices_->devices_of(backend);
  for (const auto& device : of_backend) {
    if (device->info().id == spec) return *device;
  }
  if (spec == backend && !of_backend.empty()) return *of_backend.front();
  const auto& all = devices_->devices();
  for (const auto& device : all) {
    if (device->info().name == spec) return *device;
  }
  std::string available;
  for (const auto& device : all) available += (available.empty() ? "" : ", ") + device->info().id;
  throw ArgumentError("unknown device '" + std::string(spec) + "' in " + std::string(origin) +
                      " (available: " + (available.empty() ? "none" : available) + ")");
}

Selection StandardOrchestrator::choose_device(const KernelDefinition& kernel, const Range& range,
                                              const ExecutionOptions& options) {
  // Fixed texts: no allocation per launch (KernelResult::device names the device).
  Accelerator* chosen = nullptr;
  SharedText reason;
  if (!options.device.empty()) {
    chosen = &resolve_device(options.device, "ExecutionOptions::device");
    reason = SharedText::literal("requested in ExecutionOptions::device");
  } else if (default_device_ != nullptr) {
    chosen = default_device_;
    reason = SharedText::literal("the default accelerator (RuntimeOptions::default_accelerator or DOTCOMPUTE_DEVICE)");
  }
  if (chosen != nullptr) {
    if (!chosen->can_run(kernel))
      throw ArgumentError(chosen->cannot_run_reason(kernel) + " (device " + chosen->info().id + ")");
    return {chosen, std::move(reason)};
  }
  // Fast path: every device can run it (the common case), so no copy is needed.
  // A device being replaced (plugin hot reload) is left out while others can serve.
  const auto& devices = devices_->devices();
  bool all = true;
  for (const auto& device : devices) all = all && device->accepting_work() && device->can_run(kernel);
  std::vector<std::shared_ptr<Accelerator>> filtered;
  if (!all) {
    std::string why;
    std::vector<std::shared_ptr<Accelerator>> reloading;
    for (const auto& device : devices) {
      if (!device->accepting_work()) {
        reloading.push_back(device);
      } else if (device->can_run(kernel)) {
        filtered.push_back(device);
      } else {
        why += "\n  " + device->info().id + ": " + device->cannot_run_reason(kernel);
      }
    }
    if (filtered.empty()) filtered = std::move(reloading);  // their launches wait for the new version
    if (filtered.empty()) {
      throw DeviceUnavailableError("no available device can run kernel '" + kernel.name + "'" +
                                   (why.empty() ? std::string(" (no devices)") : ":" + why));
    }
  }
  const std::span<const std::shared_ptr<Accelerator>> candidates = all ? std::span(devices) : std::span(filtered);
  Selection selection = selector_->select(SelectionRequest{kernel, range, candidates});
  if (selection.device == nullptr) {
    throw DeviceUnavailableError("backend selector '" + std::string(selector_->name()) +
                                 "' chose no device for kernel '" + kernel.name + "'");
  }
  return selection;
}

Execution StandardOrchestrator::execute_kernel_async(std::string_view name, const Range& range,
                                                     std::span<const KernelArg> args, const ExecutionOptions& options,
                                                     std::stop_token stop) {
  std::shared_ptr<const KernelDefinition> kernel = registry_.get(name);
  Selection selection = choose_device(*kernel, range, options);
  Execution execution = execution_->launch(std::move(kernel), *selection.device, range, args, options,
                                           std::move(selection.reason), std::move(stop));
  if (telemetry_) {
    // Recorded before waiters are released, so a sink's figures include an
    // execution once wait() returns. The observer lives in the state and runs
    // while it is alive; it shares the sinks so that it may outlive this orchestrator.
    execution.state()->on_finishing(telemetry_);
  }
  return execution;
}

}  // namespace dotcompute::runtime
