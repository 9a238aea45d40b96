#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "cli.hpp"

namespace dotcompute::cli {

namespace {

std::size_t parse_count(const std::string& flag, const std::string& text, std::size_t minimum) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || text[0] == '-' || *end != '\0' || errno != 0 || value < minimum) {
    throw UsageError(flag + " expects an integer >= " + std::to_string(minimum) + ", got '" + text + "'");
  }
  return static_cast<std::size_t>(value);
}

}  // namespace

Arguments parse_arguments(const std::string& command, const std::vector<std::string>& args,
                          const std::vector<std::string>& allowed) {
  Arguments result;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!arg.starts_with("-")) {
      result.positional.push_back(arg);
      continue;
    }
    std::string flag = arg;
    std::string value;
    const bool inline_value = arg.find('=') != std::string::npos;
    if (inline_value) {
      flag = arg.substr(0, arg.find('='));
      value = arg.substr(arg.find('=') + 1);
    }
    if (std::find(allowed.begin(), allowed.end(), flag) == allowed.end()) {
      throw UsageError(command + ": unknown option '" + flag + "'");
    }
    if (flag == "--json") {
      result.json = true;
      continue;
    }
    if (flag == "--verbose") {
      result.verbose = true;
      continue;
    }
    if (!inline_value) {
      if (i + 1 >= args.size()) throw UsageError(command + ": " + flag + " needs a value");
      value = args[++i];
    }
    if (flag == "--size") result.size = parse_count(flag, value, 0);
    if (flag == "--repeat") result.repeat = parse_count(flag, value, 1);
    if (flag == "--device") result.device = value;
  }
  return result;
}

std::string format_duration(double seconds) {
  char text[32];
  if (seconds < 1e-6) {
    std::snprintf(text, sizeof text, "%.0f ns", seconds * 1e9);
  } else if (seconds < 1e-3) {
    std::snprintf(text, sizeof text, "%.2f us", seconds * 1e6);
  } else if (seconds < 1) {
    std::snprintf(text, sizeof text, "%.2f ms", seconds * 1e3);
  } else {
    std::snprintf(text, sizeof text, "%.2f s", seconds);
  }
  return text;
}

std::string format_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.1f %s", bytes, units[unit]);
  return text;
}

}  // namespace dotcompute::cli
