// Element and scalar types a kernel parameter may have.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

#include "dotcompute/namespace.hpp"

namespace dotcompute {

/// The scalar types of the kernel dialect (int, uint, long, ulong, float, double).
enum class ScalarType : std::uint8_t { int32, uint32, int64, uint64, float32, float64 };

/// The dialect's spelling: "int", "uint", "long", "ulong", "float", "double".
[[nodiscard]] std::string_view dialect_name(ScalarType type) noexcept;

/// Size in bytes of one value of `type`.
[[nodiscard]] constexpr std::size_t size_of(ScalarType type) noexcept {
  switch (type) {
    case ScalarType::int32:
    case ScalarType::uint32:
    case ScalarType::float32:
      return 4;
    case ScalarType::int64:
    case ScalarType::uint64:
    case ScalarType::float64:
      return 8;
  }
  return 0;
}

[[nodiscard]] constexpr bool is_floating(ScalarType type) noexcept {
  return type == ScalarType::float32 || type == ScalarType::float64;
}

[[nodiscard]] constexpr bool is_signed_integer(ScalarType type) noexcept {
  return type == ScalarType::int32 || type == ScalarType::int64;
}

/// Parses a dialect type name; nullopt when it is not one.
[[nodiscard]] std::optional<ScalarType> scalar_type_from_dialect(std::string_view name) noexcept;

namespace detail {
template <class T>
constexpr std::optional<ScalarType> scalar_type_for() noexcept {
  using U = std::remove_cv_t<T>;
  if constexpr (std::is_same_v<U, float>) {
    return ScalarType::float32;
  } else if constexpr (std::is_same_v<U, double>) {
    return ScalarType::float64;
  } else if constexpr (std::is_integral_v<U> && !std::is_same_v<U, bool> && sizeof(U) == 4) {
    return std::is_signed_v<U> ? ScalarType::int32 : ScalarType::uint32;
  } else if constexpr (std::is_integral_v<U> && !std::is_same_v<U, bool> && sizeof(U) == 8) {
    return std::is_signed_v<U> ? ScalarType::int64 : ScalarType::uint64;
  } else {
    return std::nullopt;
  }
}
}  // namespace detail

/// A C++ type that maps onto a dialect scalar type (int32/64, uint32/64, float, double).
template <class T>
concept KernelElement = detail::scalar_type_for<T>()
.has_value();

/// The dialect scalar type of the C++ type T.
template <KernelElement T>
inline constexpr ScalarType scalar_type_v = *detail::scalar_type_for<T>();

}  // namespace dotcompute
