// Services a plugin contributes: a selector, a telemetry sink, a memory
// manager and kernels, each used for real by the runtime.
#include <dlfcn.h>

#include <chrono>
#include <thread>

#include "plugin_folder.hpp"

namespace dotcompute::test {
namespace {

// A function the services plugin exports for tests, from the copy the runtime loaded.
long call_plugin_counter(const std::filesystem::path& file, const char* symbol) {
  void* library = dlopen(std::filesystem::weakly_canonical(file).c_str(), RTLD_NOW | RTLD_NOLOAD);
  if (library == nullptr) return -1;
  auto* counter = reinterpret_cast<long (*)()>(dlsym(library, symbol));
  const long value = counter != nullptr ? counter() : -1;
  dlclose(library);
  return value;
}

TEST(PluginServices, SelectorSinkMemoryManagerAndKernelsServe) {
  PluginFolder folder;
  const auto services = folder.add("services");
  KernelRegistry registry;
  Runtime runtime = Runtime::create([&](RuntimeOptions& options) {
    options.plugin_paths = {folder.path().string()};
    options.backends = {"cpu"};
    options.registry = &registry;
    options.backend_selector = "last_candidate";
    options.memory_manager = "trim_everything";
  });
  ASSERT_TRUE(record_of(runtime, services).loaded) << record_of(runtime, services).reason;
  EXPECT_EQ(record_of(runtime, services).contributions,
            (std::vector<std::string>{"selector last_candidate", "memory_manager trim_everything",
                                      "telemetry_sink counter", "kernels services/fill.dck"}));

  // The kernel source was registered (it has no native code: JIT backends run it).
  const auto fill = registry.find("plugin_fill");
  ASSERT_NE(fill, nullptr);
  EXPECT_EQ(fill->signature(), "plugin_fill(int n, float value, DC_WRITE_ONLY float* out DC_SIZE(n))");
  EXPECT_EQ(fill->origin.rfind("services:services/fill.dck", 0), 0u) << fill->origin;

  // The selector chooses, and says why; the sink sees each execution.
  const long before = call_plugin_counter(services, "services_plugin_executions");
  registry.add(KernelDefinition{*KernelRegistry::global().get("scale")});
  Buffer<float> x(std::vector<float>(1000, 1.0f));
  const KernelResult result = runtime.orchestrator().execute("scale", Range(1000), 1000, 2.0f, x).get();
  EXPECT_EQ(result.device, "cpu:0");
  EXPECT_EQ(result.selection_reason, "plugin selector 'last_candidate': the last of 1 candidates for scale");
  EXPECT_EQ(call_plugin_counter(services, "services_plugin_executions"), before + 1);

  // The memory manager trims every pool with cached memory.
  { Buffer<float> scratch(1 << 20); }  // freed into the host pool's cache
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::uint64_t cached = 1;
  while (cached != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    cached = host_memory_pool()->stats().bytes_cached;
  }
  EXPECT_EQ(cached, 0u);
  EXPECT_GT(call_plugin_counter(services, "services_plugin_reviews"), 0);
}

TEST(PluginServices, UnknownPluginServicesAreNamedInTheError) {
  try {
    (void)Runtime::create([](RuntimeOptions& options) { options.backend_selector = "fastest"; });
    FAIL() << "expected an ArgumentError";
  } catch (const ArgumentError& error) {
    EXPECT_CONTAINS(error.what(), "backend_selector 'fastest'");
    EXPECT_CONTAINS(error.what(), "plugin selectors: none");
  }
  EXPECT_THROW((void)Runtime::create([](RuntimeOptions& options) { options.memory_manager = "frugal"; }),
               ArgumentError);
}

TEST(PluginServices, AKernelSourceThatClashesSkipsThePlugin) {
  PluginFolder folder;
  const auto services = folder.add("services");
  KernelRegistry registry;
  registry.add_source("DC_KERNEL void plugin_fill(int n) {}\n", "app.dck");
  Runtime runtime = Runtime::create([&](RuntimeOptions& options) {
    options.plugin_paths = {folder.path().string()};
    options.registry = &registry;
  });
  EXPECT_CONTAINS(record_of(runtime, services).reason, "kernel 'plugin_fill' is registered twice");
  EXPECT_EQ(registry.get("plugin_fill")->origin.rfind("app.dck", 0), 0u);  // the application's kernel is intact
}

}  // namespace
}  // namespace dotcompute::test
