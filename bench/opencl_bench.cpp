// The OpenCL backend (on PoCL here) against hand-written OpenCL in the same
// process: pipelined and synchronous empty launches, and vector_add with
// buffers resident on the device.
#include <benchmark/benchmark.h>

#include <dotcompute/dotcompute.hpp>

#include "paired.hpp"
#include "raw_opencl.hpp"
#include "spawn.hpp"

namespace dotcompute::bench {
namespace {

const ExecutionOptions kOpenCl{.device = "opencl", .local_size = {}};

// Both sides are built and warmed before timing.
struct Setup {
  Setup() : runtime(Runtime::create()), raw() {
    require_sample_kernels();
    runtime.orchestrator().execute(kOpenCl, "empty", Range(1)).wait();
    empty = raw.kernel("empty");
  }
  ~Setup() { clReleaseKernel(empty); }
  Runtime runtime;
  RawOpenCl raw;
  cl_kernel empty = nullptr;
};

void BM_OpenClPipelinedEmptyLaunches(benchmark::State& state) {
  Setup s;
  const std::size_t one = 1;
  measure_pipelined_launches(
      state, 2000, [&] { return s.runtime.orchestrator().execute(kOpenCl, "empty", Range(1)); },
      [&] { clEnqueueNDRangeKernel(s.raw.queue(), s.empty, 1, nullptr, &one, &one, 0, nullptr, nullptr); },
      [&] { clFinish(s.raw.queue()); });
}
BENCHMARK(BM_OpenClPipelinedEmptyLaunches)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

void BM_OpenClSyncLaunchWait(benchmark::State& state) {
  Setup s;
  const std::size_t one = 1;
  measure_sync_launches(
      state, 200, [&] { return s.runtime.orchestrator().execute(kOpenCl, "empty", Range(1)); },
      [&] { clEnqueueNDRangeKernel(s.raw.queue(), s.empty, 1, nullptr, &one, &one, 0, nullptr, nullptr); },
      [&] { clFinish(s.raw.queue()); });
}
BENCHMARK(BM_OpenClSyncLaunchWait)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

void BM_OpenClContinuedLaunchWait(benchmark::State& state) {
  Setup s;
  measure_continued_launches(state, 200, [&] { return s.runtime.orchestrator().execute(kOpenCl, "empty", Range(1)); });
}
BENCHMARK(BM_OpenClContinuedLaunchWait)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

void BM_OpenClVectorAddResident16M(benchmark::State& state) {
  Setup s;
  constexpr int n = 1 << 24;
  Buffer<float> a(n), b(n), c(n);
  a.fill(1.0f);
  b.fill(2.0f);
  const auto run = [&] {
    s.runtime.orchestrator().execute(kOpenCl, "vector_add", Range(n), n, std::as_const(a), std::as_const(b), c).wait();
  };
  run();  // uploads a and b once; afterwards everything stays on the device
  cl_int error = CL_SUCCESS;
  cl_mem ra = clCreateBuffer(s.raw.context(), CL_MEM_READ_WRITE, n * sizeof(float), nullptr, &error);
  cl_mem rb = clCreateBuffer(s.raw.context(), CL_MEM_READ_WRITE, n * sizeof(float), nullptr, &error);
  cl_mem rc = clCreateBuffer(s.raw.context(), CL_MEM_READ_WRITE, n * sizeof(float), nullptr, &error);
  std::vector<float> ones(n, 1.0f);
  clEnqueueWriteBuffer(s.raw.queue(), ra, CL_TRUE, 0, n * sizeof(float), ones.data(), 0, nullptr, nullptr);
  clEnqueueWriteBuffer(s.raw.queue(), rb, CL_TRUE, 0, n * sizeof(float), ones.data(), 0, nullptr, nullptr);
  cl_kernel add = s.raw.kernel("vector_add");
  clSetKernelArg(add, 0, sizeof(int), &n);
  clSetKernelArg(add, 1, sizeof(cl_mem), &ra);
  clSetKernelArg(add, 2, sizeof(cl_mem), &rb);
  clSetKernelArg(add, 3, sizeof(cl_mem), &rc);
  const std::size_t global = n;
  const std::size_t local = 256;  // what dotcompute picks for this range
  PairedSamples samples;
  for (auto _ : state) {
    const double dc = seconds_taken(run);
    const double raw = seconds_taken([&] {
      clEnqueueNDRangeKernel(s.raw.queue(), add, 1, nullptr, &global, &local, 0, nullptr, nullptr);
      clFinish(s.raw.queue());
    });
    samples.add(dc, raw);
  }
  samples.report_rate(state, "GBps", 3.0 * n * sizeof(float) / 1e9);
  clReleaseKernel(add);
  clReleaseMemObject(ra);
  clReleaseMemObject(rb);
  clReleaseMemObject(rc);
}
BENCHMARK(BM_OpenClVectorAddResident16M)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

}  // namespace
}  // namespace dotcompute::bench

namespace dotcompute::bench {
namespace {

// A new process's first launch of a kernel whose program is already cached on disk.
void BM_OpenClFirstLaunchNewProcess(benchmark::State& state) {
  const std::vector<std::string> through_dotcompute = {OPENCL_FIRST_LAUNCH, "dotcompute"};
  const std::vector<std::string> raw_cached = {OPENCL_FIRST_LAUNCH, "raw"};
  spawn_and_wait(through_dotcompute);  // fills dotcompute's cache (and PoCL's for it)
  spawn_and_wait(raw_cached);          // fills PoCL's cache for the raw source
  PairedSamples samples;
  for (auto _ : state) {
    const double dc = seconds_taken([&] { spawn_and_wait(through_dotcompute); });
    const double raw = seconds_taken([&] { spawn_and_wait(raw_cached); });
    samples.add(dc, raw);
  }
  samples.report_latency(state, 1);
}
BENCHMARK(BM_OpenClFirstLaunchNewProcess)->Unit(benchmark::kMillisecond)->MinTime(3.0)->UseRealTime();

}  // namespace
}  // namespace dotcompute::bench
