// dotcompute-kernelc: checks .dck kernel files and generates the C++ that
// compiles them natively for the CPU and registers them at static-init time.
//
//   dotcompute-kernelc IN.dck -o OUT.cpp [--cuda-source OUT.cu --cuda-symbol NAME] [IN2.dck ...]
//   dotcompute-kernelc --check IN.dck [IN2.dck ...]
//   dotcompute-kernelc --embed-fatbin IN.fatbin --symbol NAME --architectures 80,90 -o OUT.cpp
//
// --cuda-source writes the CUDA C++ form of the file (for nvcc); --cuda-symbol
// makes the generated C++ register the fatbin that --embed-fatbin embeds under
// that name in the same target.
// All inputs of one call are checked together (duplicate kernel names across
// them are errors). Exit status: 0 ok, 1 dialect errors, 2 usage or I/O errors.
#include <algorithm>
#include <cctype>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cpu_codegen.hpp"
#include "dialect/module.hpp"
#include "dotcompute/backend/cuda_source.hpp"

namespace {

constexpr const char* kUsage =
    "usage: dotcompute-kernelc IN.dck -o OUT.cpp [--cuda-source OUT.cu --cuda-symbol NAME] [IN2.dck ...]\n"
    "       dotcompute-kernelc --check IN.dck [IN2.dck ...]\n"
    "       dotcompute-kernelc --embed-fatbin IN.fatbin --symbol NAME --architectures 80,90 -o OUT.cpp\n";

struct Job {
  std::string input;
  std::string output;
  std::string cuda_source;
  std::string cuda_symbol;
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

bool valid_symbol(const std::string& name) {
  return !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
         std::all_of(name.begin(), name.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

// --embed-fatbin IN --symbol NAME --architectures LIST -o OUT
int embed_fatbin(int argc, char** argv) {
  std::map<std::string, std::string> values;
  for (int i = 1; i + 1 < argc; i += 2) values[argv[i]] = argv[i + 1];
  const std::string input = values["--embed-fatbin"];
  const std::string symbol = values["--symbol"];
  const std::string architectures = values["--architectures"];
  const std::string output = values["-o"];
  if (argc != 9 || input.empty() || output.empty() || !valid_symbol(symbol) || architectures.empty() ||
      architectures.find_first_not_of("0123456789,") != std::string::npos) {
    std::cerr << "dotcompute-kernelc: --embed-fatbin needs IN --symbol NAME (an identifier) --architectures "
                 "LIST (e.g. 80,90) -o OUT\n"
              << kUsage;
    return 2;
  }
  std::string fatbin;
  if (!read_file(input, fatbin) || fatbin.empty()) {
    std::cerr << input << ": error: cannot read the fatbin (or it is empty)\n";
    return 2;
  }
  if (!write_if_different(output, dotcompute::kernelc::generate_fatbin_embedding(fatbin, symbol, architectures))) {
    std::cerr << output << ": error: cannot write the generated file\n";
    return 2;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--embed-fatbin") return embed_fatbin(argc, argv);
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
    } else if (argument == "-o" || argument == "--cuda-source" || argument == "--cuda-symbol") {
      std::string* slot = jobs.empty()                  ? nullptr
                          : argument == "-o"            ? &jobs.back().output
                          : argument == "--cuda-source" ? &jobs.back().cuda_source
                                                        : &jobs.back().cuda_symbol;
      if (i + 1 >= argc || slot == nullptr || !slot->empty()) {
        std::cerr << "dotcompute-kernelc: " << argument << " must follow an input file and be given once\n" << kUsage;
        return 2;
      }
      *slot = argv[++i];
      if (argument == "--cuda-symbol" && !valid_symbol(*slot)) {
        std::cerr << "dotcompute-kernelc: --cuda-symbol '" << *slot << "' is not an identifier\n";
        return 2;
      }
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
    const std::string code =
        dotcompute::kernelc::generate_cpu_translation_unit(job.module, job.source, job.output, job.cuda_symbol);
    if (!write_if_different(job.output, code)) {
      std::cerr << job.output << ": error: cannot write the generated file\n";
      return 2;
    }
    if (job.cuda_source.empty()) continue;
    const auto source =
        std::make_shared<const dotcompute::KernelSource>(dotcompute::KernelSource{job.source, job.input, {}});
    const auto definitions = dotcompute::dialect::kernel_definitions(job.module, source);
    std::vector<const dotcompute::KernelDefinition*> kernels;
    for (const auto& definition : definitions) kernels.push_back(&definition);
    if (!write_if_different(job.cuda_source, dotcompute::cuda::translation_unit(*source, kernels))) {
      std::cerr << job.cuda_source << ": error: cannot write the CUDA source\n";
      return 2;
    }
  }
  return 0;
}
