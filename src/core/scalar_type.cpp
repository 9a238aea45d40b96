#include "dotcompute/scalar_type.hpp"

#include "dotcompute/accelerator.hpp"
#include "dotcompute/kernel_definition.hpp"
#include "dotcompute/range.hpp"

namespace dotcompute {

std::string_view dialect_name(ScalarType type) noexcept {
  switch (type) {
    case ScalarType::int32:
      return "int";
    case ScalarType::uint32:
      return "uint";
    case ScalarType::int64:
      return "long";
    case ScalarType::uint64:
      return "ulong";
    case ScalarType::float32:
      return "float";
    case ScalarType::float64:
      return "double";
  }
  return "?";
}

std::optional<ScalarType> scalar_type_from_dialect(std::string_view name) noexcept {
  for (auto type : {ScalarType::int32, ScalarType::uint32, ScalarType::int64, ScalarType::uint64, ScalarType::float32,
                    ScalarType::float64}) {
    if (dialect_name(type) == name) return type;
  }
  return std::nullopt;
}

std::string_view to_string(Access access) noexcept {
  switch (access) {
    case Access::read_only:
      return "read-only";
    case Access::read_write:
      return "read-write";
    case Access::write_only:
      return "write-only";
  }
  return "?";
}

std::string_view to_string(DeviceType type) noexcept {
  switch (type) {
    case DeviceType::cpu:
      return "cpu";
    case DeviceType::gpu:
      return "gpu";
    case DeviceType::accelerator:
      return "accelerator";
    case DeviceType::other:
      return "other";
  }
  return "?";
}

std::string Range::to_string() const {
  std::string text = std::to_string(extents_[0]);
  for (int d = 1; d < dimensions_; ++d) text += "x" + std::to_string(extents_[static_cast<std::size_t>(d)]);
  return text;
}

}  // namespace dotcompute
