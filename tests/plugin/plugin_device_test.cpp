// A plugin device behaves like any other: queued work can be cancelled,
// kernels it cannot run are refused with the plugin's reason.
#include "plugin_folder.hpp"
#include "test_kernels.hpp"

namespace dotcompute::test {
namespace {

TEST(PluginDevice, QueuedWorkCanBeCancelledBeforeItStarts) {
  PluginFolder folder;
  folder.add("offload_v1");
  KernelRegistry registry;
  register_test_kernels(registry);
  Runtime runtime = Runtime::create([&](RuntimeOptions& options) {
    options.plugin_paths = {folder.path().string()};
    options.backends = {"cpu", "offload"};
    options.registry = &registry;
  });
  const ExecutionOptions on_plugin{.device = "offload:0", .local_size = {}};
  blocking_control().reset();
  counted_items() = 0;
  Buffer<float> out(64);
  Execution blocking = runtime.orchestrator().execute(on_plugin, "test_blocking", Range(64), out);
  blocking_control().wait_until_started();  // the device's queue is busy
  std::vector<Execution> queued;
  for (int i = 0; i < 4; ++i) queued.push_back(runtime.orchestrator().execute(on_plugin, "test_count", Range(10)));
  for (auto& execution : queued) execution.cancel();
  blocking_control().release();
  blocking.wait();
  for (auto& execution : queued) EXPECT_THROW(execution.wait(), CancelledError);
  EXPECT_EQ(counted_items().load(), 0);  // none of them ran
  EXPECT_EQ(out.host_read()[63], 1.0f);  // the blocking kernel's result came back from the device
}

TEST(PluginDevice, AKernelWithoutHostCodeIsRefusedWithThePluginsReason) {
  PluginFolder folder;
  folder.add("offload_v1");
  KernelRegistry registry;
  registry.add_source("DC_KERNEL void jit_only(int n, DC_GLOBAL float* x DC_SIZE(n)) { x[dc_global_id(0)] = 1.0f; }\n",
                      "jit_only.dck");
  Runtime runtime = Runtime::create([&](RuntimeOptions& options) {
    options.plugin_paths = {folder.path().string()};
    options.backends = {"cpu", "offload"};
    options.registry = &registry;
  });
  Buffer<float> x(8);
  try {
    runtime.orchestrator().execute({.device = "offload:0", .local_size = {}}, "jit_only", Range(8), 8, x).wait();
    FAIL() << "expected an error";
  } catch (const ArgumentError& error) {
    EXPECT_CONTAINS(error.what(), "kernel 'jit_only' cannot run on plugin 'offload': it has no native host code");
  }
}

}  // namespace
}  // namespace dotcompute::test
