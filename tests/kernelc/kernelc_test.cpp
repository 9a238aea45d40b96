// dotcompute-kernelc as a tool: exit codes, diagnostics on stderr, generated output.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

struct Outcome {
  int status;
  std::string output;
};

Outcome run(const std::string& command) {
  std::string output;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  std::array<char, 4096> buffer{};
  while (fgets(buffer.data(), buffer.size(), pipe) != nullptr) output += buffer.data();
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

const std::string kKernelc = DOTCOMPUTE_KERNELC;
const std::string kData = DOTCOMPUTE_TEST_DATA;

TEST(Kernelc, GeneratesATranslationUnitForAValidFile) {
  const auto out = std::filesystem::temp_directory_path() / "dotcompute_kernelc_good.cpp";
  std::filesystem::remove(out);
  const Outcome outcome = run(kKernelc + " " + kData + "/good.dck -o " + out.string());
  EXPECT_EQ(outcome.status, 0) << outcome.output;
  std::ifstream in(out);
  const std::string code((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(code.find("dc_entry_good_kernel"), std::string::npos);
  EXPECT_NE(code.find("#line 1 \"" + kData + "/good.dck\""), std::string::npos);
  EXPECT_NE(code.find("register_generated_kernels"), std::string::npos);
  EXPECT_NE(code.find("\"    if (i < n) x[i] = x[i] + 1.0f;\\n\""), std::string::npos);  // embedded source
  const auto written = std::filesystem::last_write_time(out);
  EXPECT_EQ(run(kKernelc + " " + kData + "/good.dck -o " + out.string()).status, 0);
  EXPECT_EQ(std::filesystem::last_write_time(out), written);  // unchanged output is not rewritten
}

TEST(Kernelc, DialectErrorsExitOneWithEveryDiagnostic) {
  const Outcome outcome = run(kKernelc + " --check " + kData + "/bad.dck");
  EXPECT_EQ(outcome.status, 1);
  EXPECT_NE(outcome.output.find(kData + "/bad.dck:2:30: error: pointer parameter 'x' must be DC_GLOBAL"),
            std::string::npos)
      << outcome.output;
  EXPECT_NE(outcome.output.find(kData + "/bad.dck:2:33: error: unknown type 'vec3'"), std::string::npos)
      << outcome.output;
  EXPECT_NE(outcome.output.find(kData + "/bad.dck:3:5: error: 'std::' is not available"), std::string::npos)
      << outcome.output;
}

TEST(Kernelc, DuplicateKernelNamesAcrossFiles) {
  const Outcome outcome = run(kKernelc + " --check " + kData + "/good.dck " + kData + "/also_good.dck");
  EXPECT_EQ(outcome.status, 1);
  EXPECT_NE(outcome.output.find("also_good.dck:1:16: error: duplicate kernel name 'good_kernel': also defined at " +
                                kData + "/good.dck:1"),
            std::string::npos)
      << outcome.output;
}

TEST(Kernelc, UsageErrorsExitTwo) {
  EXPECT_EQ(run(kKernelc).status, 2);
  EXPECT_EQ(run(kKernelc + " --frobnicate").status, 2);
  EXPECT_EQ(run(kKernelc + " " + kData + "/good.dck").status, 2);  // no -o
  const Outcome missing = run(kKernelc + " --check /nonexistent/file.dck");
  EXPECT_EQ(missing.status, 2);
  EXPECT_NE(missing.output.find("/nonexistent/file.dck: error: cannot read the file"), std::string::npos);
  EXPECT_EQ(run(kKernelc + " --help").status, 0);
}

}  // namespace
