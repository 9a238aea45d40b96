// Every argument-validation path: each error names the kernel, the parameter and the reason.
#include <gtest/gtest.h>

#include <dotcompute/dotcompute.hpp>

#include "test_kernels.hpp"

namespace dotcompute {
namespace {

std::atomic<int> launches{0};
void noop_entry(const cpu::LaunchArgs&, const cpu::WorkChunk&) noexcept { launches.fetch_add(1); }

KernelParameter scalar(std::string name, ScalarType type) {
  return {std::move(name), ParameterKind::scalar, type, Access::read_only, {}};
}
KernelParameter buffer(std::string name, ScalarType type, Access access) {
  return {std::move(name), ParameterKind::buffer, type, access, {}};
}

class ArgumentValidation : public ::testing::Test {
 protected:
  void SetUp() override {
    // check(int n, float a, const float* x DC_SIZE(n), float* y, DC_WRITE_ONLY int* z), 1-D
    KernelDefinition check = test::native_kernel(
        "check", &noop_entry,
        {scalar("n", ScalarType::int32), scalar("a", ScalarType::float32),
         buffer("x", ScalarType::float32, Access::read_only), buffer("y", ScalarType::float32, Access::read_write),
         buffer("z", ScalarType::int32, Access::write_only)});
    check.parameters[2].required_elements = SizeExpression::parse("n", check.parameters);
    registry_.add(std::move(check));
    registry_.add(test::native_kernel("grid", &noop_entry, {}, 2));
    registry_.add(test::native_kernel(
        "wide", &noop_entry,
        {scalar("u", ScalarType::uint32), scalar("l", ScalarType::int64), scalar("d", ScalarType::float64)}));
    launches = 0;
  }

  // Runs `call` and returns the ArgumentError's message (failing if none is thrown).
  template <class Call>
  std::string error_of(Call&& call) {
    try {
      call();
    } catch (const ArgumentError& e) {
      return e.what();
    }
    ADD_FAILURE() << "expected ArgumentError";
    return {};
  }

  KernelRegistry registry_;
  Runtime runtime_ = Runtime::create({.registry = &registry_});
  ComputeOrchestrator& o_ = runtime_.orchestrator();
  Buffer<float> x_{std::vector<float>(64, 1.0f)};
  Buffer<float> y_{64};
  Buffer<int> z_{64};
};

#define EXPECT_CONTAINS(text, fragment) EXPECT_NE((text).find(fragment), std::string::npos) << (text)

TEST_F(ArgumentValidation, ValidCallRuns) {
  EXPECT_NO_THROW(o_.execute("check", Range(64), 64, 2.0f, std::as_const(x_), y_, z_).wait());
  EXPECT_EQ(launches, 1);
}

TEST_F(ArgumentValidation, WrongArgumentCount) {
  const std::string message = error_of([&] { (void)o_.execute("check", Range(64), 64, 2.0f); });
  EXPECT_CONTAINS(message, "kernel 'check': takes 5 arguments, got 2");
  EXPECT_CONTAINS(message, "check(int n, float a, const float* x DC_SIZE(n)");
}

TEST_F(ArgumentValidation, BufferWhereScalarExpectedAndViceVersa) {
  EXPECT_CONTAINS(error_of([&] { (void)o_.execute("check", Range(64), y_, 2.0f, std::as_const(x_), y_, z_); }),
                  "parameter 'n' (argument 1) is a scalar int; got a Buffer<float>");
  EXPECT_CONTAINS(error_of([&] { (void)o_.execute("check", Range(64), 64, 2.0f, 1.0f, y_, z_); }),
                  "parameter 'x' (argument 3) is a read-only buffer of float; got a scalar float");
}

TEST_F(ArgumentValidation, WrongElementType) {
  Buffer<double> doubles(64);
  EXPECT_CONTAINS(error_of([&] { (void)o_.execute("check", Range(64), 64, 2.0f, doubles, y_, z_); }),
                  "parameter 'x' (argument 3) is a read-only buffer of float; got a Buffer<double>");
}

TEST_F(ArgumentValidation, ReadOnlyArgumentForWrittenParameter) {
  EXPECT_CONTAINS(error_of([&] { (void)o_.execute("check", Range(64), 64, 2.0f, x_, std::as_const(y_), z_); }),
                  "parameter 'y' (argument 4) is written by the kernel (read-write) but got a const Buffer<float>");
  const std::vector<int> constant(64);
  EXPECT_CONTAINS(error_of([&] { (void)o_.execute("check", Range(64), 64, 2.0f, x_, y_, constant); }),
                  "parameter 'z' (argument 5) is written by the kernel (write-only) but got a host span of const int");
}

TEST_F(ArgumentValidation, ScalarConversions) {
  EXPECT_CONTAINS(error_of([&] { (void)o_.execute("check", Range(64), 64, 2, x_, y_, z_); }),
                  "parameter 'a' (argument 2) is float; got an integer (int)");
  EXPECT_CONTAINS(error_of([&] { (void)o_.execute("check", Range(64), 64.0, 2.0f, x_, y_, z_); }),
                  "parameter 'n' (argument 1) is int; got a floating-point value (double)");
  EXPECT_CONTAINS(error_of([&] { (void)o_.execute("check", Range(64), std::int64_t{1} << 40, 2.0f, x_, y_, z_); }),
                  "parameter 'n' (argument 1) is int; the value 1099511627776 does not fit");
  EXPECT_CONTAINS(error_of([&] { (void)o_.execute("wide", Range(1), -1, 0L, 0.0); }),
                  "parameter 'u' (argument 1) is uint; the value -1 does not fit");
  // Lossless conversions are accepted: size_t → int, unsigned → long, float → double, double literal → float.
  EXPECT_NO_THROW(o_.execute("check", Range(64), std::size_t{64}, 2.0, x_, y_, z_).wait());
  EXPECT_NO_THROW(o_.execute("wide", Range(1), 7u, 3u, 1.5f).wait());
}

TEST_F(ArgumentValidation, BufferTooSmallForSizeExpressionOrRange) {
  Buffer<float> small(10);
  EXPECT_CONTAINS(error_of([&] { (void)o_.execute("check", Range(64), 64, 2.0f, small, y_, z_); }),
                  "parameter 'x' (argument 3) needs at least 64 elements (DC_SIZE(n)); got a Buffer<float> of 10");
  EXPECT_CONTAINS(error_of([&] { (void)o_.execute("check", Range(64), 8, 2.0f, x_, small, z_); }),
                  "parameter 'y' (argument 4) needs at least 64 elements (one element per work item of the range 64)");
  EXPECT_CONTAINS(error_of([&] { (void)o_.execute("check", Range(64), -5, 2.0f, x_, y_, z_); }),
                  "has DC_SIZE(n), which is negative");
  Buffer<float> moved(64);
  Buffer<float> taken(std::move(moved));
  EXPECT_CONTAINS(error_of([&] { (void)o_.execute("check", Range(64), 64, 2.0f, x_, moved, z_); }),  // NOLINT
                  "needs at least 64 elements");
}

TEST_F(ArgumentValidation, RangeAndLocalSize) {
  EXPECT_CONTAINS(error_of([&] { (void)o_.execute("grid", Range(64)); }),
                  "kernel 'grid': uses 2-D work-item ids, but the range 64 is 1-D");
  EXPECT_CONTAINS(error_of([&] { (void)o_.execute("grid", Range()); }), "the range has no dimensions");
  EXPECT_CONTAINS(error_of([&] { (void)o_.execute({.device = "", .local_size = Range(5, 1)}, "grid", Range(64, 4)); }),
                  "the local size 5x1 does not divide the range 64x4 in dimension 0");
  EXPECT_CONTAINS(error_of([&] { (void)o_.execute({.device = "", .local_size = Range(8)}, "grid", Range(64, 4)); }),
                  "the local size 8 has 1 dimensions; the range 64x4 has 2");
  EXPECT_THROW(Range(-1), ArgumentError);
}

TEST_F(ArgumentValidation, UnknownKernelAndDevice) {
  EXPECT_CONTAINS(error_of([&] { (void)o_.execute("chek", Range(1)); }), "unknown kernel 'chek'; did you mean 'check'");
  EXPECT_CONTAINS(error_of([&] { (void)o_.execute({.device = "gpu:7", .local_size = {}}, "grid", Range(4, 4)); }),
                  "unknown device 'gpu:7' in ExecutionOptions::device (available: cpu:0");
}

TEST_F(ArgumentValidation, NothingRunsWhenValidationFails) {
  try {
    (void)o_.execute("check", Range(64), 64, 2, x_, y_, z_);
  } catch (const ArgumentError&) {
  }
  runtime_.devices()[0]->synchronize();
  EXPECT_EQ(launches, 0);
}

}  // namespace
}  // namespace dotcompute
