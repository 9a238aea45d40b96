// Pipelined empty launches on OpenCL, one side per process: through
// dotcompute, by hand (the raw loop of dotcompute_opencl_bench), or through
// the OpenCL plugin's C table without the runtime (DirectPlugin). Prints the
// wall time per launch and the CPU time each thread of the process used per
// launch, read from /proc/self/task, with its involuntary context switches:
// where a launch's cost lands (the submitting thread, PoCL's workers, our
// dispatcher). docs/performance.md, "Where a pipelined launch goes".
//
//   dotcompute_opencl_one_side raw|plugin|dotcompute [bursts of 2000 launches, default 200] [busy ns]
//
// With busy ns, the raw side's submitting thread also spins that long after
// each launch, touching nothing PoCL uses: how the wall time follows the
// submitting thread's CPU alone (docs/performance.md, "What sets the pace").
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <dotcompute/dotcompute.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "direct_plugin.hpp"
#include "raw_opencl.hpp"
#include "sample_catalog.hpp"

namespace {

constexpr int kBurst = 2000;

// Spins for `nanoseconds` on the calling thread.
void busy_for(long nanoseconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(nanoseconds);
  while (std::chrono::steady_clock::now() < until) {
  }
}

double thread_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

struct ThreadUse {
  std::string name;
  long ticks = 0;        // user + system CPU, in clock ticks
  long involuntary = 0;  // context switches
};

// Every thread of this process, by id.
std::map<std::string, ThreadUse> thread_use() {
  std::map<std::string, ThreadUse> threads;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream stat_file(task.path() / "stat");
    std::string stat;
    std::getline(stat_file, stat);
    const std::size_t name_begin = stat.find('(') + 1;
    const std::size_t name_end = stat.rfind(')');
    ThreadUse& use = threads[task.path().filename().string()];
    use.name = stat.substr(name_begin, name_end - name_begin);
    std::istringstream fields(stat.substr(name_end + 2));
    std::string field;
    for (int i = 0; i < 13 && fields >> field; ++i) {
      if (i == 11 || i == 12) use.ticks += std::stol(field);  // utime, stime
    }
    std::ifstream status_file(task.path() / "status");
    for (std::string line; std::getline(status_file, line);) {
      if (line.rfind("nonvoluntary_ctxt_switches:", 0) == 0) use.involuntary = std::stol(line.substr(27));
    }
  }
  return threads;
}

// What each thread used between `before` and now, per launch.
void print_threads(const std::map<std::string, ThreadUse>& before, long launches) {
  const double per_launch = 1.0 / static_cast<double>(launches);
  const double tick_micros = 1e6 / static_cast<double>(sysconf(_SC_CLK_TCK));
  for (const auto& [id, now] : thread_use()) {
    const auto earlier = before.find(id);
    const ThreadUse start = earlier != before.end() ? earlier->second : ThreadUse{};
    const double micros = static_cast<double>(now.ticks - start.ticks) * tick_micros * per_launch;
    if (micros < 0.02) continue;
    std::printf("  thread %s (%s): %.3f us CPU, %.4f involuntary switches per launch\n", id.c_str(), now.name.c_str(),
                micros, static_cast<double>(now.involuntary - start.involuntary) * per_launch);
  }
}

int run(int argc, char** argv) {
  const std::string side = argc > 1 ? argv[1] : "";
  const int bursts = argc > 2 ? std::atoi(argv[2]) : 200;
  const long busy_ns = argc > 3 ? std::atol(argv[3]) : 0;
  if ((side != "raw" && side != "plugin" && side != "dotcompute") || bursts <= 0 || busy_ns < 0 ||
      (busy_ns > 0 && side != "raw")) {
    std::fprintf(stderr, "usage: %s raw|plugin|dotcompute [bursts of %d launches] [busy ns, raw only]\n", argv[0],
                 kBurst);
    return 2;
  }
  (void)dotcompute::samples::find_sample("empty");  // links the sample kernels in
  const long launches = static_cast<long>(bursts) * kBurst;
  double start_cpu = 0;
  std::chrono::steady_clock::time_point start;
  std::map<std::string, ThreadUse> threads_before;
  if (side == "raw") {
    dotcompute::bench::RawOpenCl raw;
    cl_kernel empty = raw.kernel("empty");
    const std::size_t one = 1;
    threads_before = thread_use();
    start = std::chrono::steady_clock::now();
    start_cpu = thread_cpu_seconds();
    for (int b = 0; b < bursts; ++b) {
      for (int i = 0; i < kBurst; ++i) {
        clEnqueueNDRangeKernel(raw.queue(), empty, 1, nullptr, &one, &one, 0, nullptr, nullptr);
        if (busy_ns > 0) busy_for(busy_ns);
      }
      clFinish(raw.queue());
    }
    clReleaseKernel(empty);
  } else if (side == "plugin") {
    const auto cache = std::filesystem::temp_directory_path() / "dotcompute_opencl_one_side";
    dc_kernel_t empty{};
    empty.struct_size = sizeof empty;
    empty.name = "empty";
    empty.dimensions = 1;
    empty.source = "DC_KERNEL void empty() {}\n";
    empty.source_path = "bench/opencl_one_side.dck";
    dotcompute::bench::DirectPlugin plugin(OPENCL_PLUGIN, cache.string());
    void* program = plugin.prepare(empty);
    plugin.launch(program);  // built and warm
    plugin.wait_all();
    threads_before = thread_use();
    start = std::chrono::steady_clock::now();
    start_cpu = thread_cpu_seconds();
    for (int b = 0; b < bursts; ++b) {
      for (int i = 0; i < kBurst; ++i) plugin.launch(program);
      plugin.wait_all();
    }
  } else {
    dotcompute::Runtime runtime = dotcompute::Runtime::create();
    const dotcompute::ExecutionOptions on{.device = "opencl", .local_size = {}};
    runtime.orchestrator().execute(on, "empty", dotcompute::Range(1)).wait();  // built and warm
    threads_before = thread_use();
    start = std::chrono::steady_clock::now();
    start_cpu = thread_cpu_seconds();
    for (int b = 0; b < bursts; ++b) {
      dotcompute::Execution last;
      for (int i = 0; i < kBurst; ++i) last = runtime.orchestrator().execute(on, "empty", dotcompute::Range(1));
      last.wait();
    }
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::string label = busy_ns > 0 ? side + " +" + std::to_string(busy_ns) + " ns busy" : side;
  std::printf("%s: %.3f us per launch, submitting thread %.3f us CPU per launch\n", label.c_str(),
              wall / static_cast<double>(launches) * 1e6,
              (thread_cpu_seconds() - start_cpu) / static_cast<double>(launches) * 1e6);
  print_threads(threads_before, launches);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
    return 1;
  }
}
