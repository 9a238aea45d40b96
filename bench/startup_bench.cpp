// `dotcompute devices` from process start to exit vs a trivial program, both
// started with posix_spawn and reaped with waitpid, interleaved.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "paired.hpp"

extern char** environ;

namespace dotcompute::bench {
namespace {

void spawn_and_wait(const std::vector<std::string>& command) {
  std::vector<char*> argv;
  for (const auto& arg : command) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) {
    throw std::runtime_error("cannot start " + command[0]);
  }
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error(command[0] + " failed");
}

void BM_CliDevicesStartup(benchmark::State& state) {
  const std::vector<std::string> devices = {DOTCOMPUTE_CLI, "devices"};
  const std::vector<std::string> trivial = {TRIVIAL_PROGRAM};
  PairedSamples samples;
  for (auto _ : state) {
    const double dc = PairedSamples::seconds([&] { spawn_and_wait(devices); });
    const double raw = PairedSamples::seconds([&] { spawn_and_wait(trivial); });
    samples.add(dc, raw);
  }
  samples.report_latency(state, 1);
}
BENCHMARK(BM_CliDevicesStartup)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

}  // namespace
}  // namespace dotcompute::bench
