// A plugin device behaves like any other: queued work can be cancelled,
// kernels it cannot run are refused with the plugin's reason, a launch with a
// writable host span returns at once when the plugin copies it back, and
// tables laid out by another header of the same ABI version are read right.
#include <future>

#include "plugin_folder.hpp"
#include "test_kernels.hpp"

namespace dotcompute::test {
namespace {

Runtime runtime_with(const PluginFolder& folder, KernelRegistry& registry, std::vector<std::string> backends) {
  return Runtime::create([&](RuntimeOptions& options) {
    options.plugin_paths = {folder.path().string()};
    options.backends = std::move(backends);
    options.registry = &registry;
  });
}

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

// Queued behind a kernel that blocks until released, a launch with a writable
// host span must still return: the copy back belongs to the execution.
TEST(PluginDevice, AWritableHostSpanDoesNotHoldUpTheLaunch) {
  PluginFolder folder;
  folder.add("offload_v1");  // copies spans back itself (DC_BACKEND_WRITES_BACK)
  KernelRegistry registry;
  register_test_kernels(registry);
  Runtime runtime = runtime_with(folder, registry, {"cpu", "offload"});
  const ExecutionOptions on_plugin{.device = "offload:0", .local_size = {}};
  blocking_control().reset();
  Buffer<float> first(64);
  Execution blocking = runtime.orchestrator().execute(on_plugin, "test_blocking", Range(64), first);
  blocking_control().wait_until_started();
  std::vector<float> host(64, 0.0f);
  auto launched = std::async(std::launch::async, [&] {
    return runtime.orchestrator().execute(on_plugin, "test_blocking", Range(64), std::span<float>(host));
  });
  const bool returned = launched.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  EXPECT_TRUE(returned) << "the launch waited for the kernel queued before it";
  Execution spanned;
  if (returned) {
    spanned = launched.get();
    EXPECT_FALSE(spanned.is_done());
  }
  blocking_control().release();
  if (!returned) spanned = launched.get();
  spanned.wait();
  blocking.wait();
  EXPECT_EQ(host[0], 1.0f);
  EXPECT_EQ(host[63], 1.0f);
}

TEST(PluginDevice, HostSpansComeBackFromPluginsThatLeaveTheCopyToTheRuntime) {
  PluginFolder folder;
  folder.add("offload_v2");  // built without DC_BACKEND_WRITES_BACK
  KernelRegistry registry;
  register_test_kernels(registry);
  Runtime runtime = runtime_with(folder, registry, {"cpu", "offload"});
  blocking_control().reset();
  blocking_control().release();
  std::vector<float> host(64, 0.0f);
  runtime.orchestrator()
      .execute({.device = "offload:0", .local_size = {}}, "test_blocking", Range(64), std::span<float>(host))
      .wait();
  EXPECT_EQ(host[63], 1.0f);
}

TEST(PluginDevice, TablesLaidOutByAnOlderOrNewerHeaderOfTheSameAbiServe) {
  PluginFolder folder;
  const auto older = folder.add("layout_older");
  const auto newer = folder.add("layout_newer");
  KernelRegistry registry;
  register_test_kernels(registry);
  Runtime runtime = runtime_with(folder, registry, {"cpu", "older_a", "older_b", "newer_a", "newer_b"});
  EXPECT_EQ(record_of(runtime, older).reason, "");
  EXPECT_EQ(record_of(runtime, newer).reason, "");
  blocking_control().reset();
  blocking_control().release();
  for (const char* device : {"older_a:0", "older_b:0", "newer_a:0", "newer_b:0"}) {
    Buffer<float> out(16);
    runtime.orchestrator().execute({.device = device, .local_size = {}}, "test_blocking", Range(16), out).wait();
    EXPECT_EQ(out.host_read()[15], 1.0f) << device;
  }
}

}  // namespace
}  // namespace dotcompute::test
