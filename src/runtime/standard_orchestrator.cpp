#include "standard_orchestrator.hpp"

#include "argument_binding.hpp"
#include "dotcompute/errors.hpp"

namespace dotcompute::runtime {

StandardOrchestrator::StandardOrchestrator(KernelRegistry& registry, std::vector<std::shared_ptr<Accelerator>> devices,
                                           std::shared_ptr<BackendSelector> selector, std::string default_device,
                                           std::string default_device_origin)
    : registry_(registry), devices_(std::move(devices)), selector_(std::move(selector)) {
  if (!selector_) throw ArgumentError("the orchestrator needs a backend selector");
  if (!default_device.empty()) {
    default_device_ = &resolve_device(default_device, default_device_origin);
    default_device_reason_ = "default device from " + default_device_origin + "='" + default_device + "'";
  }
}

Accelerator& StandardOrchestrator::resolve_device(std::string_view spec, std::string_view origin) const {
  for (const auto& device : devices_) {
    if (device->info().id == spec) return *device;
  }
  for (const auto& device : devices_) {
    if (device->info().backend == spec) return *device;
  }
  std::string available;
  for (const auto& device : devices_) available += (available.empty() ? "" : ", ") + device->info().id;
  throw ArgumentError("unknown device '" + std::string(spec) + "' in " + std::string(origin) +
                      " (available: " + (available.empty() ? "none" : available) + ")");
}

Selection StandardOrchestrator::choose_device(const KernelDefinition& kernel, const Range& range,
                                              const ExecutionOptions& options) {
  Accelerator* chosen = nullptr;
  std::string reason;
  if (!options.device.empty()) {
    chosen = &resolve_device(options.device, "ExecutionOptions::device");
    reason = "requested in ExecutionOptions ('" + options.device + "')";
  } else if (default_device_ != nullptr) {
    chosen = default_device_;
    reason = default_device_reason_;
  }
  if (chosen != nullptr) {
    if (!chosen->can_run(kernel))
      throw ArgumentError(chosen->cannot_run_reason(kernel) + " (device " + chosen->info().id + ")");
    return {chosen, std::move(reason)};
  }
  // Fast path: every device can run it (the common case), so no copy is needed.
  bool all = true;
  for (const auto& device : devices_) all = all && device->can_run(kernel);
  std::vector<std::shared_ptr<Accelerator>> filtered;
  if (!all) {
    std::string why;
    for (const auto& device : devices_) {
      if (device->can_run(kernel)) {
        filtered.push_back(device);
      } else {
        why += "\n  " + device->info().id + ": " + device->cannot_run_reason(kernel);
      }
    }
    if (filtered.empty()) {
      throw DeviceUnavailableError("no available device can run kernel '" + kernel.name + "'" +
                                   (why.empty() ? std::string(" (no devices)") : ":" + why));
    }
  }
  const std::span<const std::shared_ptr<Accelerator>> candidates = all ? std::span(devices_) : std::span(filtered);
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
  LaunchRequest request;
  request.local = resolve_local_size(*kernel, range, options.local_size);
  request.arguments = bind_arguments(*kernel, range, args);
  Selection selection = choose_device(*kernel, range, options);
  request.global = range;
  request.result.kernel = kernel->name;
  request.result.device = selection.device->info().id;
  request.result.selection_reason = std::move(selection.reason);
  request.result.range = range;
  request.stop = std::move(stop);
  request.kernel = std::move(kernel);
  return Execution(selection.device->launch(std::move(request)));
}

}  // namespace dotcompute::runtime
