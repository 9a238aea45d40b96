// A machine with the CUDA driver but no NVRTC (DOTCOMPUTE_NVRTC_LIBRARY points
// nowhere): kernels built ahead of time still run from their fatbin, and a
// kernel that needs the JIT fails with a clear error. Its own executable, so
// that NVRTC is not loaded by another test first. Skipped without a CUDA device
// or without ahead-of-time fatbins (DOTCOMPUTE_CUDA_AOT off).
#include <gtest/gtest.h>

#include <cstdlib>
#include <dotcompute/dotcompute.hpp>

#include "sample_catalog.hpp"

namespace dotcompute {
namespace {

TEST(CudaDriverOnly, AheadOfTimeKernelsRunWithoutNvrtc) {
  ::setenv("DOTCOMPUTE_NVRTC_LIBRARY", "/nonexistent/libnvrtc.so", 1);
  ASSERT_NE(samples::find_sample("scale"), nullptr);
  const auto implementations = KernelRegistry::global().find("scale")->implementations();
  if (implementations.size() < 3) GTEST_SKIP() << "built without ahead-of-time CUDA fatbins";
  KernelRegistry registry;
  Runtime runtime = Runtime::create([](RuntimeOptions& o) { o.backends = {"cpu", "cuda"}; });
  if (runtime.devices().size() < 2) GTEST_SKIP() << "no CUDA device: " << runtime.skipped_backends().at(0).reason;

  Buffer<float> x(1000);
  x.fill(2.0f);
  runtime.orchestrator().execute({.device = "cuda", .local_size = {}}, "scale", Range(1000), 1000, 3.0f, x).wait();
  EXPECT_EQ(x.host_read()[999], 6.0f);

  registry.add_source("DC_KERNEL void jit_only(DC_GLOBAL float* x) { x[dc_global_id(0)] = 1.0f; }", "runtime/jit.dck");
  Runtime jit = Runtime::create([&registry](RuntimeOptions& o) {
    o.backends = {"cpu", "cuda"};
    o.registry = &registry;
  });
  try {  // the device cannot run it: an argument error of the caller's choice of device
    (void)jit.orchestrator().execute({.device = "cuda", .local_size = {}}, "jit_only", Range(1000), x);
    FAIL() << "expected ArgumentError";
  } catch (const ArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("NVRTC not found"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dotcompute
