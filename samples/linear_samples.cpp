// 1-D samples: vector_add, saxpy, scale, sum_partials, empty.
#include <cmath>
#include <numeric>

#include "sample_catalog.hpp"

namespace dotcompute::samples {

namespace {

double sum_of(std::span<const float> values) { return std::accumulate(values.begin(), values.end(), 0.0); }

void fill_inputs(Buffer<float>& buffer, unsigned seed) {
  auto values = buffer.host_write();
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = input_value(i, seed);
}

int as_int(std::size_t n) {
  if (n > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw ArgumentError("sample size " + std::to_string(n) + " is too large (the kernels index with int)");
  }
  return static_cast<int>(n);
}

class VectorAdd final : public SampleRun {
 public:
  explicit VectorAdd(std::size_t n) : n_(as_int(n)), a_(n, uninitialized), b_(n, uninitialized), c_(n) {
    fill_inputs(a_, 1);
    fill_inputs(b_, 2);
  }
  void reset() override {}
  Execution launch(ComputeOrchestrator& orchestrator, const ExecutionOptions& options) override {
    return orchestrator.execute(options, "vector_add", Range(n_), n_, std::as_const(a_), std::as_const(b_), c_);
  }
  CheckResult check() override {
    auto a = a_.host_read();
    auto b = b_.host_read();
    std::vector<float> expected(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) expected[i] = a[i] + b[i];
    return compare(c_.host_read(), expected, 0, 0);
  }
  double checksum() override { return sum_of(c_.host_read()); }
  double bytes() const override { return 12.0 * n_; }
  double flops() override { return 0; }
  Range range() const override { return Range(n_); }

 private:
  int n_;
  Buffer<float> a_, b_, c_;
};

class Saxpy final : public SampleRun {
 public:
  explicit Saxpy(std::size_t n) : n_(as_int(n)), x_(n, uninitialized), y_(n, uninitialized) {
    fill_inputs(x_, 3);
    reset();
  }
  void reset() override { fill_inputs(y_, 4); }
  Execution launch(ComputeOrchestrator& orchestrator, const ExecutionOptions& options) override {
    return orchestrator.execute(options, "saxpy", Range(n_), n_, kA, std::as_const(x_), y_);
  }
  CheckResult check() override {
    auto x = x_.host_read();
    std::vector<float> expected(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) expected[i] = kA * x[i] + input_value(i, 4);
    return compare(y_.host_read(), expected, 1e-6, 1e-7);  // the kernel may fuse the multiply-add
  }
  double checksum() override { return sum_of(y_.host_read()); }
  double bytes() const override { return 12.0 * n_; }
  double flops() override { return 2.0 * n_; }
  Range range() const override { return Range(n_); }

 private:
  static constexpr float kA = 2.5f;
  int n_;
  Buffer<float> x_, y_;
};

class Scale final : public SampleRun {
 public:
  explicit Scale(std::size_t n) : n_(as_int(n)), x_(n, uninitialized) { reset(); }
  void reset() override { fill_inputs(x_, 5); }
  Execution launch(ComputeOrchestrator& orchestrator, const ExecutionOptions& options) override {
    return orchestrator.execute(options, "scale", Range(n_), n_, kFactor, x_);
  }
  CheckResult check() override {
    std::vector<float> expected(static_cast<std::size_t>(n_));
    for (std::size_t i = 0; i < expected.size(); ++i) expected[i] = kFactor * input_value(i, 5);
    return compare(x_.host_read(), expected, 0, 0);
  }
  double checksum() override { return sum_of(x_.host_read()); }
  double bytes() const override { return 8.0 * n_; }
  double flops() override { return 1.0 * n_; }
  Range range() const override { return Range(n_); }

 private:
  static constexpr float kFactor = 0.75f;
  int n_;
  Buffer<float> x_;
};

// Passes of per-chunk partial sums until one value is left.
class Sum final : public SampleRun {
 public:
  explicit Sum(std::size_t n) : n_(as_int(n)), x_(n, uninitialized) {
    fill_inputs(x_, 6);
    for (std::size_t count = n; count > 1 || passes_.empty();) {
      const std::size_t partials = (count + kChunk - 1) / kChunk;
      passes_.emplace_back(static_cast<int>(count), Buffer<float>(partials));
      count = partials;
      if (count == 0) break;
    }
  }
  void reset() override {}
  Execution launch(ComputeOrchestrator& orchestrator, const ExecutionOptions& options) override {
    Execution last;
    const Buffer<float>* input = &x_;
    for (auto& [count, partials] : passes_) {
      last = orchestrator.execute(options, "sum_partials", Range(partials.size()), count, kChunk, *input, partials);
      input = &partials;
    }
    return last;
  }
  CheckResult check() override {
    double expected = 0;
    double magnitude = 0;
    for (float v : x_.host_read()) {
      expected += v;
      magnitude += std::fabs(v);
    }
    const double actual = checksum();
    const double error = std::fabs(actual - expected);
    // Float accumulation in chunks of 1024: error grows with the chunk length.
    const bool ok = error <= 1e-5 * magnitude + 1e-6;
    return {ok, "sum " + std::to_string(actual) + ", expected " + std::to_string(expected)};
  }
  double checksum() override {
    const auto result = passes_.back().second.host_read();
    return result.empty() ? 0.0 : result[0];
  }
  double bytes() const override { return 4.0 * n_; }
  double flops() override { return 1.0 * n_; }
  Range range() const override { return Range(n_); }

 private:
  static constexpr int kChunk = 1024;
  int n_;
  Buffer<float> x_;
  std::vector<std::pair<int, Buffer<float>>> passes_;
};

class Empty final : public SampleRun {
 public:
  explicit Empty(std::size_t n) : n_(n) {}
  void reset() override {}
  Execution launch(ComputeOrchestrator& orchestrator, const ExecutionOptions& options) override {
    return orchestrator.execute(options, "empty", Range(n_));
  }
  CheckResult check() override { return {true, "no outputs to check"}; }
  double checksum() override { return 0; }
  double bytes() const override { return 0; }
  double flops() override { return 0; }
  Range range() const override { return Range(n_); }

 private:
  std::size_t n_;
};

}  // namespace

std::unique_ptr<SampleRun> prepare_vector_add(std::size_t n) { return std::make_unique<VectorAdd>(n); }
std::unique_ptr<SampleRun> prepare_saxpy(std::size_t n) { return std::make_unique<Saxpy>(n); }
std::unique_ptr<SampleRun> prepare_scale(std::size_t n) { return std::make_unique<Scale>(n); }
std::unique_ptr<SampleRun> prepare_sum(std::size_t n) { return std::make_unique<Sum>(n); }
std::unique_ptr<SampleRun> prepare_empty(std::size_t n) { return std::make_unique<Empty>(n); }

}  // namespace dotcompute::samples
