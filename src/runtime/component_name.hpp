// The one rule for names of backends and plugin contributions.
#pragma once

#include <string_view>

namespace dotcompute::runtime {

/// Whether `name` is [a-z0-9_]+ (backend, plugin, selector and memory manager names).
[[nodiscard]] inline bool is_component_name(std::string_view name) noexcept {
  return !name.empty() && name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string_view::npos;
}

}  // namespace dotcompute::runtime
