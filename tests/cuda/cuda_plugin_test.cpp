// The CUDA plugin end to end on a machine without a GPU or the CUDA toolkit:
// the suite's stand-in driver (stand_in_driver.cpp) is loaded first, so the
// plugin's dlopen("libcuda.so.1") finds it, and the plugin loads the
// stand-in NVRTC (stand_in_nvrtc.cpp). What runs for real: the plugin's
// enumeration, kernel preparation (the ahead-of-time fatbin when built, else
// NVRTC's part), device memory, pinned and staged transfers, the stream queue
// and its completion thread, write-backs, launch geometry checks and the
// handling of a fault that breaks the context. What the stand-ins fake: the
// GPU (memory is host memory, streams are threads, and it runs the kernels it
// knows by name on the host) and compilation. On a real GPU the same paths
// are covered by cuda_tests and the conformance suite.
#include <gtest/gtest.h>

#include <algorithm>
#include <dotcompute/dotcompute.hpp>
#include <string>
#include <vector>

#include "load_stand_ins.hpp"
#include "sample_catalog.hpp"

namespace dotcompute {
namespace {

#define EXPECT_CONTAINS(text, fragment) EXPECT_NE(std::string(text).find(fragment), std::string::npos) << (text)

StandInCounters& counters() { return load_cuda_stand_ins(); }

class CudaPlugin : public ::testing::Test {
 protected:
  void SetUp() override {
    (void)counters();  // before any runtime: the plugin must find the stand-in
    ASSERT_NE(samples::find_sample("scale"), nullptr);
    runtime_ = std::make_unique<Runtime>(Runtime::create([](RuntimeOptions& o) { o.backends = {"cpu", "cuda"}; }));
    ASSERT_EQ(runtime_->devices().size(), 2u)
        << (runtime_->skipped_backends().empty() ? std::string("no skip reason")
                                                 : runtime_->skipped_backends().front().reason);
  }
  Execution scale(const char* device, float factor, auto&& x) {
    const int n = static_cast<int>(x.size());
    return runtime_->orchestrator().execute({.device = device, .local_size = {}}, "scale", Range(n), n, factor, x);
  }
  std::unique_ptr<Runtime> runtime_;
};

TEST_F(CudaPlugin, DescribesTheGpu) {
  const DeviceInfo& info = runtime_->devices()[1]->info();
  EXPECT_EQ(info.id, "cuda:0");
  EXPECT_EQ(info.name, "stand-in GPU");
  EXPECT_EQ(info.vendor, "NVIDIA");
  EXPECT_EQ(info.type, DeviceType::gpu);
  EXPECT_EQ(info.compute_units, 4u);
  EXPECT_EQ(info.global_memory_bytes, std::size_t{1} << 30);
  EXPECT_EQ(info.max_work_group_size, 1024u);
  EXPECT_EQ(info.driver_version, "CUDA driver 13.0");
  ASSERT_FALSE(info.features.empty());
  EXPECT_EQ(info.features.front(), "sm_90");  // first: tools read the architecture from it
  EXPECT_NE(std::find(info.features.begin(), info.features.end(), "plugin cuda"), info.features.end());
}

TEST_F(CudaPlugin, BuffersStayCoherentAcrossTheGpuAndTheCpu) {
  Buffer<float> x(1000);
  x.fill(2.0f);
  const int launches = counters().launches.load();
  scale("cuda", 3.0f, x).wait();  // uploads, runs on the "GPU"
  scale("cpu", 2.0f, x).wait();   // downloads first
  scale("cuda", 0.5f, x).wait();  // uploads again
  EXPECT_EQ(counters().launches.load() - launches, 2);
  const auto values = x.host_read();
  for (std::size_t i = 0; i < values.size(); ++i) ASSERT_EQ(values[i], 6.0f) << i;
}

TEST_F(CudaPlugin, PinnedBlocksMoveInOneCopyAndPageableSpansThroughStaging) {
  // 4M floats: a host pool block, pinned by the plugin since it started.
  Buffer<float> pinned(std::size_t{1} << 22);
  ASSERT_TRUE(is_pinned_host_memory(pinned.host_read().data(), pinned.size() * sizeof(float)));
  EXPECT_GE(counters().host_registers.load(), 1);
  pinned.fill(1.0f);
  const int pinned_copies = counters().pinned_copies.load();
  scale("cuda", 4.0f, pinned).wait();
  EXPECT_EQ(pinned.host_read()[(std::size_t{1} << 22) - 1], 4.0f);
  EXPECT_EQ(counters().pinned_copies.load() - pinned_copies, 2);  // one upload, one download

  // 20M floats of pageable memory: several 8 MiB staging chunks up, one copy back.
  std::vector<float> pageable(20'000'003, 1.5f);
  const int pageable_copies = counters().pageable_copies.load();
  const int staging_allocations = counters().staging_allocations.load();
  scale("cuda", 2.0f, std::span<float>(pageable)).wait();
  EXPECT_EQ(counters().staging_allocations.load() - staging_allocations, 2);  // the device's two chunks
  EXPECT_GE(counters().pageable_copies.load() - pageable_copies, 10);
  for (std::size_t i = 0; i < pageable.size(); i += 4099) ASSERT_EQ(pageable[i], 3.0f) << i;
  EXPECT_EQ(pageable.back(), 3.0f);
}

TEST_F(CudaPlugin, ABurstOfLaunchesCompletesThroughAFewEvents) {
  KernelRegistry registry;
  registry.add_source("DC_KERNEL void nothing(int unused) {}", "runtime/nothing.dck");
  registry.add_source(
      "DC_KERNEL void spin(int iterations, DC_GLOBAL float* x) {\n"
      "  float v = 0.0f;\n"
      "  for (int i = 0; i < iterations; ++i) v = v * 0.999f + 1.0f;\n"
      "  x[dc_global_id(0)] = v;\n"
      "}\n",
      "runtime/spin.dck");
  Runtime runtime = Runtime::create([&registry](RuntimeOptions& o) {
    o.backends = {"cpu", "cuda"};
    o.registry = &registry;
  });
  const ExecutionOptions on{.device = "cuda", .local_size = {}};
  for (int i = 0; i < 300; ++i) (void)runtime.orchestrator().execute(on, "nothing", Range(1), i);  // measured
  runtime.orchestrator().execute(on, "nothing", Range(1), 0).wait();
  Buffer<float> x(1);
  const Execution spin = runtime.orchestrator().execute(on, "spin", Range(1), 20'000'000, x);  // tens of ms
  const int records = counters().event_records.load();
  std::vector<Execution> burst;
  for (int i = 0; i < 1000; ++i) burst.push_back(runtime.orchestrator().execute(on, "nothing", Range(1), i));
  // An event per launch would be 1000. A marker follows every window / 4
  // launches: 16 to 64 here, and fewer only where the stand-in takes over 30
  // us per launch (under sanitizers on a loaded machine) and the window narrows.
  EXPECT_LT(counters().event_records.load() - records, 1000 / 4);
  EXPECT_NO_THROW(spin.wait());
  for (const Execution& execution : burst) EXPECT_NO_THROW(execution.wait());
}

TEST_F(CudaPlugin, ARangeTheGridCannotCoverIsAnArgumentError) {
  // The runtime's local size for (1, 524288) is (1, 1): one block per row, and a grid
  // may have at most 65535 blocks in dimension 1.
  constexpr int width = 1;
  constexpr int height = 524'288;
  Buffer<float> in(width * height), out(width * height);
  try {
    (void)runtime_->orchestrator()
        .execute({.device = "cuda", .local_size = {}}, "blur3x3", Range(width, height), width, height,
                 std::as_const(in), out)
        .get();
    FAIL() << "expected ArgumentError";
  } catch (const ArgumentError& e) {
    EXPECT_CONTAINS(
        e.what(), "kernel 'blur3x3': the range needs 524288 blocks in dimension 1, more than the 65535 cuda:0 allows");
  }
}

TEST_F(CudaPlugin, AFaultingKernelBreaksItsGpuAndNothingElse) {
  KernelRegistry registry;
  registry.add_source("DC_KERNEL void poke(long offset, DC_GLOBAL float* x DC_SIZE(1)) { x[offset] = 1.0f; }\n",
                      "runtime/poke.dck");
  Runtime faulty = Runtime::create([&registry](RuntimeOptions& o) {
    o.backends = {"cpu", "cuda"};
    o.registry = &registry;
  });
  Buffer<float> x(1);
  try {
    (void)faulty.orchestrator().execute({.device = "cuda", .local_size = {}}, "poke", Range(1), 1L << 40, x).get();
    FAIL() << "expected ExecutionError";
  } catch (const ExecutionError& e) {
    EXPECT_CONTAINS(e.what(), "kernel 'poke' failed on cuda:0");
    EXPECT_CONTAINS(e.what(), "CUDA_ERROR_ILLEGAL_ADDRESS");
    EXPECT_CONTAINS(e.what(), "unusable until the process restarts");
  }
  try {
    (void)faulty.orchestrator().execute({.device = "cuda", .local_size = {}}, "poke", Range(1), 0L, x).get();
    FAIL() << "expected DeviceError";
  } catch (const DeviceError& e) {
    EXPECT_CONTAINS(e.what(), "unusable");
  }
  Buffer<float> y(4);
  y.fill(1.0f);
  scale("cpu", 2.0f, y).wait();
  EXPECT_EQ(y.host_read()[3], 2.0f);
}

}  // namespace
}  // namespace dotcompute
