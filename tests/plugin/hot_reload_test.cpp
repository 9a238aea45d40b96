// Hot reload: a plugin's file is replaced by a rebuilt version while a thread
// runs kernels on its device without pause. No execution may fail, buffers
// left on the device keep their data, and the new version serves afterwards.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <future>
#include <string>
#include <thread>

#include "plugin_folder.hpp"

namespace dotcompute::test {
namespace {

using namespace std::chrono_literals;

Runtime reloading_runtime(const PluginFolder& folder) {
  return Runtime::create([&](RuntimeOptions& options) {
    options.plugin_paths = {folder.path().string()};
    options.backends = {"cpu", "offload"};
    options.plugin_hot_reload = true;
    options.plugin_reload_interval_ms = 20;
  });
}

bool wait_until(const std::function<bool()>& condition, std::chrono::seconds limit = 20s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

const PluginFolder& with_offload_v1(const PluginFolder& folder) {
  folder.add("offload_v1", "libdotcompute_offload.so");
  return folder;
}

// Version 1 of the offload plugin, hot reload on, and a count on its device
// that each add_one() raises by 1 (saxpy, y += 1).
struct CountingOnOffload {
  CountingOnOffload()
      : runtime(reloading_runtime(with_offload_v1(folder))),
        device(runtime.orchestrator().available_devices().back()) {}
  [[nodiscard]] Execution add_one() {
    return runtime.orchestrator().execute(offload, "saxpy", Range(size), size, 1.0f, std::as_const(ones), count);
  }

  static constexpr int size = 1024;
  PluginFolder folder;
  Runtime runtime;
  std::shared_ptr<Accelerator> device;
  const ExecutionOptions offload{.device = "offload:0", .local_size = {}};
  Buffer<float> ones{std::vector<float>(size, 1.0f)};
  Buffer<float> count{std::vector<float>(size, 0.0f)};
};

TEST(HotReload, ARebuiltPluginReplacesTheRunningOneWithoutAFailedExecution) {
  PluginFolder folder;
  const auto file = folder.add("offload_v1", "libdotcompute_offload.so");
  Runtime runtime = reloading_runtime(folder);
  const auto device = runtime.orchestrator().available_devices().back();
  ASSERT_EQ(device->info().id, "offload:0");
  ASSERT_EQ(device->info().driver_version, "1.0.0");

  // Data that lives only on the device across the swap.
  constexpr int n = 100000;
  Buffer<float> resident(std::vector<float>(n, 1.0f));
  runtime.orchestrator()
      .execute({.device = "offload:0", .local_size = {}}, "scale", Range(n), n, 3.0f, resident)
      .wait();

  std::atomic<bool> stop{false};
  std::atomic<long> runs{0}, failures{0}, runs_on_new_version{0};
  std::string first_failure;
  std::thread worker([&] {
    const int size = 4096;
    Buffer<float> a(std::vector<float>(size, 1.0f)), b(std::vector<float>(size, 2.0f)), c(size);
    while (!stop.load()) {
      try {
        const bool on_new = device->info().driver_version == "2.0.0";
        // Named device: waits while the plugin is swapped. No device: routed elsewhere meanwhile.
        const ExecutionOptions where =
            runs % 2 == 0 ? ExecutionOptions{.device = "offload:0", .local_size = {}} : ExecutionOptions{};
        (void)runtime.orchestrator().execute(where, "vector_add", Range(size), size, a, b, c).get();
        if (c.host_read()[size - 1] != 3.0f) throw std::runtime_error("wrong result");
        ++runs;
        if (on_new) ++runs_on_new_version;
      } catch (const std::exception& error) {
        if (failures++ == 0) first_failure = error.what();
      }
    }
  });

  ASSERT_TRUE(wait_until([&] { return runs.load() > 50; }));
  folder.replace("libdotcompute_offload.so", "offload_v2");
  EXPECT_TRUE(wait_until([&] { return device->info().driver_version == "2.0.0"; })) << "the new version never served";
  EXPECT_TRUE(wait_until([&] { return runs_on_new_version.load() > 50; }));
  stop = true;
  worker.join();

  EXPECT_EQ(failures.load(), 0) << first_failure;
  const PluginRecord record = record_of(runtime, file);
  EXPECT_EQ(record.version, "2.0.0");
  EXPECT_EQ(record.generation, 2u);
  EXPECT_EQ(record.reload_error, "");
  // The resident buffer moved into the new version's memory, and kernels still run on it.
  runtime.orchestrator()
      .execute({.device = "offload:0", .local_size = {}}, "scale", Range(n), n, 2.0f, resident)
      .wait();
  EXPECT_EQ(resident.host_read()[0], 6.0f);
  EXPECT_EQ(resident.host_read()[n - 1], 6.0f);
}

// then() continuations that launch on the plugin's device, from its
// continuation thread. Through a reload, their launches are parked for the
// new version instead of blocking; the chain goes on, in order, on the new
// version.
TEST(HotReload, ContinuationsLaunchingOnTheDeviceFromItsOwnThreadGoOnThroughTheSwap) {
  CountingOnOffload on;  // one add_one() per link: counts the links that ran
  ASSERT_EQ(on.device->info().id, "offload:0");
  std::atomic<bool> stop{false};
  std::atomic<long> links{0}, links_on_new_version{0};
  std::string failure;
  std::promise<void> chain_ended;
  std::function<void()> link = [&] {
    try {
      const bool on_new = on.device->info().driver_version == "2.0.0";
      (void)on.add_one().then([&, on_new](const KernelResult&) {
        ++links;
        if (on_new) ++links_on_new_version;
        if (stop.load()) {
          chain_ended.set_value();
        } else {
          link();
        }
      });
    } catch (const std::exception& error) {
      failure = error.what();
      chain_ended.set_value();
    }
  };
  link();

  ASSERT_TRUE(wait_until([&] { return links.load() > 20; })) << failure;
  on.folder.replace("libdotcompute_offload.so", "offload_v2");
  EXPECT_TRUE(wait_until([&] { return on.device->info().driver_version == "2.0.0"; }))
      << "the new version never served";
  EXPECT_TRUE(wait_until([&] { return links_on_new_version.load() > 20; })) << failure;
  stop = true;
  ASSERT_EQ(chain_ended.get_future().wait_for(20s), std::future_status::ready);
  EXPECT_EQ(failure, "");
  EXPECT_EQ(on.count.host_read()[0], static_cast<float>(links.load()));
  EXPECT_EQ(on.count.host_read()[CountingOnOffload::size - 1], static_cast<float>(links.load()));
}

// A continuation that waits for work it launches on the device while the
// device is being swapped: that work is parked until the new version serves.
// The swap's drain waits for the old version's completion calls, not for
// continuations (they run on the device's continuation thread), so the wait
// ends once the new version has run the parked work.
TEST(HotReload, AContinuationWaitingForWorkParkedByTheSwapDoesNotHoldItUp) {
  CountingOnOffload on;
  ASSERT_EQ(on.device->info().id, "offload:0");
  constexpr int width = 2048;  // a mandelbrot of width x width: ~0.2 s on the plugin's thread here
  Buffer<int> image(width * width);
  const auto long_running = [&] {
    return on.runtime.orchestrator().execute(on.offload, "mandelbrot", Range(width, width), width, width, image);
  };
  on.add_one().wait();  // built, and count lives on the device
  std::atomic<bool> saw_the_swap{false};
  std::thread::id continued_on;
  std::string ran_on;
  Execution draining;
  const Execution before = long_running();  // so that then() below finds its execution unfinished
  const Execution continued = on.add_one().then([&](const KernelResult&) {
    continued_on = std::this_thread::get_id();
    draining = long_running();  // the swap's drain waits for it
    on.folder.replace("libdotcompute_offload.so", "offload_v2");
    saw_the_swap = wait_until([&] { return !on.device->accepting_work(); });
    std::this_thread::sleep_for(5ms);  // past the moment launches start being parked
    (void)on.add_one().get();
    ran_on = on.device->info().driver_version;
  });
  if (!continued.wait_for(30s)) {
    ADD_FAILURE() << "the continuation's wait never returned";
    std::_Exit(1);  // the swap waits for the continuation, which waits for the swap: nothing can end the runtime
  }
  EXPECT_NO_THROW((void)continued.get());
  EXPECT_NE(continued_on, std::this_thread::get_id()) << "the continuation ran inline, not on its device's thread";
  EXPECT_TRUE(saw_the_swap.load()) << "the swap was over before the continuation looked: nothing was parked";
  EXPECT_EQ(ran_on, "2.0.0");
  EXPECT_NO_THROW((void)before.get());
  EXPECT_NO_THROW((void)draining.get());
  EXPECT_EQ(on.count.host_read()[0], 3.0f);
  EXPECT_EQ(on.count.host_read()[CountingOnOffload::size - 1], 3.0f);
}

TEST(HotReload, ABrokenNewVersionKeepsTheOldOneServing) {
  PluginFolder folder;
  const auto file = folder.add("offload_v1", "libdotcompute_offload.so");
  Runtime runtime = reloading_runtime(folder);
  auto& plugins = *runtime.services().get_required<PluginManager>();
  folder.replace("libdotcompute_offload.so", "wrong_abi");
  EXPECT_EQ(plugins.reload_changed(), 1u);  // tried at once, without waiting for the watcher
  const PluginRecord record = record_of(runtime, file);
  EXPECT_CONTAINS(record.reload_error, "wrong ABI version");
  EXPECT_EQ(record.version, "1.0.0");
  EXPECT_EQ(record.generation, 1u);
  Buffer<float> x(std::vector<float>(16, 1.0f));
  runtime.orchestrator().execute({.device = "offload:0", .local_size = {}}, "scale", Range(16), 16, 5.0f, x).wait();
  EXPECT_EQ(x.host_read()[15], 5.0f);
  EXPECT_EQ(runtime.orchestrator().available_devices().back()->info().driver_version, "1.0.0");
}

}  // namespace
}  // namespace dotcompute::test
