// Buffer coherence between the host and a device with memory of its own:
// copies only when stale, data stays on the device between kernels,
// write-only parameters are not uploaded, host and cross-device hand-offs.
#include <gtest/gtest.h>

#include <dotcompute/dotcompute.hpp>

#include "replica_test_device.hpp"

namespace dotcompute {
namespace {

std::atomic<int> scale_runs{0};

// x[i] *= factor over the range.
void scale_entry(const cpu::LaunchArgs& args, const cpu::WorkChunk& chunk) noexcept {
  const float factor = *static_cast<const float*>(args.values[0]);
  float* x = *static_cast<float* const*>(args.values[1]);
  for (std::size_t i = chunk.begin; i < chunk.end; ++i) x[i] *= factor;
  ++scale_runs;
}
// out[i] = in[i] + 1.
void plus_one_entry(const cpu::LaunchArgs& args, const cpu::WorkChunk& chunk) noexcept {
  const float* in = *static_cast<const float* const*>(args.values[0]);
  float* out = *static_cast<float* const*>(args.values[1]);
  for (std::size_t i = chunk.begin; i < chunk.end; ++i) out[i] = in[i] + 1.0f;
}

class Coherence : public ::testing::Test {
 protected:
  void SetUp() override {
    KernelDefinition scale;
    scale.name = "scale_in_place";
    scale.dimensions = 1;
    scale.cpu_entry = &scale_entry;
    scale.origin = "test";
    scale.parameters = {{"factor", ParameterKind::scalar, ScalarType::float32, Access::read_only, {}},
                        {"x", ParameterKind::buffer, ScalarType::float32, Access::read_write, {}}};
    registry_.add(std::move(scale));
    KernelDefinition plus;
    plus.name = "plus_one";
    plus.dimensions = 1;
    plus.cpu_entry = &plus_one_entry;
    plus.origin = "test";
    plus.parameters = {{"in", ParameterKind::buffer, ScalarType::float32, Access::read_only, {}},
                       {"out", ParameterKind::buffer, ScalarType::float32, Access::write_only, {}}};
    registry_.add(std::move(plus));
    for (const auto& device : runtime_.devices()) {
      if (device->info().id == "replica-test:0") device_ = static_cast<test::ReplicaTestDevice*>(device.get());
    }
    ASSERT_NE(device_, nullptr);
  }
  Execution on(const char* device, const char* kernel, auto&&... args) {
    return runtime_.orchestrator().execute({.device = device, .local_size = {}}, kernel, Range(kN), args...);
  }

  static constexpr int kN = 1000;
  KernelRegistry registry_;
  Runtime runtime_ = test::make_runtime_with_replica_device(&registry_);
  test::ReplicaTestDevice* device_ = nullptr;
};

TEST_F(Coherence, ChainOnTheDeviceCopiesOnceEachWay) {
  Buffer<float> x(kN);
  x.fill(1.0f);
  for (int i = 0; i < 5; ++i) on("replica-test:0", "scale_in_place", 2.0f, x);
  EXPECT_EQ(device_->uploads, 1);  // uploaded once, then resident
  EXPECT_EQ(device_->downloads, 0);
  EXPECT_FALSE(x.storage()->host_valid());
  const auto values = x.host_read();
  EXPECT_EQ(values[0], 32.0f);
  EXPECT_EQ(values[kN - 1], 32.0f);
  EXPECT_EQ(device_->downloads, 1);
  (void)x.host_read();
  EXPECT_EQ(device_->downloads, 1);  // the host copy is valid now
}

TEST_F(Coherence, HostWriteBetweenKernelsIsUploadedAgain) {
  Buffer<float> x(kN);
  on("replica-test:0", "scale_in_place", 2.0f, x).wait();
  x.fill(3.0f);  // host write: device replica stale
  on("replica-test:0", "scale_in_place", 2.0f, x).wait();
  EXPECT_EQ(device_->uploads, 2);
  EXPECT_EQ(x.host_read()[7], 6.0f);
}

TEST_F(Coherence, WriteOnlyParametersAreNotUploaded) {
  Buffer<float> in(kN), out(kN);
  in.fill(4.0f);
  on("replica-test:0", "plus_one", std::as_const(in), out).wait();
  EXPECT_EQ(device_->uploads, 1);  // `in` only
  EXPECT_EQ(out.host_read()[3], 5.0f);
}

TEST_F(Coherence, DeviceToCpuAndBackWithoutHostReads) {
  Buffer<float> x(kN);
  x.fill(1.0f);
  on("replica-test:0", "scale_in_place", 3.0f, x);  // device writes
  on("cpu:0", "scale_in_place", 2.0f, x);           // CPU reads + writes: downloads first
  on("replica-test:0", "scale_in_place", 5.0f, x);  // device again: uploads the CPU's result
  EXPECT_EQ(x.host_read()[kN / 2], 30.0f);
  EXPECT_EQ(device_->downloads, 2);
  EXPECT_EQ(device_->uploads, 2);
}

TEST_F(Coherence, ReadOnOneDeviceWhileAnotherWrites) {
  Buffer<float> a(kN), b(kN), c(kN);
  a.fill(10.0f);
  on("replica-test:0", "plus_one", std::as_const(a), b);  // device reads a
  on("cpu:0", "scale_in_place", 0.5f, a);                 // CPU writes a meanwhile (device has its own copy)
  on("cpu:0", "plus_one", std::as_const(b), c);           // CPU reads the device's b
  EXPECT_EQ(b.host_read()[0], 11.0f);
  EXPECT_EQ(c.host_read()[0], 12.0f);
  EXPECT_EQ(a.host_read()[0], 5.0f);
}

TEST_F(Coherence, HostSpansAreCopiedInAndBack) {
  std::vector<float> in(kN, 2.0f);
  std::vector<float> out(kN, 0.0f);
  on("replica-test:0", "plus_one", std::as_const(in), out).wait();
  EXPECT_EQ(out[kN - 1], 3.0f);
  std::vector<float> x(kN, 1.5f);
  on("replica-test:0", "scale_in_place", 2.0f, x).wait();
  EXPECT_EQ(x[0], 3.0f);
}

TEST_F(Coherence, TransferTimeIsReported) {
  Buffer<float> x(1 << 20);
  const KernelResult result =
      runtime_.orchestrator()
          .execute({.device = "replica-test:0", .local_size = {}}, "scale_in_place", Range(1 << 20), 1.0f, x)
          .get();
  EXPECT_GT(result.timings.transfer.count(), 0);
}

TEST_F(Coherence, BufferOutlivesTheRuntime) {
  auto x = std::make_unique<Buffer<float>>(kN);
  {
    Runtime runtime = test::make_runtime_with_replica_device(&registry_);
    runtime.orchestrator()
        .execute({.device = "replica-test:0", .local_size = {}}, "scale_in_place", Range(kN), 2.0f, *x)
        .wait();
    EXPECT_EQ(x->host_read()[0], 0.0f);
  }
  x.reset();  // the replica frees itself without its device
}

}  // namespace
}  // namespace dotcompute
