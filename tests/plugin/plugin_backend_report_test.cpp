// What a backend plugin reports reaches the runtime: device features and
// SIMD width, the parts enumeration skipped, build failures as
// CompilationError, and the device's work-group limit. The plugin is linked
// in (RuntimeOptions::in_process_plugins).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <dotcompute/dotcompute.hpp>
#include <dotcompute/plugin.hpp>

namespace dotcompute::test {
namespace {

#define EXPECT_CONTAINS(text, fragment) EXPECT_NE(std::string(text).find(fragment), std::string::npos) << (text)

// One host-sharing device that runs nothing but says a lot about itself.
struct ReportingBackend {
  static constexpr const char* name = "reporting";
  std::uint32_t device_count() { return 1; }
  dc_device_info_t device_info(std::uint32_t) {
    dc_device_info_t info{};
    info.struct_size = sizeof info;
    info.name = "reporter";
    info.vendor = "tests";
    info.driver_version = "1";
    info.type = DC_DEVICE_ACCELERATOR;
    info.compute_units = 1;
    info.max_work_group_size = 64;
    info.shares_host_memory = 1;
    info.simd_width_bits = 256;
    info.features = "alpha  beta";
    return info;
  }
  [[nodiscard]] const std::vector<std::string>& skipped_parts() const { return skipped; }
  void* prepare_kernel(std::uint32_t, const dc_kernel_t& kernel) {
    if (std::strcmp(kernel.name, "broken") == 0) {
      throw plugin::Error(DC_STATUS_COMPILATION_ERROR, "broken.dck:3: error: 'x' undeclared");
    }
    return this;
  }
  void release_kernel(std::uint32_t, void*) noexcept {}
  void launch(std::uint32_t, const dc_launch_t& launch) {
    launch.complete(launch.completion_context, DC_STATUS_OK, nullptr);
  }
  void synchronize(std::uint32_t) {}

  std::vector<std::string> skipped{"platform 'unplugged': no driver answers"};
};

struct ReportingPlugin {
  static constexpr const char* name = "reporting";
  static constexpr const char* version = "1";
  static constexpr const char* description = "reports";
  explicit ReportingPlugin(const dc_host_t&) {}
  ReportingBackend& backend() { return backend_; }
  ReportingBackend backend_;
};

class PluginBackendReport : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.add_source(
        "DC_KERNEL void fine(DC_GLOBAL float* x) { x[dc_global_id(0)] = 1.0f; }\n"
        "DC_KERNEL void broken(DC_GLOBAL float* x) { x[dc_global_id(0)] = 2.0f; }\n",
        "reporting.dck");
  }
  Runtime make_runtime() {
    return Runtime::create([this](RuntimeOptions& options) {
      options.in_process_plugins = {&plugin::table<ReportingPlugin>};
      options.backends = {"cpu", "reporting"};
      options.registry = &registry_;
    });
  }
  KernelRegistry registry_;
};

TEST_F(PluginBackendReport, DeviceFeaturesAndSimdWidthReachDeviceInfo) {
  Runtime runtime = make_runtime();
  const auto devices = runtime.devices();
  const auto found = std::find_if(devices.begin(), devices.end(),
                                  [](const auto& device) { return device->info().id == "reporting:0"; });
  ASSERT_NE(found, devices.end());
  const DeviceInfo& info = (*found)->info();
  EXPECT_EQ(info.simd_width_bits, 256u);
  const std::vector<std::string> expected{"alpha", "beta", "plugin reporting", "shares-host-memory"};
  EXPECT_EQ(info.features, expected);
}

TEST_F(PluginBackendReport, SkippedPartsAreListedWithTheSkippedBackends) {
  Runtime runtime = make_runtime();
  (void)runtime.devices();
  const auto& skipped = runtime.skipped_backends();
  const auto found =
      std::find_if(skipped.begin(), skipped.end(), [](const auto& s) { return s.backend == "reporting"; });
  ASSERT_NE(found, skipped.end());
  EXPECT_EQ(found->reason, "platform 'unplugged': no driver answers");
}

TEST_F(PluginBackendReport, ABuildFailureIsACompilationErrorWithThePluginsLog) {
  Runtime runtime = make_runtime();
  Buffer<float> x(4);
  try {
    (void)runtime.orchestrator().execute({.device = "reporting:0", .local_size = {}}, "broken", Range(4), x);
    FAIL() << "expected CompilationError";
  } catch (const CompilationError& error) {
    EXPECT_CONTAINS(error.what(), "broken.dck:3: error: 'x' undeclared");
  }
  runtime.orchestrator().execute({.device = "reporting:0", .local_size = {}}, "fine", Range(4), x).wait();
}

TEST_F(PluginBackendReport, AWorkGroupOverTheDevicesLimitIsAnArgumentError) {
  Runtime runtime = make_runtime();
  Buffer<float> x(256);
  EXPECT_THROW(
      (void)runtime.orchestrator().execute({.device = "reporting:0", .local_size = Range(128)}, "fine", Range(256), x),
      ArgumentError);
  runtime.orchestrator().execute({.device = "reporting:0", .local_size = Range(64)}, "fine", Range(256), x).wait();
}

TEST(PluginHelper, DeviceInfoWritesNoMoreThanTheCallerReserved) {
  // A runtime built against the first ABI 1 header reserves the fields up to
  // shares_host_memory: the appended ones must not be written past that.
  const dc_backend_t& backend = plugin::table<ReportingPlugin>()->backends[0];
  void* state = nullptr;
  dc_message_t message{};
  dc_host_t host{};
  ASSERT_EQ(plugin::table<ReportingPlugin>()->init(&host, &state, &message), DC_STATUS_OK);
  constexpr std::size_t kOlderSize = offsetof(dc_device_info_t, simd_width_bits);
  unsigned char bytes[sizeof(dc_device_info_t)];
  std::memset(bytes, 0xAB, sizeof bytes);
  dc_device_info_t* info = reinterpret_cast<dc_device_info_t*>(bytes);
  info->struct_size = kOlderSize;
  ASSERT_EQ(backend.device_info(state, 0, info, &message), DC_STATUS_OK);
  EXPECT_EQ(info->max_work_group_size, 64u);
  EXPECT_TRUE(std::all_of(bytes + kOlderSize, bytes + sizeof bytes, [](unsigned char b) { return b == 0xAB; }));
  plugin::table<ReportingPlugin>()->shutdown(state);
}

}  // namespace
}  // namespace dotcompute::test
