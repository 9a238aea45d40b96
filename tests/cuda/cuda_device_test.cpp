// What only the CUDA backend does on a GPU: transfers by DMA from pinned host
// blocks and through pinned staging for pageable memory, and a faulting kernel
// that fails its execution and the device without taking the CPU backend down.
// Skipped, with the reason, where no CUDA device is available.
#include <gtest/gtest.h>

#include <dotcompute/dotcompute.hpp>
#include <vector>

namespace dotcompute {
namespace {

#define EXPECT_CONTAINS(text, fragment) EXPECT_NE(std::string(text).find(fragment), std::string::npos) << (text)

// Uses the sample kernel scale(n, factor, x), which runs natively on the CPU too.
class CudaDevice : public ::testing::Test {
 protected:
  void SetUp() override {
    runtime_ = std::make_unique<Runtime>(Runtime::create([](RuntimeOptions& o) { o.backends = {"cpu", "cuda"}; }));
    if (runtime_->devices().size() < 2) {
      std::string reason = "no CUDA device";
      for (const auto& skipped : runtime_->skipped_backends()) reason += ": " + skipped.reason;
      GTEST_SKIP() << reason;
    }
  }
  Execution scale(const char* device, float factor, auto&& x) {
    const int n = static_cast<int>(x.size());
    return runtime_->orchestrator().execute({.device = device, .local_size = {}}, "scale", Range(n), n, factor, x);
  }
  std::unique_ptr<Runtime> runtime_;
};

// 20M floats: several 8 MiB staging chunks, and a block the host pool pins.
constexpr std::size_t kLarge = 20'000'003;

TEST_F(CudaDevice, PinnedBuffersRoundTripByDma) {
  Buffer<float> x(kLarge);  // allocated after the backend started: pinned
  EXPECT_TRUE(is_pinned_host_memory(x.host_read().data(), x.size() * sizeof(float)));
  auto values = x.host_write();
  for (std::size_t i = 0; i < kLarge; ++i) values[i] = static_cast<float>(i % 1000);
  scale("cuda", 2.0f, x).wait();
  scale("cpu", 3.0f, x).wait();   // downloads, then runs on the host copy
  scale("cuda", 5.0f, x).wait();  // uploads again
  const auto result = x.host_read();
  for (std::size_t i = 0; i < kLarge; i += 4099) ASSERT_EQ(result[i], static_cast<float>(i % 1000) * 30.0f) << i;
  EXPECT_EQ(result[kLarge - 1], static_cast<float>((kLarge - 1) % 1000) * 30.0f);
}

TEST_F(CudaDevice, PageableHostSpansGoThroughStaging) {
  std::vector<float> values(kLarge);
  for (std::size_t i = 0; i < kLarge; ++i) values[i] = static_cast<float>(i % 1000);
  EXPECT_FALSE(is_pinned_host_memory(values.data(), values.size() * sizeof(float)));
  scale("cuda", 2.0f, std::span<float>(values)).wait();
  for (std::size_t i = 0; i < kLarge; i += 4099) ASSERT_EQ(values[i], static_cast<float>(i % 1000) * 2.0f) << i;
  EXPECT_EQ(values[kLarge - 1], static_cast<float>((kLarge - 1) % 1000) * 2.0f);
}

TEST_F(CudaDevice, AFaultingKernelFailsAloneAndTheCpuBackendCarriesOn) {
  KernelRegistry registry;
  registry.add_source("DC_KERNEL void poke(long offset, DC_GLOBAL float* x DC_SIZE(1)) { x[offset] = 1.0f; }\n",
                      "runtime/poke.dck");
  Runtime faulty = Runtime::create([&registry](RuntimeOptions& o) {
    o.backends = {"cpu", "cuda"};
    o.registry = &registry;
  });
  Buffer<float> x(1);
  Execution wild = faulty.orchestrator().execute({.device = "cuda", .local_size = {}}, "poke", Range(1),
                                                 static_cast<long>(1) << 40, x);
  try {
    wild.wait();
    (void)wild.get();
    FAIL() << "expected ExecutionError";
  } catch (const ExecutionError& e) {
    EXPECT_CONTAINS(e.what(), "kernel 'poke' failed on cuda:0");
    EXPECT_CONTAINS(e.what(), "unusable");
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
