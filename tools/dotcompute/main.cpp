// dotcompute: list devices and kernels, run a sample kernel, run the demo,
// measure each device against a raw baseline.
// Exit status: 0 success, 1 a failure (wrong result, device error), 2 a usage
// error (unknown command, flag, kernel or device; bad value).
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "cli.hpp"

namespace {

constexpr const char* kUsage =
    "usage: dotcompute COMMAND [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  devices [--json] [--verbose]   list devices (and skipped backends with --verbose)\n"
    "  kernels [--json]               list registered kernels and their signatures\n"
    "  run KERNEL [--size N] [--device D] [--repeat K] [--json]\n"
    "                                 run a sample kernel, print timing, throughput, checksum\n"
    "  demo [--json]                  run every sample on every device and check the results\n"
    "  bench [--device D] [--size N] [--repeat K] [--json]\n"
    "                                 launch cost and vector_add bandwidth on each device (or D),\n"
    "                                 side by side with a raw baseline: K rounds, N floats\n"
    "  cache info|clear [--json]      the on-disk cache of compiled device programs\n"
    "  plugins [--json]               plugins found, loaded or skipped and why\n"
    "\n"
    "environment: DOTCOMPUTE_DEVICE (default device), DOTCOMPUTE_CPU_THREADS, DOTCOMPUTE_CPU_SPIN_US,\n"
    "             DOTCOMPUTE_CACHE_DIR, DOTCOMPUTE_LOG_LEVEL, DOTCOMPUTE_PLUGIN_PATH (see README)\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace dotcompute::cli;
  const std::vector<std::string> args(argv + std::min(argc, 2), argv + argc);
  const std::string command = argc > 1 ? argv[1] : "";
  try {
    if (command == "--help" || command == "-h" || command == "help") {
      std::cout << kUsage;
      return 0;
    }
    if (command == "--version") {
      std::cout << "dotcompute 0.1.0\n";
      return 0;
    }
    if (command == "devices") return command_devices(parse_arguments(command, args, {"--json", "--verbose"}));
    if (command == "kernels") return command_kernels(parse_arguments(command, args, {"--json"}));
    if (command == "run") {
      return command_run(parse_arguments(command, args, {"--json", "--size", "--device", "--repeat"}));
    }
    if (command == "demo") return command_demo(parse_arguments(command, args, {"--json"}));
    if (command == "bench") {
      return command_bench(parse_arguments(command, args, {"--json", "--size", "--device", "--repeat"}));
    }
    if (command == "cache") return command_cache(parse_arguments(command, args, {"--json"}));
    if (command == "plugins") return command_plugins(parse_arguments(command, args, {"--json"}));
    if (command.empty()) throw UsageError("no command given");
    throw UsageError("unknown command '" + command +
                     "' (commands: devices, kernels, run, demo, bench, cache, plugins)");
  } catch (const UsageError& error) {
    std::cerr << "dotcompute: " << error.what() << "\n";
    if (command.empty()) std::cerr << kUsage;
    return 2;
  } catch (const dotcompute::ArgumentError& error) {
    std::cerr << "dotcompute: " << error.what() << "\n";
    return 2;
  } catch (const std::exception& error) {
    std::cerr << "dotcompute: error: " << error.what() << "\n";
    return 1;
  }
}
