#include "test_kernels.hpp"

#include <thread>

namespace dotcompute::test {

BlockingControl& blocking_control() {
  static BlockingControl control;
  return control;
}

std::atomic<long>& counted_items() {
  static std::atomic<long> count{0};
  return count;
}

namespace {

void blocking_entry(const cpu::LaunchArgs& args, const cpu::WorkChunk& chunk) noexcept {
  BlockingControl& control = blocking_control();
  if (!control.started.exchange(true)) {
    while (!control.released.load()) std::this_thread::yield();
  }
  float* out = *static_cast<float* const*>(args.values[0]);
  for (std::size_t i = chunk.begin; i < chunk.end; ++i) out[i] = 1.0f;
  control.items_run.fetch_add(static_cast<long>(chunk.end - chunk.begin));
}

void count_entry(const cpu::LaunchArgs&, const cpu::WorkChunk& chunk) noexcept {
  counted_items().fetch_add(static_cast<long>(chunk.end - chunk.begin));
}

}  // namespace

KernelDefinition native_kernel(std::string name, cpu::KernelEntry entry, std::vector<KernelParameter> parameters,
                               int dimensions) {
  KernelDefinition definition;
  definition.name = std::move(name);
  definition.parameters = std::move(parameters);
  definition.dimensions = dimensions;
  definition.cpu_entry = entry;
  definition.origin = "test:" + definition.name;
  return definition;
}

void register_test_kernels(KernelRegistry& registry) {
  registry.add(native_kernel("test_blocking", &blocking_entry,
                             {{"out", ParameterKind::buffer, ScalarType::float32, Access::write_only, {}}}));
  registry.add(native_kernel("test_count", &count_entry));
}

}  // namespace dotcompute::test
