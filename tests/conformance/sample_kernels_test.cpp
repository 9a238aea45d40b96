// Conformance: every sample kernel on every device of the runtime, against its
// plain C++ reference, at sizes 0, 1, a non-multiple of the chunk size and
// large, in 1-D, 2-D and 3-D. The runtime has the CPU backend and a test
// device with memory of its own (exercising uploads and downloads); other
// backends (OpenCL, CUDA, the example offload plugin) join through the device list.
#include <gtest/gtest.h>

#include <dotcompute/dotcompute.hpp>

#include "replica_test_device.hpp"
#include "sample_catalog.hpp"

namespace dotcompute {
namespace {

// The example plugin's offload device joins the suite (DOTCOMPUTE_PLUGIN_PATH,
// when set, names another build of it: the install test's, built out of tree).
Runtime& shared_runtime() {
  static Runtime runtime = test::make_runtime_with_replica_device(
      nullptr, std::getenv("DOTCOMPUTE_PLUGIN_PATH") != nullptr ? std::vector<std::string>{}
                                                                : std::vector<std::string>{DOTCOMPUTE_OFFLOAD_PLUGIN});
  return runtime;
}

struct Case {
  std::string device;
  std::string sample;
  std::size_t size;
};

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  for (const auto& device : shared_runtime().devices()) {
    for (const auto& sample : samples::all_samples()) {
      // 1-D: elements; 2-D/3-D: edge length. The odd sizes are not multiples of
      // the chunk size (1024-item multiples of 64) nor of the work-group size.
      const std::vector<std::size_t> sizes = sample.dimensions == 1 ? std::vector<std::size_t>{0, 1, 100003, 1 << 22}
                                             : sample.dimensions == 2
                                                 ? std::vector<std::size_t>{0, 1, 37, sample.demo_size}
                                                 : std::vector<std::size_t>{0, 1, 13, 96};
      for (std::size_t size : sizes) cases.push_back({device->info().id, std::string(sample.name), size});
    }
  }
  return cases;
}

void PrintTo(const Case& c, std::ostream* os) { *os << c.sample << " size " << c.size << " on " << c.device; }

std::vector<Case> small_cases() {
  std::vector<Case> cases = all_cases();
  std::erase_if(cases, [](const Case& c) { return c.size > 100003; });
  return cases;
}

std::string case_name(const ::testing::TestParamInfo<Case>& param_info) {
  std::string name =
      param_info.param.device + "_" + param_info.param.sample + "_" + std::to_string(param_info.param.size);
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

class SampleKernels : public ::testing::TestWithParam<Case> {};
class SampleKernelsDeterminism : public ::testing::TestWithParam<Case> {};

TEST_P(SampleKernels, MatchesTheCppReference) {
  const Case& c = GetParam();
  const samples::Sample* sample = samples::find_sample(c.sample);
  ASSERT_NE(sample, nullptr);
  auto run = sample->prepare(c.size);
  run->reset();
  const KernelResult result =
      run->launch(shared_runtime().orchestrator(), {.device = c.device, .local_size = {}}).get();
  EXPECT_EQ(result.device, c.device);
  const samples::CheckResult check = run->check();
  EXPECT_TRUE(check.ok) << c.sample << " size " << c.size << " on " << c.device << ": " << check.detail;
}

TEST_P(SampleKernelsDeterminism, RepeatedLaunchesGiveTheSameResult) {
  const Case& c = GetParam();
  auto run = samples::find_sample(c.sample)->prepare(c.size);
  const ExecutionOptions options{.device = c.device, .local_size = {}};
  run->reset();
  run->launch(shared_runtime().orchestrator(), options).wait();
  const double first = run->checksum();
  run->reset();
  run->launch(shared_runtime().orchestrator(), options).wait();
  EXPECT_EQ(run->checksum(), first);
}

INSTANTIATE_TEST_SUITE_P(AllDevices, SampleKernels, ::testing::ValuesIn(all_cases()), case_name);
INSTANTIATE_TEST_SUITE_P(AllDevices, SampleKernelsDeterminism, ::testing::ValuesIn(small_cases()), case_name);

TEST(SampleKernels, EveryRegisteredSampleKernelHasAWorkload) {
  for (const auto& kernel : KernelRegistry::global().kernels()) {
    EXPECT_NE(samples::find_sample(kernel->name), nullptr) << kernel->name;
    const auto implementations = kernel->implementations();
    ASSERT_GE(implementations.size(), 2u) << kernel->name;
    EXPECT_EQ(implementations[0], "cpu") << kernel->name;
    EXPECT_EQ(implementations[1], "portable") << kernel->name;
    // With nvcc at build time, an ahead-of-time fatbin too (DOTCOMPUTE_CUDA_AOT).
    if (implementations.size() > 2) {
      EXPECT_EQ(implementations[2], "cuda:sm_80,sm_90") << kernel->name;
    }
  }
  EXPECT_TRUE(KernelRegistry::global().conflicts().empty());
}

}  // namespace
}  // namespace dotcompute
