#include <gtest/gtest.h>

#include <dotcompute/dotcompute.hpp>
#include <future>

#include "test_kernels.hpp"

namespace dotcompute {
namespace {

TEST(Buffer, ZeroFilledByDefaultAndConstructibleFromValues) {
  Buffer<float> zeros(1000);
  for (float v : zeros.host_read()) EXPECT_EQ(v, 0.0f);
  const std::vector<int> ints{1, 2, 3};
  Buffer<int> values(ints);
  EXPECT_EQ(values.to_vector(), ints);
  Buffer<float> braces{64};  // 64 elements: no initializer_list trap
  EXPECT_EQ(braces.size(), 64u);
  const std::vector<double> source{0.5, 1.5};
  Buffer<double> copy{std::span<const double>(source)};
  EXPECT_EQ(copy.size(), 2u);
  EXPECT_EQ(copy.size_bytes(), 16u);
  EXPECT_EQ(copy.storage()->element_type(), ScalarType::float64);
}

TEST(Buffer, CopyFillAndSizeMismatch) {
  Buffer<float> buffer(4, uninitialized);
  buffer.fill(2.0f);
  EXPECT_EQ(buffer.to_vector(), (std::vector<float>{2, 2, 2, 2}));
  const std::vector<float> in{1, 2, 3, 4};
  buffer.copy_from(in);
  std::vector<float> out(4);
  buffer.copy_to(out);
  EXPECT_EQ(out, in);
  std::vector<float> wrong(3);
  EXPECT_THROW(buffer.copy_to(wrong), MemoryError);
  EXPECT_THROW(buffer.copy_from(wrong), MemoryError);
}

TEST(Buffer, MoveLeavesAnEmptyBuffer) {
  Buffer<float> a(10);
  Buffer<float> b(std::move(a));
  EXPECT_EQ(b.size(), 10u);
  EXPECT_EQ(a.size(), 0u);  // NOLINT(bugprone-use-after-move): documented state
  EXPECT_TRUE(a.host_read().empty());
}

TEST(Buffer, MemoryComesFromTheHostPoolAndReturnsToIt) {
  const auto before = host_memory_pool()->stats();
  { Buffer<float> buffer(12345); }
  { Buffer<float> again(12345); }
  const auto after = host_memory_pool()->stats();
  EXPECT_EQ(after.bytes_in_use, before.bytes_in_use);
  EXPECT_GE(after.hits, before.hits + 1);
}

// Runs the blocking test kernel in a runtime of its own.
class BufferHazards : public ::testing::Test {
 protected:
  void SetUp() override {
    test::register_test_kernels(registry_);
    control_.reset();
  }
  KernelRegistry registry_;
  Runtime runtime_ = Runtime::create({.registry = &registry_});
  test::BlockingControl& control_ = test::blocking_control();
};

TEST_F(BufferHazards, HostReadWaitsForAPendingWriter) {
  auto& control = control_;
  Buffer<float> out(1 << 16);
  const Execution execution = runtime_.orchestrator().execute("test_blocking", Range(1 << 16), out);
  control.wait_until_started();
  auto reader = std::async(std::launch::async, [&out] {
    const auto values = out.host_read();
    return std::count(values.begin(), values.end(), 1.0f);
  });
  EXPECT_EQ(reader.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);  // still blocked
  control.release();
  EXPECT_EQ(reader.get(), 1 << 16);  // saw every write
  execution.wait();
}

TEST_F(BufferHazards, DestroyedWhileInUseStaysValidUntilTheExecutionFinishes) {
  auto& control = control_;
  Execution execution;
  {
    Buffer<float> out(1 << 16);
    execution = runtime_.orchestrator().execute("test_blocking", Range(1 << 16), out);
    control.wait_until_started();
  }  // the Buffer is gone; the command still holds its storage
  control.release();
  EXPECT_NO_THROW(execution.wait());
}

}  // namespace
}  // namespace dotcompute
