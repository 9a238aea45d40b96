// Shared pieces of the dotcompute command-line tool.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <dotcompute/dotcompute.hpp>

namespace dotcompute::cli {

/// A usage error (unknown command, flag, kernel, device; bad value): exit status 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Parsed flags of one command. Only the flags a command accepts are allowed.
struct Arguments {
  std::vector<std::string> positional;
  bool json = false;
  bool verbose = false;
  std::optional<std::size_t> size;
  std::string device;
  std::size_t repeat = 10;
};

/// Parses `args` for `command`; `allowed` lists its flags (e.g. {"--json", "--size"}).
/// Throws UsageError naming an unknown flag or a bad value.
[[nodiscard]] Arguments parse_arguments(const std::string& command, const std::vector<std::string>& args,
                                        const std::vector<std::string>& allowed);

/// "850 ns", "12.3 µs", "4.56 ms", "1.23 s".
[[nodiscard]] std::string format_duration(double seconds);
/// "16.0 GiB".
[[nodiscard]] std::string format_bytes(double bytes);

int command_devices(const Arguments& arguments);
int command_kernels(const Arguments& arguments);
int command_run(const Arguments& arguments);
int command_demo(const Arguments& arguments);
int command_bench(const Arguments& arguments);
int command_cache(const Arguments& arguments);
int command_plugins(const Arguments& arguments);

}  // namespace dotcompute::cli
