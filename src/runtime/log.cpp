#include "log.hpp"

#include <array>
#include <atomic>
#include <cstdio>

namespace dotcompute::runtime {

namespace {
constexpr std::array<std::string_view, 6> kNames = {"trace", "debug", "info", "warning", "error", "off"};
std::atomic<LogLevel> current_level{LogLevel::warning};
}  // namespace

LogLevel parse_log_level(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<LogLevel>(i);
  }
  return LogLevel::warning;
}

void set_log_level(LogLevel level) noexcept { current_level.store(level, std::memory_order_relaxed); }

bool log_enabled(LogLevel level) noexcept {
  return level != LogLevel::off && level >= current_level.load(std::memory_order_relaxed);
}

void log(LogLevel level, std::string_view message) noexcept {
  if (!log_enabled(level)) return;
  const std::string_view name = kNames[static_cast<std::size_t>(level)];
  // One fprintf per line keeps lines from different threads whole.
  std::fprintf(stderr, "dotcompute [%.*s]: %.*s\n", static_cast<int>(name.size()), name.data(),
               static_cast<int>(message.size()), message.data());
}

}  // namespace dotcompute::runtime
