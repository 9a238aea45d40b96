// The sample workloads: each sample kernel with deterministic inputs, a plain
// C++ reference, a checker and its traffic/flop counts. Used by the CLI
// (run, demo), the tests and the benchmarks.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <dotcompute/dotcompute.hpp>

namespace dotcompute::samples {

/// Outcome of comparing a device's output with the C++ reference.
struct CheckResult {
  bool ok = true;
  std::string detail;  ///< "max error 1e-7" or the first mismatch
};

/// One prepared instance of a sample at a given size. Not thread-safe.
class SampleRun {
 public:
  virtual ~SampleRun() = default;
  /// Restores the inputs (and in-place outputs) to their initial values.
  virtual void reset() = 0;
  /// Submits the workload (one or more executions, in order); returns the last.
  virtual Execution launch(ComputeOrchestrator& orchestrator, const ExecutionOptions& options) = 0;
  /// Compares the outputs of one launch after reset() with the reference.
  [[nodiscard]] virtual CheckResult check() = 0;
  /// Sum of the outputs (after one launch following reset()).
  [[nodiscard]] virtual double checksum() = 0;
  /// Bytes read + written by one launch, counted like STREAM (0: not bandwidth-bound).
  [[nodiscard]] virtual double bytes() const = 0;
  /// Floating-point operations of one launch (0: not compute-bound).
  [[nodiscard]] virtual double flops() = 0;
  [[nodiscard]] virtual Range range() const = 0;
};

struct Sample {
  std::string_view name;  ///< kernel name (also the workload's name)
  int dimensions;
  std::size_t default_size;  ///< `dotcompute run` default: elements (1-D) or edge length (2-D/3-D)
  std::size_t demo_size;     ///< size used by `dotcompute demo`
  std::unique_ptr<SampleRun> (*prepare)(std::size_t size);
};

/// Every sample, in a fixed order.
[[nodiscard]] const std::vector<Sample>& all_samples();
/// The sample called `name`, or null.
[[nodiscard]] const Sample* find_sample(std::string_view name);

/// Deterministic pseudo-random input in [0, 1) for element i of stream `seed`.
[[nodiscard]] float input_value(std::size_t i, unsigned seed) noexcept;

/// Compares element by element with |actual - expected| <= absolute + relative * |expected|.
[[nodiscard]] CheckResult compare(std::span<const float> actual, std::span<const float> expected, double relative,
                                  double absolute);

}  // namespace dotcompute::samples
