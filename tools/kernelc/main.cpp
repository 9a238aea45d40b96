// dotcompute-kernelc: checks .dck kernel files and generates the C++ that
// compiles them natively for the CPU and registers them at static-init time.
//
//   dotcompute-kernelc IN.dck -o OUT.cpp [IN2.dck -o OUT2.cpp ...]
//   dotcompute-kernelc --check IN.dck [IN2.dck ...]
//
// All inputs of one call are checked together (duplicate kernel names across
// them are errors). Exit status: 0 ok, 1 dialect errors, 2 usage or I/O errors.
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cpu_codegen.hpp"
#include "dialect/module.hpp"

namespace {

constexpr const char* kUsage =
    "usage: dotcompute-kernelc IN.dck -o OUT.cpp [IN2.dck -o OUT2.cpp ...]\n"
    "       dotcompute-kernelc --check IN.dck [IN2.dck ...]\n";

struct Job {
  std::string input;
  std::string output;
  std::string source;
  dotcompute::dialect::Module module;
};

bool read_file(const std::string& path, std::string& contents) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  contents = buffer.str();
  return true;
}

// Writes only when the contents change, so unchanged kernels do not recompile.
bool write_if_different(const std::string& path, const std::string& contents) {
  std::string existing;
  if (read_file(path, existing) && existing == contents) return true;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<Job> jobs;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string argument = argv[i];
    if (argument == "--help" || argument == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (argument == "--check") {
      check_only = true;
    } else if (argument == "-o") {
      if (i + 1 >= argc || jobs.empty() || !jobs.back().output.empty()) {
        std::cerr << "dotcompute-kernelc: -o must follow an input file and name one output\n" << kUsage;
        return 2;
      }
      jobs.back().output = argv[++i];
    } else if (argument.starts_with("-")) {
      std::cerr << "dotcompute-kernelc: unknown option '" << argument << "'\n" << kUsage;
      return 2;
    } else {
      jobs.push_back({argument, {}, {}, {}});
    }
  }
  if (jobs.empty()) {
    std::cerr << "dotcompute-kernelc: no input files\n" << kUsage;
    return 2;
  }
  for (const Job& job : jobs) {
    if (!check_only && job.output.empty()) {
      std::cerr << "dotcompute-kernelc: no output (-o) for " << job.input << "\n";
      return 2;
    }
  }

  bool failed = false;
  std::map<std::string, std::string> kernel_origins;  // name -> "file:line"
  for (Job& job : jobs) {
    if (!read_file(job.input, job.source)) {
      std::cerr << job.input << ": error: cannot read the file\n";
      return 2;
    }
    job.module = dotcompute::dialect::parse_module(job.source, job.input);
    for (const auto& function : job.module.functions) {
      if (!function.kernel) continue;
      const std::string origin = job.input + ":" + std::to_string(function.line);
      const auto [existing, inserted] = kernel_origins.emplace(function.name, origin);
      if (!inserted) {
        job.module.diagnostics.push_back(
            {job.input, function.line, function.column,
             "duplicate kernel name '" + function.name + "': also defined at " + existing->second});
      }
    }
    for (const auto& diagnostic : job.module.diagnostics) std::cerr << diagnostic.format() << "\n";
    failed = failed || !job.module.diagnostics.empty();
  }
  if (failed) return 1;
  if (check_only) return 0;

  for (const Job& job : jobs) {
    const std::string code = dotcompute::kernelc::generate_cpu_translation_unit(job.module, job.source, job.output);
    if (!write_if_different(job.output, code)) {
      std::cerr << job.output << ": error: cannot write the generated file\n";
      return 2;
    }
  }
  return 0;
}
