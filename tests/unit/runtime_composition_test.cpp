// RuntimeOptions (validation, environment, JSON) and the runtime's composition
// through the service container: defaults, replacement, telemetry, memory.
#include <gtest/gtest.h>

#include <cstdlib>
#include <dotcompute/dotcompute.hpp>
#include <fstream>
#include <thread>

#include "test_kernels.hpp"

namespace dotcompute {
namespace {

#define EXPECT_CONTAINS(text, fragment) EXPECT_NE(std::string(text).find(fragment), std::string::npos) << (text)

std::string write_file(const std::string& name, const std::string& contents) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << contents;
  return path;
}

TEST(RuntimeOptions, DefaultsAreValid) { EXPECT_NO_THROW(RuntimeOptions{}.validate()); }

TEST(RuntimeOptions, OneErrorListsEveryInvalidField) {
  RuntimeOptions options;
  options.default_accelerator = "cuda:x";
  options.enable_debug_validation = true;
  options.enable_recovery = true;
  options.plugin_paths = {"/opt/plugins", "plugins"};
  options.plugin_allowlist = {"abc"};
  options.backend_selector = "Not A Name";
  options.cache_directory = "relative/dir";
  options.log_level = "loud";
  try {
    options.validate();
    FAIL();
  } catch (const ArgumentError& e) {
    EXPECT_CONTAINS(e.what(), "default_accelerator 'cuda:x' is malformed");
    EXPECT_CONTAINS(e.what(), "enable_debug_validation: debug validation is not implemented yet");
    EXPECT_CONTAINS(e.what(), "enable_recovery: retries and fallback are not implemented yet");
    EXPECT_CONTAINS(e.what(), "plugin_paths: 'plugins' is not an absolute path");
    EXPECT_FALSE(std::string(e.what()).find("'/opt/plugins'") != std::string::npos);
    EXPECT_CONTAINS(e.what(), "plugin_allowlist: 'abc' is not a SHA-256 hex digest");
    EXPECT_CONTAINS(e.what(), "backend_selector 'Not A Name' is not a name");
    EXPECT_CONTAINS(e.what(), "cache_directory 'relative/dir' must be an absolute path");
    EXPECT_CONTAINS(e.what(), "log_level 'loud' is not one of");
  }
}

TEST(RuntimeOptions, EnvironmentFillsOnlyDefaultFields) {
  ::setenv("DOTCOMPUTE_DEVICE", "cpu:0", 1);
  ::setenv("DOTCOMPUTE_CPU_THREADS", "3", 1);
  ::setenv("DOTCOMPUTE_TELEMETRY", "on", 1);
  ::setenv("DOTCOMPUTE_PLUGIN_PATH", "/a:/b", 1);
  RuntimeOptions code;
  code.cpu_threads = 1;  // set in code: wins
  const RuntimeOptions merged = RuntimeOptions::from_environment(code);
  EXPECT_EQ(merged.default_accelerator, "cpu:0");
  EXPECT_EQ(merged.cpu_threads, 1u);
  EXPECT_TRUE(merged.enable_telemetry);
  EXPECT_EQ(merged.plugin_paths, (std::vector<std::string>{"/a", "/b"}));
  ::setenv("DOTCOMPUTE_CPU_THREADS", "many", 1);
  EXPECT_THROW((void)RuntimeOptions::from_environment(), ArgumentError);
  ::setenv("DOTCOMPUTE_CPU_THREADS", "2", 1);
  ::setenv("DOTCOMPUTE_TELEMETRY", "perhaps", 1);
  EXPECT_THROW((void)RuntimeOptions::from_environment(), ArgumentError);
  for (const char* name :
       {"DOTCOMPUTE_DEVICE", "DOTCOMPUTE_CPU_THREADS", "DOTCOMPUTE_TELEMETRY", "DOTCOMPUTE_PLUGIN_PATH"}) {
    ::unsetenv(name);
  }
}

TEST(RuntimeOptions, JsonFileSetsEveryKeyItContains) {
  const std::string path = write_file("options.json", R"({"default_accelerator": "cpu", "enable_telemetry": true,
      "pool_max_cached_bytes": 4096, "cache_directory": "/tmp/dc", "log_level": "error", "cpu_threads": 2,
      "plugin_paths": []})");
  const RuntimeOptions options = RuntimeOptions::from_json_file(path);
  EXPECT_EQ(options.default_accelerator, "cpu");
  EXPECT_TRUE(options.enable_telemetry);
  EXPECT_EQ(options.pool_max_cached_bytes, 4096u);
  EXPECT_EQ(options.cache_directory, "/tmp/dc");
  EXPECT_EQ(options.log_level, "error");
  EXPECT_EQ(options.cpu_threads, 2u);
  EXPECT_NO_THROW(options.validate());
}

TEST(RuntimeOptions, JsonProblemsAreListedTogether) {
  const std::string path =
      write_file("bad_options.json", R"({"default_acelerator": "cpu", "cpu_threads": -1, "enable_telemetry": "yes"})");
  try {
    (void)RuntimeOptions::from_json_file(path);
    FAIL();
  } catch (const ArgumentError& e) {
    EXPECT_CONTAINS(e.what(), "unknown option 'default_acelerator'");
    EXPECT_CONTAINS(e.what(), "'cpu_threads' must be a non-negative integer, got -1");
    EXPECT_CONTAINS(e.what(), "'enable_telemetry' must be true or false, got \"yes\"");
  }
  EXPECT_THROW((void)RuntimeOptions::from_json_file(write_file("broken.json", "{\"a\": ")), ArgumentError);
  EXPECT_THROW((void)RuntimeOptions::from_json_file(write_file("array.json", "[1, 2]")), ArgumentError);
  EXPECT_THROW((void)RuntimeOptions::from_json_file("/nonexistent/options.json"), ArgumentError);
}

TEST(RuntimeComposition, RegistersEveryServiceAndValidates) {
  ServiceCollection services;
  add_dotcompute_runtime(services);
  ServiceProvider provider = services.build();  // validation passes
  EXPECT_NE(provider.get_required<RuntimeOptions>(), nullptr);
  EXPECT_NE(provider.get_required<KernelDiscovery>(), nullptr);
  EXPECT_NE(provider.get_required<AcceleratorFactory>(), nullptr);
  EXPECT_NE(provider.get_required<BackendSelector>(), nullptr);
  EXPECT_NE(provider.get_required<KernelExecutionService>(), nullptr);
  EXPECT_NE(provider.get_required<MemoryManager>(), nullptr);
  EXPECT_FALSE(provider.get_required<TelemetrySink>()->enabled());  // the no-op sink by default
  EXPECT_EQ(provider.get_required<ComputeOrchestrator>(), provider.get_required<ComputeOrchestrator>());
  EXPECT_EQ(&provider.get_required<KernelDiscovery>()->registry(), &KernelRegistry::global());
}

TEST(RuntimeComposition, InvalidOptionsFailAtRegistration) {
  ServiceCollection services;
  EXPECT_THROW(add_dotcompute_runtime(services, [](RuntimeOptions& o) { o.log_level = "chatty"; }), ArgumentError);
}

class NamedSelector final : public BackendSelector {
 public:
  explicit NamedSelector(std::string reason) : reason_(std::move(reason)) {}
  std::string_view name() const noexcept override { return "named"; }
  Selection select(const SelectionRequest& request) override { return {request.candidates.front().get(), reason_}; }

 private:
  std::string reason_;
};

class ReplacementTest : public ::testing::Test {
 protected:
  void SetUp() override { test::register_test_kernels(registry_); }
  std::string reason_of(Runtime& runtime) {
    return runtime.orchestrator().execute("test_count", Range(10)).get().selection_reason.str();
  }
  KernelRegistry registry_;
  std::function<void(RuntimeOptions&)> configure_ = [this](RuntimeOptions& o) { o.registry = &registry_; };
};

TEST_F(ReplacementTest, ApplicationSelectorWinsWhenRegisteredBefore) {
  ServiceCollection services;
  services.add_instance<BackendSelector>(std::make_shared<NamedSelector>("registered before"));
  add_dotcompute_runtime(services, configure_);
  Runtime runtime = Runtime::from_services(services.build());
  EXPECT_EQ(reason_of(runtime), "registered before");
}

TEST_F(ReplacementTest, ApplicationSelectorWinsWhenRegisteredAfter) {
  ServiceCollection services;
  add_dotcompute_runtime(services, configure_);
  services.add_instance<BackendSelector>(std::make_shared<NamedSelector>("registered after"));
  Runtime runtime = Runtime::from_services(services.build());
  EXPECT_EQ(reason_of(runtime), "registered after");
}

TEST_F(ReplacementTest, FromServicesWithoutTheRuntimeIsAnError) {
  ServiceCollection services;
  EXPECT_THROW((void)Runtime::from_services(services.build()), ServiceResolutionError);
}

TEST_F(ReplacementTest, PerformanceMonitorRecordsEveryExecution) {
  Runtime runtime = Runtime::create([this](RuntimeOptions& o) {
    o.registry = &registry_;
    o.enable_telemetry = true;
  });
  auto monitor = runtime.services().get_required<PerformanceMonitor>();
  for (int i = 0; i < 5; ++i) runtime.orchestrator().execute("test_count", Range(100000)).wait();
  test::blocking_control().reset();
  Buffer<float> out(1 << 16);
  const Execution blocked = runtime.orchestrator().execute("test_blocking", Range(1 << 16), out);
  test::blocking_control().wait_until_started();
  blocked.cancel();
  test::blocking_control().release();
  EXPECT_THROW(blocked.wait(), CancelledError);
  runtime.devices()[0]->synchronize();
  const auto snapshot = monitor->snapshot();
  ASSERT_TRUE(snapshot.contains("test_count@cpu:0"));
  const auto& count = snapshot.at("test_count@cpu:0");
  EXPECT_EQ(count.succeeded, 5u);
  EXPECT_GT(count.total_time.count(), 0);
  EXPECT_LE(count.min_time, count.max_time);
  std::uint64_t in_histogram = 0;
  for (auto bucket : count.histogram) in_histogram += bucket;
  EXPECT_EQ(in_histogram, 5u);
  EXPECT_EQ(snapshot.at("test_blocking@cpu:0").cancelled, 1u);
}

TEST_F(ReplacementTest, MemoryManagerReportsTrimsAndAppliesTheCap) {
  Runtime runtime = Runtime::create([this](RuntimeOptions& o) {
    o.registry = &registry_;
    o.pool_max_cached_bytes = 0;  // cache nothing
  });
  auto memory = runtime.services().get_required<MemoryManager>();
  { Buffer<float> transient(1 << 20); }
  const auto report = memory->report();
  ASSERT_GE(report.size(), 1u);
  EXPECT_EQ(report[0].devices, "host");  // the CPU backend has not started: nothing ran yet
  EXPECT_EQ(report[0].pool, "host");
  runtime.orchestrator().execute({.device = "cpu", .local_size = {}}, "test_count", Range(1)).wait();
  EXPECT_EQ(memory->report()[0].devices, "host,cpu:0");  // the CPU device shares the host pool
  EXPECT_EQ(report[0].stats.bytes_cached, 0u);
  runtime = Runtime::create([this](RuntimeOptions& o) { o.registry = &registry_; });
  { Buffer<float> cached(1 << 20); }
  memory = runtime.services().get_required<MemoryManager>();
  EXPECT_GE(memory->report()[0].stats.bytes_cached, 4u << 20);
  EXPECT_GE(memory->trim(), 4u << 20);
  EXPECT_EQ(memory->report()[0].stats.bytes_cached, 0u);
}

TEST_F(ReplacementTest, AdvancedMemoryManagementTrimsIdlePools) {
  ServiceCollection services;
  add_dotcompute_runtime(services, configure_);
  add_advanced_memory_management(
      services, {.check_interval = std::chrono::milliseconds(10), .idle_trim_after = std::chrono::milliseconds(50)});
  Runtime runtime = Runtime::from_services(services.build());
  auto memory = runtime.services().get_required<MemoryManager>();
  { Buffer<float> cached(1 << 20); }
  EXPECT_GE(memory->report()[0].stats.bytes_cached, 4u << 20);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (memory->report()[0].stats.bytes_cached != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(memory->report()[0].stats.bytes_cached, 0u);
}

TEST_F(ReplacementTest, RuntimeExposesItsOptions) {
  Runtime runtime = Runtime::create([this](RuntimeOptions& o) {
    o.registry = &registry_;
    o.cpu_threads = 1;
  });
  EXPECT_EQ(runtime.options().cpu_threads, 1u);
  EXPECT_EQ(runtime.devices()[0]->info().compute_units, 1u);
  EXPECT_EQ(&runtime.registry(), &registry_);
}

}  // namespace
}  // namespace dotcompute
