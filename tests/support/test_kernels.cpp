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

void register_test_kernels(KernelRegistry& registry) {
  KernelDefinition blocking;
  blocking.name = "test_blocking";
  blocking.parameters = {{"out", ParameterKind::buffer, ScalarType::float32, Access::write_only, {}}};
  blocking.dimensions = 1;
  blocking.cpu_entry = &blocking_entry;
  blocking.origin = "tests/support/test_kernels.cpp";
  registry.add(std::move(blocking));

  KernelDefinition count;
  count.name = "test_count";
  count.dimensions = 1;
  count.cpu_entry = &count_entry;
  count.origin = "tests/support/test_kernels.cpp";
  registry.add(std::move(count));
}

}  // namespace dotcompute::test
