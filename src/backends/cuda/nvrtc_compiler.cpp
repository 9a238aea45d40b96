#include "nvrtc_compiler.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>

#include "dotcompute/errors.hpp"

namespace dotcompute::cuda {

namespace {
using nvrtcResult = int;
using nvrtcProgram = struct _nvrtcProgram*;
constexpr nvrtcResult NVRTC_SUCCESS = 0;
}  // namespace

// Entry points of libnvrtc (nvrtc.h's C ABI).
struct Nvrtc::Api {
  nvrtcResult (*nvrtcVersion)(int* major, int* minor);
  const char* (*nvrtcGetErrorString)(nvrtcResult result);
  nvrtcResult (*nvrtcGetNumSupportedArchs)(int* count);
  nvrtcResult (*nvrtcGetSupportedArchs)(int* architectures);
  nvrtcResult (*nvrtcCreateProgram)(nvrtcProgram* program, const char* source, const char* name, int header_count,
                                    const char* const* headers, const char* const* include_names);
  nvrtcResult (*nvrtcDestroyProgram)(nvrtcProgram* program);
  nvrtcResult (*nvrtcCompileProgram)(nvrtcProgram program, int option_count, const char* const* options);
  nvrtcResult (*nvrtcGetProgramLogSize)(nvrtcProgram program, std::size_t* size);
  nvrtcResult (*nvrtcGetProgramLog)(nvrtcProgram program, char* log);
  nvrtcResult (*nvrtcGetCUBINSize)(nvrtcProgram program, std::size_t* size);
  nvrtcResult (*nvrtcGetCUBIN)(nvrtcProgram program, char* cubin);
  nvrtcResult (*nvrtcGetPTXSize)(nvrtcProgram program, std::size_t* size);
  nvrtcResult (*nvrtcGetPTX)(nvrtcProgram program, char* ptx);
};

namespace {

template <class Function>
void resolve(void* library, const std::string& path, Function& slot, const char* symbol) {
  slot = reinterpret_cast<Function>(dlsym(library, symbol));
  if (slot == nullptr) throw DeviceUnavailableError(path + " has no entry point " + symbol);
}

void* open_library(std::string& opened) {
  std::vector<std::string> candidates;
  if (const char* path = std::getenv("DOTCOMPUTE_NVRTC_LIBRARY"); path != nullptr && *path != '\0') {
    candidates.emplace_back(path);
  } else {
    candidates = {"libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so", "/usr/local/cuda/lib64/libnvrtc.so"};
  }
  std::string tried;
  for (const auto& candidate : candidates) {
    if (void* library = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL)) {
      opened = candidate;
      return library;
    }
    const char* why = dlerror();
    tried += (tried.empty() ? "" : "; ") + std::string(why != nullptr ? why : candidate);
  }
  throw DeviceUnavailableError("NVRTC not found, so kernels cannot be compiled at run time (" + tried +
                               "); install the CUDA toolkit's NVRTC or set DOTCOMPUTE_NVRTC_LIBRARY");
}

// NVRTC writes "file(12): error: ..."; the rest of dotcompute says "file:12: error: ...".
std::string with_colon_locations(const std::string& log) {
  std::string result;
  std::size_t start = 0;
  while (start < log.size()) {
    std::size_t end = log.find('\n', start);
    end = end == std::string::npos ? log.size() : end + 1;
    std::string line = log.substr(start, end - start);
    const std::size_t close = line.find("): ");
    const std::size_t open = close == std::string::npos ? std::string::npos : line.rfind('(', close);
    if (open != std::string::npos && open > 0 && close > open + 1 &&
        line.find_first_not_of("0123456789", open + 1) == close) {
      line = line.substr(0, open) + ":" + line.substr(open + 1, close - open - 1) + ":" + line.substr(close + 2);
    }
    result += line;
    start = end;
  }
  return result;
}

}  // namespace

const Nvrtc& Nvrtc::instance() {
  static Nvrtc* loaded = nullptr;
  static std::string failure;
  static std::once_flag once;
  std::call_once(once, [] {
    try {
      std::string path;
      void* library = open_library(path);
      static Api api{};
      resolve(library, path, api.nvrtcVersion, "nvrtcVersion");
      resolve(library, path, api.nvrtcGetErrorString, "nvrtcGetErrorString");
      resolve(library, path, api.nvrtcGetNumSupportedArchs, "nvrtcGetNumSupportedArchs");
      resolve(library, path, api.nvrtcGetSupportedArchs, "nvrtcGetSupportedArchs");
      resolve(library, path, api.nvrtcCreateProgram, "nvrtcCreateProgram");
      resolve(library, path, api.nvrtcDestroyProgram, "nvrtcDestroyProgram");
      resolve(library, path, api.nvrtcCompileProgram, "nvrtcCompileProgram");
      resolve(library, path, api.nvrtcGetProgramLogSize, "nvrtcGetProgramLogSize");
      resolve(library, path, api.nvrtcGetProgramLog, "nvrtcGetProgramLog");
      resolve(library, path, api.nvrtcGetCUBINSize, "nvrtcGetCUBINSize");
      resolve(library, path, api.nvrtcGetCUBIN, "nvrtcGetCUBIN");
      resolve(library, path, api.nvrtcGetPTXSize, "nvrtcGetPTXSize");
      resolve(library, path, api.nvrtcGetPTX, "nvrtcGetPTX");
      static Nvrtc instance;
      instance.api_ = &api;
      int major = 0;
      int minor = 0;
      api.nvrtcVersion(&major, &minor);
      instance.version_ = "NVRTC " + std::to_string(major) + "." + std::to_string(minor);
      int count = 0;
      if (api.nvrtcGetNumSupportedArchs(&count) == NVRTC_SUCCESS && count > 0) {
        instance.architectures_.resize(static_cast<std::size_t>(count));
        api.nvrtcGetSupportedArchs(instance.architectures_.data());
        std::sort(instance.architectures_.begin(), instance.architectures_.end());
      }
      if (instance.architectures_.empty()) throw DeviceUnavailableError(path + " reports no supported architecture");
      loaded = &instance;
    } catch (const std::exception& error) {
      failure = error.what();
    }
  });
  if (loaded == nullptr) throw DeviceUnavailableError(failure);
  return *loaded;
}

CompiledImage Nvrtc::compile(const std::string& source, const std::string& program_name, int major, int minor) const {
  const int wanted = major * 10 + minor;
  CompiledImage image;
  if (std::binary_search(architectures_.begin(), architectures_.end(), wanted)) {
    image.cubin = true;
    image.target = "sm_" + std::to_string(wanted);
  } else {
    // A device newer than this NVRTC: PTX for the newest architecture it knows, which the driver can JIT.
    const auto older = std::upper_bound(architectures_.begin(), architectures_.end(), wanted);
    if (older == architectures_.begin()) {
      throw CompilationError(version_ + " cannot compile for compute capability " + std::to_string(major) + "." +
                             std::to_string(minor) + ": its oldest architecture is sm_" +
                             std::to_string(architectures_.front()));
    }
    image.target = "compute_" + std::to_string(*std::prev(older));
  }
  const std::string architecture = "--gpu-architecture=" + image.target;
  const char* options[] = {architecture.c_str(), "--std=c++17"};
  nvrtcProgram program = nullptr;
  nvrtcResult status = api_->nvrtcCreateProgram(&program, source.c_str(), program_name.c_str(), 0, nullptr, nullptr);
  if (status != NVRTC_SUCCESS) {
    throw CompilationError("nvrtcCreateProgram(" + program_name + "): " + api_->nvrtcGetErrorString(status));
  }
  status = api_->nvrtcCompileProgram(program, static_cast<int>(std::size(options)), options);
  std::size_t log_size = 0;
  std::string log;
  if (api_->nvrtcGetProgramLogSize(program, &log_size) == NVRTC_SUCCESS && log_size > 1) {
    log.resize(log_size);
    api_->nvrtcGetProgramLog(program, log.data());
    while (!log.empty() && (log.back() == '\0' || log.back() == '\n')) log.pop_back();
  }
  if (status == NVRTC_SUCCESS) {
    std::size_t size = 0;
    status = image.cubin ? api_->nvrtcGetCUBINSize(program, &size) : api_->nvrtcGetPTXSize(program, &size);
    if (status == NVRTC_SUCCESS) {
      image.bytes.resize(size);
      auto* target = reinterpret_cast<char*>(image.bytes.data());
      status = image.cubin ? api_->nvrtcGetCUBIN(program, target) : api_->nvrtcGetPTX(program, target);
    }
  }
  api_->nvrtcDestroyProgram(&program);
  if (status != NVRTC_SUCCESS) {
    throw CompilationError(version_ + " (" + image.target + "): " + api_->nvrtcGetErrorString(status) +
                           (log.empty() ? std::string() : ":\n" + with_colon_locations(log)));
  }
  return image;
}

}  // namespace dotcompute::cuda
