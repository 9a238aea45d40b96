// Device choice: explicit option, DOTCOMPUTE_DEVICE / default device, the fixed-priority selector, a custom selector.
#include <gtest/gtest.h>

#include <cstdlib>
#include <dotcompute/dotcompute.hpp>

#include "test_kernels.hpp"

namespace dotcompute {
namespace {

void noop_entry(const cpu::LaunchArgs&, const cpu::WorkChunk&) noexcept {}

class Selection : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.add(test::native_kernel("k", &noop_entry, {}, 0));
    registry_.add_source("DC_KERNEL void portable_only() {}", "runtime:portable");
  }
  KernelRegistry registry_;
};

TEST_F(Selection, FixedPriorityRanksGpusFirst) {
  DeviceInfo cuda{.id = "cuda:0", .backend = "cuda", .type = DeviceType::gpu};
  DeviceInfo opencl_gpu{.id = "opencl:0", .backend = "opencl", .type = DeviceType::gpu};
  DeviceInfo cpu{.id = "cpu:0", .backend = "cpu", .type = DeviceType::cpu};
  DeviceInfo opencl_cpu{.id = "opencl:1", .backend = "opencl", .type = DeviceType::cpu};
  EXPECT_LT(FixedPrioritySelector::rank(cuda), FixedPrioritySelector::rank(opencl_gpu));
  EXPECT_LT(FixedPrioritySelector::rank(opencl_gpu), FixedPrioritySelector::rank(cpu));
  EXPECT_LT(FixedPrioritySelector::rank(cpu), FixedPrioritySelector::rank(opencl_cpu));
}

TEST_F(Selection, DefaultIsTheSelectorsChoiceWithItsReason) {
  Runtime runtime = Runtime::create({.default_accelerator = "", .registry = &registry_});
  const KernelResult result = runtime.orchestrator().execute("k", Range(1)).get();
  EXPECT_EQ(result.device, "cpu:0");
  EXPECT_NE(result.selection_reason.find("fixed priority"), std::string::npos) << result.selection_reason;
}

TEST_F(Selection, FixedReasonsAreSharedNotCopied) {
  Runtime runtime = Runtime::create({.default_accelerator = "", .registry = &registry_});
  const KernelResult first = runtime.orchestrator().execute("k", Range(1)).get();
  const KernelResult second = runtime.orchestrator().execute("k", Range(1)).get();
  EXPECT_EQ(first.selection_reason.c_str(), second.selection_reason.c_str());  // one text, referred to twice
  const ExecutionOptions on_cpu{.device = "cpu", .local_size = {}};
  const KernelResult third = runtime.orchestrator().execute(on_cpu, "k", Range(1)).get();
  const KernelResult fourth = runtime.orchestrator().execute(on_cpu, "k", Range(1)).get();
  EXPECT_EQ(third.selection_reason.c_str(), fourth.selection_reason.c_str());
}

TEST_F(Selection, ExplicitDeviceByIdOrBackend) {
  Runtime runtime = Runtime::create({.registry = &registry_});
  for (const char* spec : {"cpu", "cpu:0"}) {
    const KernelResult result = runtime.orchestrator().execute({.device = spec, .local_size = {}}, "k", Range(1)).get();
    EXPECT_EQ(result.device, "cpu:0");
    EXPECT_NE(result.selection_reason.find("requested in ExecutionOptions"), std::string::npos);
  }
  EXPECT_THROW((void)runtime.orchestrator().execute({.device = "opencl:0", .local_size = {}}, "k", Range(1)),
               ArgumentError);
}

TEST_F(Selection, EnvironmentVariableSetsTheDefaultDevice) {
  ::setenv("DOTCOMPUTE_DEVICE", "cpu:0", 1);
  Runtime runtime = Runtime::create({.registry = &registry_});
  const KernelResult result = runtime.orchestrator().execute("k", Range(1)).get();
  EXPECT_EQ(result.device, "cpu:0");
  EXPECT_EQ(result.selection_reason,
            "the default accelerator (RuntimeOptions::default_accelerator or DOTCOMPUTE_DEVICE)");
  ::setenv("DOTCOMPUTE_DEVICE", "cuda:3", 1);
  try {
    (void)Runtime::create({.registry = &registry_});
    FAIL() << "expected ArgumentError";
  } catch (const ArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "unknown device 'cuda:3' in the default accelerator (RuntimeOptions or DOTCOMPUTE_DEVICE)"),
              std::string::npos)
        << e.what();
  }
  ::unsetenv("DOTCOMPUTE_DEVICE");
}

TEST_F(Selection, KernelWithoutAnImplementationForAnyDevice) {
  // CPU only: the portable-only kernel would run on an OpenCL device.
  Runtime runtime = Runtime::create({.backends = {"cpu"}, .registry = &registry_});
  try {
    (void)runtime.orchestrator().execute("portable_only", Range(1));
    FAIL() << "expected DeviceUnavailableError";
  } catch (const DeviceUnavailableError& e) {
    EXPECT_NE(std::string(e.what()).find("no available device can run kernel 'portable_only'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("cpu:0: kernel 'portable_only' has no native CPU implementation"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW((void)runtime.orchestrator().execute({.device = "cpu", .local_size = {}}, "portable_only", Range(1)),
               ArgumentError);
}

class CountingSelector final : public BackendSelector {
 public:
  std::string_view name() const noexcept override { return "counting"; }
  dotcompute::Selection select(const SelectionRequest& request) override {
    ++calls;
    return {request.candidates.back().get(), "custom selector"};
  }
  int calls = 0;
};

TEST_F(Selection, CustomSelectorIsAskedWhenNoDeviceIsNamed) {
  auto selector = std::make_shared<CountingSelector>();
  Runtime runtime = Runtime::create({.selector = selector, .registry = &registry_});
  EXPECT_EQ(runtime.orchestrator().execute("k", Range(1)).get().selection_reason, "custom selector");
  (void)runtime.orchestrator().execute({.device = "cpu", .local_size = {}}, "k", Range(1)).get();
  EXPECT_EQ(selector->calls, 1);
}

TEST_F(Selection, RuntimeListsDevicesAndSkippedBackends) {
  Runtime runtime = Runtime::create({.backends = {"cpu"}, .registry = &registry_});
  ASSERT_EQ(runtime.devices().size(), 1u);
  const DeviceInfo& info = runtime.devices()[0]->info();
  EXPECT_EQ(info.type, DeviceType::cpu);
  EXPECT_GE(info.compute_units, 1u);
  EXPECT_GE(info.simd_width_bits, 128u);
  EXPECT_GT(info.global_memory_bytes, 0u);
  EXPECT_FALSE(info.name.empty());
  EXPECT_EQ(runtime.orchestrator().available_devices().size(), 1u);
  EXPECT_EQ(runtime.orchestrator().get_kernel("k")->name, "k");
  bool opencl_excluded = false;
  for (const auto& skipped : runtime.skipped_backends()) {
    opencl_excluded = opencl_excluded || (skipped.backend == "opencl" && skipped.reason.find("excluded") == 0);
  }
  EXPECT_TRUE(opencl_excluded);
}

}  // namespace
}  // namespace dotcompute
