// The plugin loader: what it loads, what it refuses and why, and that nothing
// a broken plugin does reaches the runtime or the other plugins.
#include <sys/stat.h>

#include <array>
#include <cstddef>
#include <cstdio>
#include <fstream>

#include <dotcompute/plugin.hpp>

#include "plugin_folder.hpp"
#include "sample_catalog.hpp"

namespace dotcompute::test {
namespace {

Runtime runtime_with_plugins(const PluginFolder& folder, const std::function<void(RuntimeOptions&)>& more = {}) {
  return Runtime::create([&](RuntimeOptions& options) {
    options.plugin_paths = {folder.path().string()};
    options.backends = {"cpu", "offload", "zero"};
    if (more) more(options);
  });
}

std::string sha256sum(const std::filesystem::path& file) {
  FILE* pipe = popen(("sha256sum '" + file.string() + "'").c_str(), "r");
  std::array<char, 65> digest{};
  if (pipe == nullptr || std::fread(digest.data(), 1, 64, pipe) != 64) digest[0] = '\0';
  if (pipe != nullptr) pclose(pipe);
  return digest.data();
}

TEST(PluginLoader, EveryBrokenPluginIsSkippedWithItsReasonAndTheRestWorks) {
  PluginFolder folder;
  const auto offload = folder.add("offload_v1", "libdotcompute_offload.so");
  const auto wrong_abi = folder.add("wrong_abi");
  const auto no_entry = folder.add("no_entry_point");
  const auto failing = folder.add("failing_init");
  const auto throwing = folder.add("throwing_init");
  const auto raw_throwing = folder.add("raw_throwing_init");
  const auto reserved = folder.add("reserved_backend_name");
  const auto short_table = folder.add("short_backend_table");
  const auto mixed_sizes = folder.add("mixed_backend_sizes");
  const auto text = folder.path() / "notes.so";
  std::ofstream(text) << "not a shared library\n";
  ::chmod(text.c_str(), 0644);

  Runtime runtime = runtime_with_plugins(folder);
  EXPECT_CONTAINS(record_of(runtime, wrong_abi).reason, "wrong ABI version 2 (this runtime speaks version 1)");
  EXPECT_CONTAINS(record_of(runtime, no_entry).reason, "missing entry point dotcompute_plugin_entry");
  EXPECT_CONTAINS(record_of(runtime, failing).reason, "init failed (status 8): no widget is attached to this machine");
  EXPECT_CONTAINS(record_of(runtime, throwing).reason, "init failed (status 3): the widget exploded");
  EXPECT_CONTAINS(record_of(runtime, raw_throwing).reason,
                  "init threw an exception across the C ABI: thrown across the ABI");
  EXPECT_CONTAINS(record_of(runtime, reserved).reason, "backend name 'cpu' is reserved");
  EXPECT_CONTAINS(record_of(runtime, short_table).reason, "backend table declares 16 bytes, fewer than the " +
                                                              std::to_string(offsetof(dc_backend_t, features)) +
                                                              " of ABI version 1");
  EXPECT_CONTAINS(record_of(runtime, mixed_sizes).reason,
                  "backend table 1 declares " + std::to_string(sizeof(dc_backend_t) - 8) +
                      " bytes, unlike the first one's " + std::to_string(sizeof(dc_backend_t)));
  EXPECT_CONTAINS(record_of(runtime, text).reason, "not a plugin: cannot load it as a shared library");
  EXPECT_EQ(record_of(runtime, failing).name, "failing_init");  // named even when skipped

  const PluginRecord loaded = record_of(runtime, offload);
  EXPECT_TRUE(loaded.loaded) << loaded.reason;
  EXPECT_EQ(loaded.name, "offload");
  EXPECT_EQ(loaded.version, "1.0.0");
  EXPECT_EQ(loaded.generation, 1u);
  EXPECT_EQ(loaded.contributions, std::vector<std::string>{"backend offload"});
  EXPECT_EQ(loaded.sha256, sha256sum(offload));

  // The runtime and the good plugin work: saxpy on the offload device matches the CPU.
  const samples::Sample* saxpy = samples::find_sample("saxpy");
  for (const char* device : {"cpu:0", "offload:0"}) {
    auto run = saxpy->prepare(10007);
    run->reset();
    EXPECT_EQ(run->launch(runtime.orchestrator(), {.device = device, .local_size = {}}).get().device, device);
    EXPECT_TRUE(run->check().ok) << device << ": " << run->check().detail;
  }
}

TEST(PluginLoader, AProviderWithoutDevicesIsASkippedBackend) {
  PluginFolder folder;
  const auto zero = folder.add("zero_devices");
  Runtime runtime = runtime_with_plugins(folder);
  EXPECT_TRUE(record_of(runtime, zero).loaded);
  bool listed = false;
  for (const auto& skipped : runtime.skipped_backends())
    listed = listed || (skipped.backend == "zero" && skipped.reason == "no devices");
  EXPECT_TRUE(listed);
  EXPECT_EQ(runtime.devices().size(), 1u);  // the CPU only
}

TEST(PluginLoader, FilesOrFoldersOthersCanWriteAreRefused) {
  {
    PluginFolder folder;
    const auto file = folder.add("offload_v1");
    ::chmod(file.c_str(), 0666);
    Runtime runtime = runtime_with_plugins(folder);
    const PluginRecord record = record_of(runtime, file);
    EXPECT_FALSE(record.loaded);
    EXPECT_CONTAINS(record.reason, "refused: the file is writable by others (mode 0666)");
    EXPECT_TRUE(record.sha256.empty());  // refused before it was even read
  }
  {
    PluginFolder folder;
    const auto file = folder.add("offload_v1");
    ::chmod(folder.path().c_str(), 0770);
    Runtime runtime = runtime_with_plugins(folder);
    EXPECT_CONTAINS(record_of(runtime, file).reason, "is writable by its group (mode 0770)");
  }
}

TEST(PluginLoader, AnAllowListAdmitsOnlyTheDigestsItNames) {
  PluginFolder folder;
  const auto offload = folder.add("offload_v1");
  const auto services = folder.add("services");
  Runtime runtime =
      runtime_with_plugins(folder, [&](RuntimeOptions& options) { options.plugin_allowlist = {sha256sum(offload)}; });
  EXPECT_TRUE(record_of(runtime, offload).loaded) << record_of(runtime, offload).reason;
  EXPECT_CONTAINS(record_of(runtime, services).reason,
                  "refused: SHA-256 " + sha256sum(services) + " is not on the plugin allow-list");
}

TEST(PluginLoader, AMissingPathIsRecordedAndTwoPluginsMayNotShareAName) {
  PluginFolder folder;
  const auto first = folder.add("offload_v1", "liba.so");
  const auto second = folder.add("offload_v2", "libb.so");
  Runtime runtime = Runtime::create([&](RuntimeOptions& options) {
    options.plugin_paths = {folder.path().string(), "/nonexistent/dotcompute/plugins"};
  });
  EXPECT_TRUE(record_of(runtime, first).loaded);
  EXPECT_CONTAINS(record_of(runtime, second).reason, "a plugin named 'offload' is already loaded");
  EXPECT_CONTAINS(record_of(runtime, "/nonexistent/dotcompute/plugins").reason, "no such file or folder");
}

// A plugin linked into the application: a host-memory device running kernels synchronously.
struct InlineBackend {
  static constexpr const char* name = "inline";
  std::uint32_t device_count() { return 1; }
  dc_device_info_t device_info(std::uint32_t) {
    dc_device_info_t info{};
    info.struct_size = sizeof info;
    info.name = "inline device (tests)";
    info.vendor = "tests";
    info.driver_version = "1";
    info.type = DC_DEVICE_CPU;
    info.compute_units = 1;
    info.shares_host_memory = 1;
    return info;
  }
  void* prepare_kernel(std::uint32_t, const dc_kernel_t& kernel) {
    if (kernel.run_host_chunk == nullptr) throw plugin::Error(DC_STATUS_UNSUPPORTED, "no host code");
    return const_cast<dc_kernel_t*>(&kernel);
  }
  void release_kernel(std::uint32_t, void*) noexcept {}
  void launch(std::uint32_t, const dc_launch_t& launch) {
    const auto& kernel = *static_cast<const dc_kernel_t*>(launch.program);
    std::vector<const void*> values;
    for (std::uint32_t i = 0; i < launch.argument_count; ++i) {
      const dc_launch_argument_t& argument = launch.arguments[i];
      values.push_back(argument.kind == DC_PARAMETER_BUFFER ? static_cast<const void*>(&argument.memory)
                                                            : static_cast<const void*>(argument.scalar));
    }
    const auto& g = launch.geometry;
    kernel.run_host_chunk(kernel.host_code, values.data(), &g, 0, g.global[0] * g.global[1] * g.global[2]);
    launch.complete(launch.completion_context, DC_STATUS_OK, nullptr);
  }
  void synchronize(std::uint32_t) {}
};

struct InlinePlugin {
  static constexpr const char* name = "inline";
  static constexpr const char* version = "1";
  static constexpr const char* description = "linked into the test";
  explicit InlinePlugin(const dc_host_t& host) { EXPECT_STREQ(host.plugin_path, "<in-process>"); }
  InlineBackend& backend() { return backend_; }
  InlineBackend backend_;
};

TEST(PluginLoader, InProcessPluginsServeLikeFiles) {
  Runtime runtime = Runtime::create([](RuntimeOptions& options) {
    options.in_process_plugins = {&plugin::table<InlinePlugin>};
    options.backends = {"cpu", "inline"};
  });
  const auto records = runtime.services().get_required<PluginManager>()->records();
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.front().path, "<in-process>");
  EXPECT_TRUE(records.front().loaded);
  auto run = samples::find_sample("vector_add")->prepare(4099);
  run->reset();
  EXPECT_EQ(run->launch(runtime.orchestrator(), {.device = "inline:0", .local_size = {}}).get().device, "inline:0");
  EXPECT_TRUE(run->check().ok) << run->check().detail;
  // Host spans are passed straight through to a host-sharing device.
  std::vector<float> out(64, 2.0f);
  runtime.orchestrator()
      .execute({.device = "inline:0", .local_size = {}}, "scale", Range(64), 64, 3.0f, std::span<float>(out))
      .wait();
  EXPECT_EQ(out[5], 6.0f);
}

}  // namespace
}  // namespace dotcompute::test
