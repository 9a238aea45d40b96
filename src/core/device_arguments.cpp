#include "dotcompute/backend/device_arguments.hpp"

#include <algorithm>

#include "dotcompute/backend/execution_state.hpp"

namespace dotcompute {

std::chrono::nanoseconds prepare_device_arguments(Accelerator& device, const std::shared_ptr<ExecutionState>& execution,
                                                  std::vector<LaunchArgument>& arguments,
                                                  const KernelDefinition& kernel,
                                                  const std::function<void(std::size_t, DeviceReplica&)>& bind,
                                                  const std::function<void(SpanCopy)>& keep_span) {
  using Clock = std::chrono::steady_clock;
  std::chrono::nanoseconds transfer{0};
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    LaunchArgument& argument = arguments[i];
    if (argument.kind != ParameterKind::buffer) continue;
    if (argument.buffer) {
      bind(i, argument.buffer->prepare_device_access(device, argument.access, transfer));
      argument.buffer->record_access(execution, argument.access != Access::read_only, /*on_host=*/false);
      continue;
    }
    const std::size_t bytes = argument.elements * size_of(kernel.parameters[i].type);
    SpanCopy span{device.create_replica(std::max<std::size_t>(bytes, 1)), argument.host_pointer, bytes,
                  argument.access != Access::read_only && bytes != 0};
    if (argument.access != Access::write_only && bytes != 0) {
      const auto start = Clock::now();
      device.upload(*span.copy, argument.host_pointer, bytes);
      transfer += Clock::now() - start;
    }
    bind(i, *span.copy);
    keep_span(std::move(span));
  }
  return transfer;
}

}  // namespace dotcompute
