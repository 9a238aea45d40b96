// What the CUDA plugin relies on from the ABI, checked with plugins linked in:
// a backend with pin_host/unpin_host pins the host pool's large blocks (and
// unpins them before they are unmapped), a backend with only one of the two
// is refused, and a kernel's ahead-of-time CUDA fatbin reaches prepare_kernel.
// Its own executable: the first pinning backend started is the process's pinner.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <dotcompute/dotcompute.hpp>
#include <dotcompute/plugin.hpp>
#include <map>
#include <mutex>
#include <string>

#include "sample_catalog.hpp"

namespace dotcompute::test {
namespace {

#define EXPECT_CONTAINS(text, fragment) EXPECT_NE(std::string(text).find(fragment), std::string::npos) << (text)

// What the pinning plugin saw; blocks by start address.
struct Seen {
  std::mutex mutex;
  std::map<const void*, std::uint64_t> pinned;
  std::size_t unpins = 0;
  std::string fatbin_format, fatbin_targets;
  std::uint64_t fatbin_bytes = 0;
};
Seen& seen() {
  static auto* instance = new Seen;  // never destroyed: the host pool unpins during static destruction
  return *instance;
}

// One host-sharing device that runs kernels natively and "pins" by recording.
struct PinningBackend {
  static constexpr const char* name = "pinning";
  std::uint32_t device_count() { return 1; }
  dc_device_info_t device_info(std::uint32_t) {
    dc_device_info_t info{};
    info.struct_size = sizeof info;
    info.name = "pinner";
    info.vendor = "tests";
    info.driver_version = "1";
    info.type = DC_DEVICE_ACCELERATOR;
    info.compute_units = 1;
    info.shares_host_memory = 1;
    return info;
  }
  void* prepare_kernel(std::uint32_t, const dc_kernel_t& kernel) {
    if (std::strcmp(kernel.name, "scale") == 0) {
      const auto binaries = plugin::kernel_binaries(kernel);
      std::lock_guard lock(seen().mutex);
      if (!binaries.empty()) {
        seen().fatbin_format = binaries[0].format;
        seen().fatbin_targets = binaries[0].targets;
        seen().fatbin_bytes = binaries[0].bytes;
      }
    }
    return this;
  }
  void release_kernel(std::uint32_t, void*) noexcept {}
  void launch(std::uint32_t, const dc_launch_t& launch) {
    launch.complete(launch.completion_context, DC_STATUS_OK, nullptr);
  }
  void synchronize(std::uint32_t) {}
  void pin_host(void* host, std::uint64_t bytes) {
    std::lock_guard lock(seen().mutex);
    seen().pinned[host] = bytes;
  }
  void unpin_host(void* host) noexcept {
    std::lock_guard lock(seen().mutex);
    seen().pinned.erase(host);
    ++seen().unpins;
  }
};

struct PinningPlugin {
  static constexpr const char* name = "pinning";
  static constexpr const char* version = "1";
  static constexpr const char* description = "records pins";
  explicit PinningPlugin(const dc_host_t&) {}
  PinningBackend& backend() { return backend_; }
  PinningBackend backend_;
};

Runtime pinning_runtime() {
  return Runtime::create([](RuntimeOptions& options) {
    options.in_process_plugins = {&plugin::table<PinningPlugin>};
    options.backends = {"cpu", "pinning"};
  });
}

TEST(PluginHostPinning, TheHostPoolsLargeBlocksArePinnedByTheBackendAndUnpinnedBeforeUnmapping) {
  Runtime runtime = pinning_runtime();
  ASSERT_EQ(runtime.devices().size(), 2u);  // starts the backend: its pin_host now pins for the process
  const float* address = nullptr;
  {
    Buffer<float> large(std::size_t{1} << 20);  // 4 MiB: a block of its own
    Buffer<float> small(256);
    address = large.host_read().data();
    EXPECT_TRUE(is_pinned_host_memory(address, large.size() * sizeof(float)));
    EXPECT_FALSE(is_pinned_host_memory(small.host_read().data(), small.size() * sizeof(float)));
    std::lock_guard lock(seen().mutex);
    const auto block = std::find_if(seen().pinned.begin(), seen().pinned.end(), [&](const auto& pin) {
      const auto* start = static_cast<const char*>(pin.first);
      return start <= reinterpret_cast<const char*>(address) &&
             reinterpret_cast<const char*>(address + (std::size_t{1} << 20)) <= start + pin.second;
    });
    EXPECT_NE(block, seen().pinned.end()) << "the plugin was not asked to pin the buffer's block";
  }
  host_memory_pool()->trim();  // unmaps the cached block: unpinned first
  EXPECT_FALSE(is_pinned_host_memory(address, 4));
  std::lock_guard lock(seen().mutex);
  EXPECT_GE(seen().unpins, 1u);
  for (const auto& [start, bytes] : seen().pinned) {
    EXPECT_FALSE(static_cast<const char*>(start) <= reinterpret_cast<const char*>(address) &&
                 reinterpret_cast<const char*>(address) < static_cast<const char*>(start) + bytes)
        << "the block is still pinned after it was unmapped";
  }
}

TEST(PluginHostPinning, ABackendWithOnlyOneOfPinAndUnpinIsRefused) {
  static const dc_backend_t half = [] {
    dc_backend_t backend = plugin::detail::BackendThunks<PinningPlugin>::table();
    backend.unpin_host = nullptr;
    return backend;
  }();
  static const dc_plugin_t table = [] {
    dc_plugin_t t = *plugin::table<PinningPlugin>();
    t.name = "half_pinning";
    t.backend_count = 1;
    t.backends = &half;
    return t;
  }();
  Runtime runtime = Runtime::create([](RuntimeOptions& options) {
    options.in_process_plugins = {[]() -> const dc_plugin_t* { return &table; }};
    options.backends = {"cpu"};
  });
  const auto records = runtime.services().get_required<PluginManager>()->records();
  ASSERT_FALSE(records.empty());
  EXPECT_FALSE(records.front().loaded);
  EXPECT_CONTAINS(records.front().reason, "backend 'pinning' has one of pin_host/unpin_host but not both");
}

TEST(PluginKernelDescriptor, CarriesTheAheadOfTimeCudaFatbinOfItsSource) {
  ASSERT_NE(samples::find_sample("scale"), nullptr);
  const KernelDefinition& scale = *KernelRegistry::global().find("scale");
  Runtime runtime = pinning_runtime();
  std::vector<float> x(16, 1.0f);
  runtime.orchestrator()
      .execute({.device = "pinning:0", .local_size = {}}, "scale", Range(16), 16, 2.0f, std::span<float>(x))
      .wait();
  std::lock_guard lock(seen().mutex);
  if (scale.source->cuda.image.empty()) {
    EXPECT_EQ(seen().fatbin_bytes, 0u) << "built without ahead-of-time fatbins, yet the plugin got one";
    return;
  }
  EXPECT_EQ(seen().fatbin_format, "cuda-fatbin");
  EXPECT_EQ(seen().fatbin_bytes, scale.source->cuda.image.size());
  std::string targets;
  for (const int architecture : scale.source->cuda.architectures) {
    targets += (targets.empty() ? "sm_" : " sm_") + std::to_string(architecture);
  }
  EXPECT_EQ(seen().fatbin_targets, targets);
}

}  // namespace
}  // namespace dotcompute::test
