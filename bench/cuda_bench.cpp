// The CUDA backend against the driver API used by hand in the same process,
// on the same GPU, with the same machine code (the raw side loads the same
// NVRTC output): empty-kernel launches, vector_add of 256M floats against the
// device's own device-to-device copy bandwidth, and host<->device transfers
// against raw pinned cuMemcpy. Every benchmark skips where no CUDA device is.
#include <benchmark/benchmark.h>

#include <cstring>
#include <dotcompute/backend/cuda_source.hpp>
#include <dotcompute/dotcompute.hpp>
#include <vector>

#include "cuda_driver.hpp"
#include "nvrtc_compiler.hpp"
#include "paired.hpp"

namespace dotcompute::bench {
namespace {

using namespace dotcompute::cuda;

const ExecutionOptions kCuda{.device = "cuda", .local_size = {}};

void ok(CUresult status, const char* what) {
  if (status != CUDA_SUCCESS) throw std::runtime_error(std::string(what) + ": " + error_text(status));
}

// The runtime (warmed) and a hand-driven stream in the same primary context.
struct Setup {
  Setup() : runtime(Runtime::create([](RuntimeOptions& o) { o.backends = {"cpu", "cuda"}; })) {
    require_sample_kernels();
    for (const auto& d : runtime.devices()) {
      if (d->info().backend == "cuda") device = d.get();
    }
    if (device == nullptr) return;
    runtime.orchestrator().execute(kCuda, "empty", Range(1)).wait();
    const Driver& d = driver();
    CUdevice ordinal = 0;
    ok(d.cuDeviceGet(&ordinal, 0), "cuDeviceGet");
    ok(d.cuDevicePrimaryCtxRetain(&context, ordinal), "cuDevicePrimaryCtxRetain");
    ok(d.cuCtxSetCurrent(context), "cuCtxSetCurrent");
    ok(d.cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
  }
  ~Setup() {
    if (module != nullptr) driver().cuModuleUnload(module);
    if (stream != nullptr) driver().cuStreamDestroy(stream);
  }
  /// The raw entry point of a sample kernel: the same source dotcompute compiles, through NVRTC.
  CUfunction raw_function(const char* name) {
    const KernelDefinition& kernel = *KernelRegistry::global().find(name);
    const KernelDefinition* kernels[] = {&kernel};
    int architecture = 0;
    const std::string target = device->info().features.front();  // "sm_90": the architecture comes first
    std::sscanf(target.c_str(), "sm_%d", &architecture);
    const CompiledImage image = Nvrtc::instance().compile(translation_unit(*kernel.source, kernels),
                                                          kernel.source->path, architecture / 10, architecture % 10);
    if (module != nullptr) driver().cuModuleUnload(module);
    ok(driver().cuModuleLoadData(&module, image.bytes.data()), "cuModuleLoadData");
    CUfunction function = nullptr;
    ok(driver().cuModuleGetFunction(&function, module, entry_name(name).c_str()), "cuModuleGetFunction");
    return function;
  }
  void sync() { ok(driver().cuStreamSynchronize(stream), "cuStreamSynchronize"); }

  Runtime runtime;
  Accelerator* device = nullptr;
  CUcontext context = nullptr;
  CUstream stream = nullptr;
  CUmodule module = nullptr;
};

#define SKIP_WITHOUT_CUDA(setup)                                                   \
  if ((setup).device == nullptr) {                                                 \
    state.SkipWithError("no CUDA device (dotcompute devices --verbose says why)"); \
    return;                                                                        \
  }

void BM_CudaSyncLaunchWait(benchmark::State& state) {
  Setup s;
  SKIP_WITHOUT_CUDA(s);
  CUfunction empty = s.raw_function("empty");
  EntryGeometry geometry{{1, 1, 1}};
  void* parameters[] = {&geometry};
  measure_sync_launches(
      state, 500, [&] { return s.runtime.orchestrator().execute(kCuda, "empty", Range(1)); },
      [&] { driver().cuLaunchKernel(empty, 1, 1, 1, 256, 1, 1, 0, s.stream, parameters, nullptr); }, [&] { s.sync(); });
}
BENCHMARK(BM_CudaSyncLaunchWait)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

void BM_CudaContinuedLaunchWait(benchmark::State& state) {
  Setup s;
  SKIP_WITHOUT_CUDA(s);
  measure_continued_launches(state, 500, [&] { return s.runtime.orchestrator().execute(kCuda, "empty", Range(1)); });
}
BENCHMARK(BM_CudaContinuedLaunchWait)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

void BM_CudaPipelinedEmptyLaunches(benchmark::State& state) {
  Setup s;
  SKIP_WITHOUT_CUDA(s);
  CUfunction empty = s.raw_function("empty");
  EntryGeometry geometry{{1, 1, 1}};
  void* parameters[] = {&geometry};
  measure_pipelined_launches(
      state, 5000, [&] { return s.runtime.orchestrator().execute(kCuda, "empty", Range(1)); },
      [&] { driver().cuLaunchKernel(empty, 1, 1, 1, 256, 1, 1, 0, s.stream, parameters, nullptr); }, [&] { s.sync(); });
}
BENCHMARK(BM_CudaPipelinedEmptyLaunches)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

// vector_add over 256M floats with buffers resident, against the same kernel
// launched by hand and against a device-to-device copy (bytes read + written).
void BM_CudaVectorAdd256M(benchmark::State& state) {
  Setup s;
  SKIP_WITHOUT_CUDA(s);
  constexpr int n = 1 << 28;
  constexpr std::size_t bytes = std::size_t{n} * sizeof(float);
  Buffer<float> a(n), b(n), c(n);
  a.fill(1.0f);
  b.fill(2.0f);
  const auto run = [&] {
    s.runtime.orchestrator().execute(kCuda, "vector_add", Range(n), n, std::as_const(a), std::as_const(b), c).wait();
  };
  run();  // uploads a and b once; afterwards everything stays on the device
  if (c.host_read()[n - 1] != 3.0f) throw std::runtime_error("vector_add gave a wrong result");
  CUfunction add = s.raw_function("vector_add");
  CUdeviceptr ra = 0, rb = 0, rc = 0;
  ok(driver().cuMemAlloc(&ra, bytes), "cuMemAlloc");
  ok(driver().cuMemAlloc(&rb, bytes), "cuMemAlloc");
  ok(driver().cuMemAlloc(&rc, bytes), "cuMemAlloc");
  EntryGeometry geometry{{n, 1, 1}};
  int count = n;
  void* parameters[] = {&geometry, &count, &ra, &rb, &rc};
  PairedSamples samples;
  std::vector<double> copies;
  for (auto _ : state) {
    const double dc = seconds_taken(run);
    const double raw = seconds_taken([&] {
      driver().cuLaunchKernel(add, n / 256, 1, 1, 256, 1, 1, 0, s.stream, parameters, nullptr);
      s.sync();
    });
    copies.push_back(seconds_taken([&] {
      driver().cuMemcpyDtoDAsync(rc, ra, bytes, s.stream);
      s.sync();
    }));
    samples.add(dc, raw);
  }
  samples.report_rate(state, "GBps", 3.0 * bytes / 1e9);
  std::nth_element(copies.begin(), copies.begin() + static_cast<long>(copies.size() / 2), copies.end());
  const double copy_rate = 2.0 * bytes / 1e9 / copies[copies.size() / 2];
  state.counters["d2d_copy_GBps"] = copy_rate;
  state.counters["dc_vs_copy"] = state.counters["dc_GBps"] / copy_rate;
  driver().cuMemFree(ra);
  driver().cuMemFree(rb);
  driver().cuMemFree(rc);
}
BENCHMARK(BM_CudaVectorAdd256M)->Unit(benchmark::kMillisecond)->MinTime(3.0)->UseRealTime();

// Replica transfers through the backend (from a host-pool block, which the
// CUDA backend pins) against cuMemcpy from cuMemHostAlloc memory. Arg 0:
// upload, 1: download, 2: upload from pageable memory (pinned staging).
void BM_CudaTransfer256MiB(benchmark::State& state) {
  Setup s;
  SKIP_WITHOUT_CUDA(s);
  const int mode = static_cast<int>(state.range(0));
  constexpr std::size_t bytes = std::size_t{256} << 20;
  void* pooled = host_memory_pool()->allocate(bytes);
  std::vector<unsigned char> pageable(mode == 2 ? bytes : 0, 1);
  void* host = mode == 2 ? pageable.data() : pooled;
  std::memset(pooled, 1, bytes);
  auto replica = s.device->create_replica(bytes);
  void* pinned = nullptr;
  ok(driver().cuMemHostAlloc(&pinned, bytes, CU_MEMHOSTALLOC_PORTABLE), "cuMemHostAlloc");
  std::memset(pinned, 1, bytes);
  CUdeviceptr raw_device = 0;
  ok(driver().cuMemAlloc(&raw_device, bytes), "cuMemAlloc");
  PairedSamples samples;
  for (auto _ : state) {
    const double dc = seconds_taken([&] {
      if (mode == 1) {
        s.device->download(*replica, host, bytes);
      } else {
        s.device->upload(*replica, host, bytes);
      }
    });
    const double raw = seconds_taken([&] {
      if (mode == 1) {
        driver().cuMemcpyDtoHAsync(pinned, raw_device, bytes, s.stream);
      } else {
        driver().cuMemcpyHtoDAsync(raw_device, pinned, bytes, s.stream);
      }
      s.sync();
    });
    samples.add(dc, raw);
  }
  samples.report_rate(state, "GBps", bytes / 1e9);
  state.counters["host_pinned"] = is_pinned_host_memory(host, bytes) ? 1 : 0;
  driver().cuMemFree(raw_device);
  driver().cuMemFreeHost(pinned);
  replica.reset();
  host_memory_pool()->deallocate(pooled, bytes);
}
BENCHMARK(BM_CudaTransfer256MiB)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

}  // namespace
}  // namespace dotcompute::bench
