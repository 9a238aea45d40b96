// The CUDA backend without a GPU: every sample kernel's CUDA form compiles
// with NVRTC for sm_90 (Hopper), compile errors name the .dck line, and the
// runtime reports why the backend is skipped where no driver is installed.
#include <gtest/gtest.h>

#include <dotcompute/backend/cuda_source.hpp>
#include <dotcompute/dotcompute.hpp>

#include "nvrtc_compiler.hpp"
#include "sample_catalog.hpp"

namespace dotcompute {
namespace {

#define EXPECT_CONTAINS(text, fragment) EXPECT_NE(std::string(text).find(fragment), std::string::npos) << (text)

const cuda::Nvrtc* nvrtc_or_skip_reason(std::string& reason) {
  try {
    return &cuda::Nvrtc::instance();
  } catch (const DeviceUnavailableError& error) {
    reason = error.what();
    return nullptr;
  }
}

#define REQUIRE_NVRTC(name)                                    \
  std::string skip_reason;                                     \
  const cuda::Nvrtc* name = nvrtc_or_skip_reason(skip_reason); \
  if (name == nullptr) GTEST_SKIP() << skip_reason

std::string unit_for(const KernelDefinition& kernel) {
  const KernelDefinition* kernels[] = {&kernel};
  return cuda::translation_unit(*kernel.source, kernels);
}

TEST(CudaCompile, EverySampleKernelCompilesForSm90) {
  REQUIRE_NVRTC(nvrtc);
  std::size_t compiled = 0;
  for (const auto& kernel : KernelRegistry::global().kernels()) {
    ASSERT_NE(kernel->source, nullptr) << kernel->name;
    const cuda::CompiledImage image = nvrtc->compile(unit_for(*kernel), kernel->source->path, 9, 0);
    EXPECT_TRUE(image.cubin) << kernel->name;
    EXPECT_EQ(image.target, "sm_90");
    EXPECT_GT(image.bytes.size(), 256u) << kernel->name;
    ++compiled;
  }
  EXPECT_EQ(compiled, samples::all_samples().size());
}

TEST(CudaCompile, ErrorsNameTheDckFileAndLine) {
  REQUIRE_NVRTC(nvrtc);
  KernelRegistry registry;
  registry.add_source("DC_KERNEL void broken(DC_GLOBAL float* x) {\n  x[0] = not_declared;\n}\n", "runtime/broken.dck");
  try {
    (void)nvrtc->compile(unit_for(*registry.find("broken")), "runtime/broken.dck", 9, 0);
    FAIL() << "expected CompilationError";
  } catch (const CompilationError& e) {
    EXPECT_CONTAINS(e.what(), "runtime/broken.dck:2: error");
    EXPECT_CONTAINS(e.what(), "not_declared");
  }
}

TEST(CudaCompile, EveryBuiltInAndConstantsCompile) {
  REQUIRE_NVRTC(nvrtc);
  KernelRegistry registry;
  registry.add_source(
      "DC_CONSTANT float kWeights[3] = {0.25f, 0.5f, 0.25f};\n"
      "DC_FUNC double twice(double v) { return 2.0 * v; }\n"
      "DC_KERNEL void all(long n, ulong m, uint k, DC_GLOBAL const double* in, DC_GLOBAL float* out,\n"
      "                   DC_GLOBAL DC_WRITE_ONLY double* d) {\n"
      "  ulong i = dc_global_id(0) + dc_global_id(1) * dc_global_size(0) + dc_global_id(2);\n"
      "  float x = (float)in[i];\n"
      "  x = dc_sqrt(x) + dc_rsqrt(x) + dc_exp(x) + dc_exp2(x) + dc_log(x) + dc_log2(x) + dc_log10(x);\n"
      "  x += dc_pow(x, 2.0f) + dc_sin(x) + dc_cos(x) + dc_tan(x) + dc_asin(x) + dc_acos(x) + dc_atan(x);\n"
      "  x += dc_atan2(x, 1.0f) + dc_sinh(x) + dc_cosh(x) + dc_tanh(x) + dc_fabs(x) + dc_floor(x) + dc_ceil(x);\n"
      "  x += dc_round(x) + dc_trunc(x) + dc_fmin(x, 1.0f) + dc_fmax(x, 1.0f) + dc_fma(x, x, x) + dc_fmod(x, 3.0f);\n"
      "  x += dc_hypot(x, 1.0f) + dc_copysign(x, -1.0f) + dc_min(x, 1.0f) + dc_max(x, 2.0f) + dc_clamp(x, 0.0f, "
      "1.0f);\n"
      "  x += (float)(dc_local_id(0) + dc_local_size(1) + dc_group_id(2) + dc_num_groups(0) + dc_abs((int)k - 3));\n"
      "  out[i] = x * kWeights[i % 3] + (float)(n + (long)m);\n"
      "  d[i] = twice(dc_sqrt(in[i]));\n"
      "}\n",
      "runtime/all.dck");
  const cuda::CompiledImage image = nvrtc->compile(unit_for(*registry.find("all")), "runtime/all.dck", 9, 0);
  EXPECT_TRUE(image.cubin);
}

TEST(CudaCompile, DevicesNewerThanNvrtcGetPtx) {
  REQUIRE_NVRTC(nvrtc);
  const KernelDefinition& kernel = *KernelRegistry::global().find("vector_add");
  const cuda::CompiledImage image = nvrtc->compile(unit_for(kernel), kernel.source->path, 99, 9);
  EXPECT_FALSE(image.cubin);
  EXPECT_TRUE(image.target.starts_with("compute_")) << image.target;
  EXPECT_CONTAINS(std::string(reinterpret_cast<const char*>(image.bytes.data())), ".entry dc_entry_vector_add");
}

TEST(CudaBackend, IsListedOrSkippedWithItsReason) {
  Runtime runtime = Runtime::create([](RuntimeOptions& o) { o.backends = {"cpu", "cuda"}; });
  std::size_t cuda_devices = 0;
  for (const auto& device : runtime.devices()) {
    if (device->info().backend != "cuda") continue;
    ++cuda_devices;
    EXPECT_EQ(device->info().type, DeviceType::gpu);
    EXPECT_GT(device->info().compute_units, 0u);
    EXPECT_GT(device->info().global_memory_bytes, 0u);
  }
  bool skipped = false;
  for (const auto& entry : runtime.skipped_backends()) {
    if (entry.backend != "cuda") continue;
    skipped = true;
    EXPECT_FALSE(entry.reason.empty());
    std::cout << "cuda skipped: " << entry.reason << "\n";
  }
  EXPECT_NE(cuda_devices > 0, skipped) << "CUDA must either list devices or say why it has none";
}

}  // namespace
}  // namespace dotcompute
