// `dotcompute devices` from process start to exit (CPU-only path) vs a trivial
// program, both started with posix_spawn and reaped with waitpid, interleaved;
// and the SHA-256 every process takes of each plugin file it loads.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <vector>

#include "paired.hpp"
#include "plugins/sha256.hpp"
#include "spawn.hpp"

namespace dotcompute::bench {
namespace {

void BM_CliDevicesStartup(benchmark::State& state) {
  // The CPU-only path: other backends excluded (OpenCL enumeration alone costs ~28 ms).
  ::setenv("DOTCOMPUTE_BACKENDS", "cpu", 1);
  const std::vector<std::string> devices = {DOTCOMPUTE_CLI, "devices"};
  const std::vector<std::string> trivial = {TRIVIAL_PROGRAM};
  PairedSamples samples;
  for (auto _ : state) {
    const double dc = seconds_taken([&] { spawn_and_wait(devices); });
    const double raw = seconds_taken([&] { spawn_and_wait(trivial); });
    samples.add(dc, raw);
  }
  ::unsetenv("DOTCOMPUTE_BACKENDS");
  samples.report_latency(state, 1);
}
BENCHMARK(BM_CliDevicesStartup)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

// Hashing a file as the plugin loader does (the fastest engine), against only
// reading it in the same 64 KiB chunks: how far the hash is from the I/O.
void BM_PluginFileHash(benchmark::State& state) {
  const std::filesystem::path file = DOTCOMPUTE_CLI;  // a binary of plugin size, always built
  PairedSamples samples;
  std::vector<char> chunk(1 << 16);
  for (auto _ : state) {
    const double dc = seconds_taken([&] { benchmark::DoNotOptimize(runtime::sha256_hex_of_file(file)); });
    const double raw = seconds_taken([&] {
      std::ifstream in(file, std::ios::binary);
      while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || in.gcount() > 0) {
        benchmark::DoNotOptimize(chunk.data());
      }
    });
    samples.add(dc, raw);
  }
  samples.report_rate(state, "MBps", static_cast<double>(std::filesystem::file_size(file)) / 1e6);
}
BENCHMARK(BM_PluginFileHash)->Unit(benchmark::kMillisecond)->MinTime(1.0)->UseRealTime();

// The SHA-extensions engine against the portable one, 1 MiB in memory.
void BM_Sha256Engines(benchmark::State& state) {
  if (!runtime::sha256_engine_available(runtime::Sha256Engine::sha_extensions)) {
    state.SkipWithError("this CPU has no SHA extensions");
    return;
  }
  const std::vector<std::byte> data(1 << 20, std::byte{0x5a});
  PairedSamples samples;
  for (auto _ : state) {
    const double dc = seconds_taken(
        [&] { benchmark::DoNotOptimize(runtime::sha256_hex(data, runtime::Sha256Engine::sha_extensions)); });
    const double raw =
        seconds_taken([&] { benchmark::DoNotOptimize(runtime::sha256_hex(data, runtime::Sha256Engine::portable)); });
    samples.add(dc, raw);
  }
  samples.report_rate(state, "MBps", static_cast<double>(data.size()) / 1e6);
}
BENCHMARK(BM_Sha256Engines)->Unit(benchmark::kMillisecond)->MinTime(1.0)->UseRealTime();

}  // namespace
}  // namespace dotcompute::bench
