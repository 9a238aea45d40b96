// The CPU backend's prelude for natively compiled kernels: the DC_* markers,
// the dialect's types and built-ins, and the work-item loop. Included by code
// that dotcompute-kernelc generates; not meant for application code.
//
// A .dck file is pasted verbatim into a struct deriving from KernelScope, so
// kernels and helpers become inline member functions and built-ins resolve to
// KernelScope's members. After inlining, the work-item id is a plain loop
// counter, which lets the compiler vectorise simple kernels.
#pragma once

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstddef>

#include "dotcompute/cpu/generated.hpp"
#include "dotcompute/cpu/kernel_abi.hpp"

#define DC_KERNEL [[gnu::always_inline]] inline
#define DC_FUNC inline
#define DC_GLOBAL
#define DC_CONSTANT static constexpr
#define DC_WRITE_ONLY
#define DC_RESTRICT __restrict__
#define DC_SIZE(...)

namespace dotcompute::cpu {

class KernelScope {
 public:
  using uint = unsigned int;
  using ulong = unsigned long;
  using size_t = std::size_t;

  /// Runs `body` once per work item of `chunk`, row by row so that the
  /// innermost loop walks dimension 0 contiguously.
  template <class Body>
  [[gnu::always_inline]] inline void dc_run_chunk(const LaunchArgs& args, const WorkChunk& chunk, Body&& body) {
    const WorkGeometry& geometry = args.geometry;
    for (int d = 0; d < 3; ++d) {
      dc_global_[d] = geometry.global[d];
      dc_local_[d] = geometry.local[d];
    }
    const std::size_t nx = geometry.global[0];
    const std::size_t ny = geometry.global[1];
    std::size_t index = chunk.begin;
    while (index < chunk.end) {
      const std::size_t row = index / nx;
      const std::size_t x_begin = index - row * nx;
      const std::size_t x_end = std::min(nx, x_begin + (chunk.end - index));
      dc_id_[1] = row % ny;
      dc_id_[2] = row / ny;
      if (x_end <= static_cast<std::size_t>(INT_MAX)) {
        // An int counter keeps `int i = dc_global_id(0)` an affine induction
        // variable; with a size_t counter the truncation defeats vectorisation.
        for (int x = static_cast<int>(x_begin); x < static_cast<int>(x_end); ++x) {
          dc_id_[0] = static_cast<std::size_t>(x);
          body();
        }
      } else {
        for (std::size_t x = x_begin; x < x_end; ++x) {
          dc_id_[0] = x;
          body();
        }
      }
      index += x_end - x_begin;
    }
  }

 protected:
  // --- work-item built-ins (dimension is a literal 0, 1 or 2) --------------
  [[nodiscard]] std::size_t dc_global_id(int d) const noexcept { return dc_id_[d]; }
  [[nodiscard]] std::size_t dc_global_size(int d) const noexcept { return dc_global_[d]; }
  [[nodiscard]] std::size_t dc_local_id(int d) const noexcept { return dc_id_[d] % dc_local_[d]; }
  [[nodiscard]] std::size_t dc_local_size(int d) const noexcept { return dc_local_[d]; }
  [[nodiscard]] std::size_t dc_group_id(int d) const noexcept { return dc_id_[d] / dc_local_[d]; }
  [[nodiscard]] std::size_t dc_num_groups(int d) const noexcept { return dc_global_[d] / dc_local_[d]; }

  // --- math built-ins ------------------------------------------------------
#define DC_CPU_UNARY(name, function)                          \
  static float name(float x) noexcept { return function(x); } \
  static double name(double x) noexcept { return function(x); }
#define DC_CPU_BINARY(name, function)                                     \
  static float name(float x, float y) noexcept { return function(x, y); } \
  static double name(double x, double y) noexcept { return function(x, y); }
  DC_CPU_UNARY(dc_sqrt, std::sqrt)
  DC_CPU_UNARY(dc_exp, std::exp)
  DC_CPU_UNARY(dc_exp2, std::exp2)
  DC_CPU_UNARY(dc_log, std::log)
  DC_CPU_UNARY(dc_log2, std::log2)
  DC_CPU_UNARY(dc_log10, std::log10)
  DC_CPU_UNARY(dc_sin, std::sin)
  DC_CPU_UNARY(dc_cos, std::cos)
  DC_CPU_UNARY(dc_tan, std::tan)
  DC_CPU_UNARY(dc_asin, std::asin)
  DC_CPU_UNARY(dc_acos, std::acos)
  DC_CPU_UNARY(dc_atan, std::atan)
  DC_CPU_UNARY(dc_sinh, std::sinh)
  DC_CPU_UNARY(dc_cosh, std::cosh)
  DC_CPU_UNARY(dc_tanh, std::tanh)
  DC_CPU_UNARY(dc_fabs, std::fabs)
  DC_CPU_UNARY(dc_floor, std::floor)
  DC_CPU_UNARY(dc_ceil, std::ceil)
  DC_CPU_UNARY(dc_round, std::round)
  DC_CPU_UNARY(dc_trunc, std::trunc)
  DC_CPU_BINARY(dc_pow, std::pow)
  DC_CPU_BINARY(dc_atan2, std::atan2)
  DC_CPU_BINARY(dc_fmin, std::fmin)
  DC_CPU_BINARY(dc_fmax, std::fmax)
  DC_CPU_BINARY(dc_fmod, std::fmod)
  DC_CPU_BINARY(dc_hypot, std::hypot)
  DC_CPU_BINARY(dc_copysign, std::copysign)
#undef DC_CPU_UNARY
#undef DC_CPU_BINARY
  static float dc_rsqrt(float x) noexcept { return 1.0f / std::sqrt(x); }
  static double dc_rsqrt(double x) noexcept { return 1.0 / std::sqrt(x); }
  static float dc_fma(float a, float b, float c) noexcept { return std::fma(a, b, c); }
  static double dc_fma(double a, double b, double c) noexcept { return std::fma(a, b, c); }
  template <class T>
  static T dc_min(T a, T b) noexcept {
    return b < a ? b : a;
  }
  template <class T>
  static T dc_max(T a, T b) noexcept {
    return a < b ? b : a;
  }
  template <class T>
  static T dc_clamp(T x, T low, T high) noexcept {
    return dc_min(dc_max(x, low), high);
  }
  template <class T>
  static T dc_abs(T x) noexcept {
    return x < T(0) ? -x : x;
  }

 private:
  std::size_t dc_id_[3] = {0, 0, 0};
  std::size_t dc_global_[3] = {1, 1, 1};
  std::size_t dc_local_[3] = {1, 1, 1};
};

}  // namespace dotcompute::cpu
