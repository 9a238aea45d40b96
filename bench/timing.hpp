// Timing helpers of the side-by-side measurements (bench/paired.hpp and
// `dotcompute bench`).
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

namespace dotcompute::bench {

/// Wall-clock seconds `f()` took.
template <class F>
double seconds_taken(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// The median of `values` (0 when empty).
inline double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::nth_element(values.begin(), values.begin() + static_cast<long>(values.size() / 2), values.end());
  return values[values.size() / 2];
}

}  // namespace dotcompute::bench
