// The OpenCL plugin driven through its C table by hand, as runtimes built
// against an older and the current plugin_abi.h drive it: the plugin holds
// completions back only for a runtime that tells it of its waits
// (dc_backend_t::waiting), recognised by the dc_launch_t::complete_at it
// sends (appended with it). Skipped where OpenCL has no device.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <dotcompute/plugin_abi.h>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <deque>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kSource =
    "DC_KERNEL void nothing(int unused) {}\n"
    "DC_KERNEL void spin(int iterations, DC_GLOBAL float* x) {\n"
    "  float v = 0.0f;\n"
    "  for (int i = 0; i < iterations; ++i) v = v * 0.999f + 1.0f;\n"
    "  x[dc_global_id(0)] = v;\n"
    "}\n";
// On each side of the long spin: few enough for the driver to take all at
// once (its window, ~2 ms of measured work, can shrink to a few hundred
// empty kernels on a loaded machine), and more than a completion marker's
// spacing (at most 64) before it.
constexpr int kShort = 100;
constexpr int kLong = 40000000;  // about 70 ms on PoCL here

// When the plugin reported a launch, on whichever thread.
struct Reported {
  std::atomic<Clock::rep> at{0};
  std::atomic<dc_status_t> status{-1};
};

class OpenClPluginTable : public ::testing::Test {
 protected:
  void SetUp() override {
    cache_ = fs::path(::testing::TempDir()) / "dc_opencl_table";
    library_ = dlopen(OPENCL_PLUGIN, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(library_, nullptr) << dlerror();
    auto* entry = reinterpret_cast<dc_plugin_entry_fn>(dlsym(library_, DC_PLUGIN_ENTRY_SYMBOL));
    ASSERT_NE(entry, nullptr);
    table_ = entry();
    const std::string cache = cache_.string();
    const dc_host_t host{sizeof(dc_host_t), DC_PLUGIN_ABI_VERSION, "test", OPENCL_PLUGIN, cache.c_str()};
    dc_message_t message{};
    ASSERT_EQ(table_->init(&host, &state_, &message), DC_STATUS_OK) << message.text;
    backend_ = &table_->backends[0];
    std::uint32_t devices = 0;
    if (backend_->device_count(state_, &devices, &message) != DC_STATUS_OK || devices == 0) {
      GTEST_SKIP() << "no OpenCL device: " << message.text;
    }
    nothing_ = prepare("nothing", {{"unused", DC_PARAMETER_SCALAR, DC_SCALAR_INT32, DC_ACCESS_READ_ONLY}});
    spin_ = prepare("spin", {{"iterations", DC_PARAMETER_SCALAR, DC_SCALAR_INT32, DC_ACCESS_READ_ONLY},
                             {"x", DC_PARAMETER_BUFFER, DC_SCALAR_FLOAT32, DC_ACCESS_READ_WRITE}});
    ASSERT_EQ(backend_->allocate(state_, 0, 2 * sizeof(float), &x_, &message), DC_STATUS_OK) << message.text;
  }
  void TearDown() override {
    if (state_ != nullptr) {
      dc_message_t message{};
      if (backend_ != nullptr) (void)backend_->synchronize(state_, 0, &message);
      if (x_ != nullptr) backend_->release(state_, 0, x_);
      for (auto& kernel : kernels_) backend_->release_kernel(state_, 0, kernel.program);
      table_->shutdown(state_);
    }
    if (library_ != nullptr) dlclose(library_);
    fs::remove_all(cache_);
  }

  // The spin, 200 empty kernels, a long spin, 200 more, launched as a runtime
  // built against `launch_size` bytes of dc_launch_t would: nobody waits.
  // How long after the 100th empty kernel the long spin was reported.
  Clock::duration long_reported_after_a_short_one(std::uint32_t launch_size) {
    dc_message_t message{};
    // Short kernels measured first: the driver then takes all that follows at once.
    std::vector<Reported> warm_up(3 * kShort);
    for (Reported& reported : warm_up) launch(launch_size, nothing_, 0, reported);
    EXPECT_EQ(backend_->synchronize(state_, 0, &message), DC_STATUS_OK) << message.text;
    std::vector<Reported> shorts(2 * kShort);
    Reported first_spin;
    Reported long_spin;
    launch(launch_size, spin_, kLong / 2, first_spin);  // the driver starts on the rest once all is launched
    for (int i = 0; i < kShort; ++i) launch(launch_size, nothing_, 0, shorts[i]);
    launch(launch_size, spin_, kLong, long_spin);
    for (int i = kShort; i < 2 * kShort; ++i) launch(launch_size, nothing_, 0, shorts[i]);
    // Not synchronize(): a wait of its own, it would keep completions from being held back.
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    while (shorts.back().status.load() == -1 && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_EQ(backend_->synchronize(state_, 0, &message), DC_STATUS_OK) << message.text;
    EXPECT_EQ(shorts[kShort / 2].status.load(), DC_STATUS_OK);
    EXPECT_EQ(long_spin.status.load(), DC_STATUS_OK);
    return Clock::duration(long_spin.at.load() - shorts[kShort / 2].at.load());
  }

 private:
  struct Kernel {
    std::string name;
    std::vector<dc_kernel_parameter_t> parameters;
    dc_kernel_t descriptor{};
    void* program = nullptr;
  };

  void* prepare(const char* name, std::vector<dc_kernel_parameter_t> parameters) {
    Kernel& kernel = kernels_.emplace_back(Kernel{name, std::move(parameters)});
    kernel.descriptor.struct_size = sizeof(dc_kernel_t);
    kernel.descriptor.name = kernel.name.c_str();
    kernel.descriptor.dimensions = 1;
    kernel.descriptor.parameter_count = static_cast<std::uint32_t>(kernel.parameters.size());
    kernel.descriptor.parameters = kernel.parameters.data();
    kernel.descriptor.source = kSource;
    kernel.descriptor.source_path = "tests/opencl_table.dck";
    dc_message_t message{};
    EXPECT_EQ(backend_->prepare_kernel(state_, 0, &kernel.descriptor, &kernel.program, &message), DC_STATUS_OK)
        << message.text;
    return kernel.program;
  }

  void launch(std::uint32_t launch_size, void* program, std::int32_t first, Reported& reported) {
    std::array<dc_launch_argument_t, 2> arguments{};
    arguments[0].kind = DC_PARAMETER_SCALAR;
    std::memcpy(arguments[0].scalar, &first, sizeof first);
    arguments[1].kind = DC_PARAMETER_BUFFER;
    arguments[1].memory = x_;
    arguments[1].elements = 2;
    dc_launch_t launch{};
    launch.struct_size = launch_size;
    launch.program = program;
    const bool spin = program == spin_;
    for (int d = 0; d < 3; ++d) launch.geometry.global[d] = launch.geometry.local[d] = 1;
    launch.geometry.global[0] = launch.geometry.local[0] = spin ? 2 : 1;
    launch.argument_count = spin ? 2 : 1;
    launch.arguments = arguments.data();
    launch.completion_context = &reported;
    launch.complete = [](void* context, dc_status_t status, const char*) { record(context, status); };
    launch.cancel_requested = [](void*) -> std::int32_t { return 0; };
    if (launch_size == sizeof(dc_launch_t)) {
      launch.complete_at = [](void* context, dc_status_t status, const char*, std::int64_t) {
        record(context, status);
      };
    }
    dc_message_t message{};
    ASSERT_EQ(backend_->launch(state_, 0, &launch, &message), DC_STATUS_OK) << message.text;
  }
  static void record(void* context, dc_status_t status) {
    auto* reported = static_cast<Reported*>(context);
    reported->at = Clock::now().time_since_epoch().count();
    reported->status = status;
  }

  fs::path cache_;
  void* library_ = nullptr;
  const dc_plugin_t* table_ = nullptr;
  void* state_ = nullptr;
  const dc_backend_t* backend_ = nullptr;
  std::deque<Kernel> kernels_;  // stable addresses
  void* nothing_ = nullptr;
  void* spin_ = nullptr;
  void* x_ = nullptr;
};

TEST_F(OpenClPluginTable, ARuntimeThatTellsOfItsWaitsMayHaveCompletionsHeldBack) {
  // Nobody waits, so the short kernels' completions wait for the next
  // launch (none comes) or the marker after the long spin. Holding back
  // needs the driver to stay behind the launches; on a loaded machine one
  // try may not show it, so up to three.
  Clock::duration gap{};
  for (int attempt = 0; attempt < 3; ++attempt) {
    gap = long_reported_after_a_short_one(sizeof(dc_launch_t));
    if (gap < std::chrono::milliseconds(20)) return;
  }
  ADD_FAILURE() << "a short kernel's completion came " << std::chrono::duration<double, std::milli>(gap).count()
                << " ms before the long one behind it, in each of 3 tries: nothing was held back";
}

TEST_F(OpenClPluginTable, AnOlderRuntimeNeverHasCompletionsHeldBack) {
  // It would not say when it waits: each completion comes with its own marker.
  EXPECT_GT(long_reported_after_a_short_one(offsetof(dc_launch_t, complete_at)), std::chrono::milliseconds(20))
      << "a completion was held back for a runtime that cannot ask for it";
}

}  // namespace
