// The dotcompute CLI: commands, JSON output, exit codes for bad input.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace {

struct Outcome {
  int status;
  std::string output;
};

// Runs the CLI with `environment` ("NAME=value " assignments) before it.
Outcome cli_with(const std::string& environment, const std::string& arguments) {
  std::string output;
  FILE* pipe = popen((environment + std::string(DOTCOMPUTE_CLI) + " " + arguments + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  std::array<char, 4096> buffer{};
  while (fgets(buffer.data(), buffer.size(), pipe) != nullptr) output += buffer.data();
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

Outcome cli(const std::string& arguments) { return cli_with("", arguments); }

#define EXPECT_CONTAINS(text, fragment) EXPECT_NE((text).find(fragment), std::string::npos) << (text)

TEST(Cli, DevicesListsTheCpu) {
  const Outcome text = cli("devices --verbose");
  EXPECT_EQ(text.status, 0);
  EXPECT_CONTAINS(text.output, "cpu:0");
  // OpenCL is a device when an ICD (PoCL in CI) is installed, CUDA when a GPU
  // and its driver are; otherwise each is a skipped backend with its reason.
  for (const std::string backend : {"opencl", "cuda"}) {
    EXPECT_TRUE(text.output.find(backend + ":0") != std::string::npos ||
                text.output.find("skipped backend " + backend) != std::string::npos)
        << text.output;
  }
  const Outcome json = cli("devices --json");
  EXPECT_EQ(json.status, 0);
  EXPECT_EQ(json.output.rfind("{\"devices\":[{\"id\":\"cpu:0\",\"backend\":\"cpu\"", 0), 0u) << json.output;
  EXPECT_CONTAINS(json.output, "\"skipped\":[");
}

TEST(Cli, KernelsShowsSignatures) {
  const Outcome text = cli("kernels");
  EXPECT_EQ(text.status, 0);
  EXPECT_CONTAINS(text.output, "saxpy(int n, float a, const float* x DC_SIZE(n), float* y DC_SIZE(n))");
  const Outcome json = cli("kernels --json");
  EXPECT_EQ(json.status, 0);
  EXPECT_CONTAINS(json.output, "{\"name\":\"vector_add\"");
  EXPECT_CONTAINS(json.output, "\"access\":\"write-only\"");
}

TEST(Cli, RunPrintsTimingThroughputAndChecksum) {
  const Outcome text = cli("run saxpy --size 100000 --repeat 3 --device cpu");
  EXPECT_EQ(text.status, 0) << text.output;
  EXPECT_CONTAINS(text.output, "device      cpu:0");
  EXPECT_CONTAINS(text.output, "GB/s");
  EXPECT_CONTAINS(text.output, "checksum");
  EXPECT_CONTAINS(text.output, "check       ok");
  const Outcome json = cli("run matmul --size 64 --repeat 2 --device cpu --json");
  EXPECT_EQ(json.status, 0) << json.output;
  EXPECT_CONTAINS(json.output, "\"kernel\":\"matmul\",\"size\":64,\"range\":\"64x64\",\"device\":\"cpu:0\"");
  EXPECT_CONTAINS(json.output, "\"check\":{\"ok\":true");
}

TEST(Cli, ChecksumsAreDeterministic) {
  const Outcome first = cli("run vector_add --size 5000 --repeat 1 --json");
  const Outcome second = cli("run vector_add --size=5000 --repeat=2 --json");
  const auto checksum = [](const std::string& json) { return json.substr(json.find("\"checksum\"")); };
  EXPECT_EQ(checksum(first.output).substr(0, 40), checksum(second.output).substr(0, 40));
}

TEST(Cli, BadInputIsAOneLineErrorWithStatusTwo) {
  const Outcome kernel = cli("run no_such_kernel");
  EXPECT_EQ(kernel.status, 2);
  EXPECT_CONTAINS(kernel.output, "dotcompute: run: unknown kernel 'no_such_kernel'");
  EXPECT_EQ(std::count(kernel.output.begin(), kernel.output.end(), '\n'), 1) << kernel.output;
  const Outcome device = cli("run saxpy --size 10 --device opencl:3");
  EXPECT_EQ(device.status, 2);
  EXPECT_CONTAINS(device.output, "unknown device 'opencl:3'");
  EXPECT_EQ(std::count(device.output.begin(), device.output.end(), '\n'), 1) << device.output;
  const Outcome flag = cli("devices --fast");
  EXPECT_EQ(flag.status, 2);
  EXPECT_CONTAINS(flag.output, "dotcompute: devices: unknown option '--fast'");
  EXPECT_EQ(cli("run saxpy --size ten").status, 2);
  EXPECT_EQ(cli("run saxpy --repeat 0").status, 2);
  EXPECT_EQ(cli("frobnicate").status, 2);
  EXPECT_EQ(cli("").status, 2);
  EXPECT_EQ(cli("--help").status, 0);
}

TEST(Cli, EnvironmentDeviceIsHonouredAndValidated) {
  EXPECT_EQ(cli("run scale --size 1000 --repeat 1").status, 0);
  const Outcome bad = cli("run scale --size 1000 --repeat 1 2>&1; DOTCOMPUTE_DEVICE=cuda:99 " +
                          std::string(DOTCOMPUTE_CLI) + " run scale --size 10");
  EXPECT_EQ(bad.status, 2);
  EXPECT_CONTAINS(bad.output,
                  "unknown device 'cuda:99' in the default accelerator (RuntimeOptions or DOTCOMPUTE_DEVICE)");
}

TEST(Cli, CacheInfoAndClear) {
  const std::string directory = ::testing::TempDir() + "dc_cli_cache";
  const std::string env = "DOTCOMPUTE_CACHE_DIR=" + directory + " " + std::string(DOTCOMPUTE_CLI);
  const Outcome info = cli("cache info --json 2>&1; " + env + " cache info --json");
  EXPECT_EQ(info.status, 0) << info.output;
  EXPECT_CONTAINS(info.output, "{\"directory\":\"" + directory + "\",\"entries\":0,\"bytes\":0");
  const Outcome clear = cli("cache info > /dev/null; " + env + " cache clear");
  EXPECT_EQ(clear.status, 0);
  EXPECT_CONTAINS(clear.output, "removed 0 entries from " + directory);
  EXPECT_EQ(cli("cache").status, 2);
  EXPECT_EQ(cli("cache purge").status, 2);
}

TEST(Cli, DemoChecksEverySampleOnEveryDevice) {
  const Outcome demo = cli("demo");
  EXPECT_EQ(demo.status, 0) << demo.output;
  EXPECT_CONTAINS(demo.output, " results match the reference");
  EXPECT_EQ(demo.output.find("MISMATCH"), std::string::npos) << demo.output;
  for (const char* kernel :
       {"vector_add", "saxpy", "scale", "sum_partials", "matmul", "transpose", "blur3x3", "mandelbrot", "stencil3d"}) {
    EXPECT_CONTAINS(demo.output, kernel);
  }
}

TEST(Cli, PluginsShowsWhatLoadedAndWhyTheRestWasSkipped) {
  // The suite's plugin folder: the example plugin in two versions, and broken ones.
  const std::string path = std::string("DOTCOMPUTE_PLUGIN_PATH=") + DOTCOMPUTE_TEST_PLUGINS + " ";
  const Outcome text = cli_with(path, "plugins");
  EXPECT_EQ(text.status, 0) << text.output;
  EXPECT_CONTAINS(text.output, "loaded   offload 1.0.0");
  EXPECT_CONTAINS(text.output, "+ backend offload");
  EXPECT_CONTAINS(text.output, "a plugin named 'offload' is already loaded");
  EXPECT_CONTAINS(text.output, "wrong ABI version 2");
  EXPECT_CONTAINS(text.output, "missing entry point dotcompute_plugin_entry");
  const Outcome json = cli_with(path, "plugins --json");
  EXPECT_EQ(json.status, 0);
  EXPECT_EQ(json.output.rfind("{\"plugins\":[{\"path\":", 0), 0u) << json.output;
  EXPECT_CONTAINS(json.output, "\"loaded\":false,\"reason\":\"init failed (status 8): no widget is attached");
  // An empty path leaves the plugins installed with the runtime: OpenCL's, where it was built.
  const Outcome installed = cli_with("DOTCOMPUTE_PLUGIN_PATH= ", "plugins");
  EXPECT_EQ(installed.status, 0);
  EXPECT_EQ(installed.output.find("offload"), std::string::npos) << installed.output;
  EXPECT_TRUE(installed.output.find("loaded   opencl") != std::string::npos ||
              installed.output.find("no plugins found") != std::string::npos)
      << installed.output;
  const Outcome relative = cli_with("DOTCOMPUTE_PLUGIN_PATH=plugins ", "plugins");
  EXPECT_EQ(relative.status, 2);
  EXPECT_CONTAINS(relative.output, "'plugins' is not an absolute path");
}

TEST(Cli, BenchMeasuresEveryDeviceAgainstARawBaseline) {
  // The suite's plugin folder brings the example offload plugin; OpenCL's comes where PoCL is installed.
  const std::string path = std::string("DOTCOMPUTE_PLUGIN_PATH=") + DOTCOMPUTE_TEST_PLUGINS + " ";
  const Outcome text = cli_with(path, "bench --size 4096 --repeat 2");
  EXPECT_EQ(text.status, 0) << text.output;
  EXPECT_CONTAINS(text.output, "medians of 2 alternating rounds");
  EXPECT_CONTAINS(text.output, "\ncpu:0  raw: a hand-written spinning thread team");
  EXPECT_CONTAINS(text.output, "  launch + wait, 64K items ");
  EXPECT_CONTAINS(text.output, "\noffload:0  raw: the plugin's C table without the runtime (");
  EXPECT_CONTAINS(text.output, "  pipelined launches, 1 item ");
  EXPECT_CONTAINS(text.output, "  vector_add, 4K floats ");
  EXPECT_EQ(text.output.find("FAILED"), std::string::npos) << text.output;
  if (cli("devices").output.find("opencl:0") != std::string::npos) {
    EXPECT_CONTAINS(text.output, "\nopencl:0  raw: the plugin's C table without the runtime (");
  }
  const Outcome json = cli("bench --device cpu --size 1000 --repeat 1 --json");
  EXPECT_EQ(json.status, 0) << json.output;
  EXPECT_EQ(json.output.rfind("{\"rounds\":1,\"devices\":[{\"device\":\"cpu:0\",\"baseline\":", 0), 0u) << json.output;
  for (const char* field : {"\"measure\":\"vector_add, 1000 floats\"", "\"dotcompute_seconds\":", "\"raw_seconds\":",
                            "\"time_ratio\":", "\"raw_gigabytes_per_second\":", "\"failures\":[]}"}) {
    EXPECT_CONTAINS(json.output, field);
  }
}

TEST(Cli, BenchRejectsAnUnknownDeviceAndASizeVectorAddCannotTake) {
  const Outcome device = cli("bench --device nosuch:0");
  EXPECT_EQ(device.status, 2);
  EXPECT_CONTAINS(device.output, "dotcompute: bench: no device 'nosuch:0' (devices: cpu:0");
  const Outcome size = cli("bench --size 3000000000");
  EXPECT_EQ(size.status, 2);
  EXPECT_CONTAINS(size.output, "dotcompute: bench: --size must be between 1 and 2147483647");
  EXPECT_EQ(cli("bench --size 0").status, 2);
  EXPECT_EQ(cli("bench --repeat 0").status, 2);
  EXPECT_EQ(cli("bench now").status, 2);
}

}  // namespace
