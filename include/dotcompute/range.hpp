// The N-dimensional index space a kernel runs over (1, 2 or 3 dimensions).
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <string>

#include "dotcompute/errors.hpp"

namespace dotcompute {

/// Extents of a 1-, 2- or 3-D launch: `Range{n}`, `Range{width, height}`,
/// `Range{w, h, d}`. Dimension 0 is the fastest-varying (contiguous) one.
/// A negative extent throws ArgumentError. A value type; thread-compatible.
class Range {
 public:
  Range() noexcept = default;

  template <std::integral X>
  explicit Range(X x) : extents_{checked(x), 1, 1}, dimensions_(1) {}

  template <std::integral X, std::integral Y>
  Range(X x, Y y) : extents_{checked(x), checked(y), 1}, dimensions_(2) {}

  template <std::integral X, std::integral Y, std::integral Z>
  Range(X x, Y y, Z z) : extents_{checked(x), checked(y), checked(z)}, dimensions_(3) {}

  /// Number of dimensions, 1–3 (0 only for a default-constructed Range).
  [[nodiscard]] int dimensions() const noexcept { return dimensions_; }

  /// Extent of dimension `d` (1 for dimensions beyond `dimensions()`).
  [[nodiscard]] std::size_t operator[](int d) const noexcept { return extents_[static_cast<std::size_t>(d)]; }

  /// Number of work items (product of the extents; 0 for a default Range).
  [[nodiscard]] std::size_t total() const noexcept {
    return dimensions_ == 0 ? 0 : extents_[0] * extents_[1] * extents_[2];
  }

  /// "1024", "640x480", "64x64x64".
  [[nodiscard]] std::string to_string() const;

  friend bool operator==(const Range&, const Range&) = default;

 private:
  template <std::integral I>
  static std::size_t checked(I value) {
    if constexpr (std::is_signed_v<I>) {
      if (value < 0) {
        throw ArgumentError("Range extent must not be negative, got " + std::to_string(value));
      }
    }
    return static_cast<std::size_t>(value);
  }

  std::array<std::size_t, 3> extents_{0, 1, 1};
  int dimensions_ = 0;
};

}  // namespace dotcompute
