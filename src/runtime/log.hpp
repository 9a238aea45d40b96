// The runtime's process-wide diagnostic log (stderr), filtered by RuntimeOptions::log_level.
#pragma once

#include <string_view>

namespace dotcompute::runtime {

enum class LogLevel { trace, debug, info, warning, error, off };

/// Parses a validated level name ("trace" ... "off").
[[nodiscard]] LogLevel parse_log_level(std::string_view name) noexcept;
/// Sets the level for the whole process (the last runtime created wins).
void set_log_level(LogLevel level) noexcept;
[[nodiscard]] bool log_enabled(LogLevel level) noexcept;
/// Writes "dotcompute [level]: message" to stderr when `level` is enabled. Thread-safe.
void log(LogLevel level, std::string_view message) noexcept;

}  // namespace dotcompute::runtime
