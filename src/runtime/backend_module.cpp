#include "backend_module.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>

#include "dotcompute/errors.hpp"

namespace dotcompute::runtime {

std::filesystem::path runtime_library_directory() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&runtime_library_directory), &info) == 0 || info.dli_fname == nullptr) return {};
  return std::filesystem::path(info.dli_fname).parent_path();
}

std::unique_ptr<AcceleratorProvider> load_backend_module(const std::string& backend,
                                                         const std::string& cache_directory) {
  const char* override_dir = std::getenv("DOTCOMPUTE_BACKEND_DIR");
  const std::filesystem::path directory =
      override_dir != nullptr && *override_dir != '\0' ? override_dir : runtime_library_directory();
  const std::filesystem::path path = directory / ("libdotcompute_backend_" + backend + ".so");
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    throw DeviceUnavailableError("not built: no " + path.string() +
                                 " (its SDK was not found when dotcompute was configured)");
  }
  // RTLD_LOCAL: the module's driver symbols stay private to it.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    throw DeviceUnavailableError("cannot load " + path.string() + ": " + (why != nullptr ? why : "unknown error"));
  }
  const std::string symbol = "dotcompute_backend_" + backend + "_create_provider";
  using Create = AcceleratorProvider* (*)(const char* cache_directory);
  auto* create = reinterpret_cast<Create>(dlsym(handle, symbol.c_str()));
  if (create == nullptr) throw DeviceUnavailableError(path.string() + " has no entry point " + symbol);
  std::unique_ptr<AcceleratorProvider> provider(create(cache_directory.c_str()));
  if (!provider) throw DeviceUnavailableError(symbol + " in " + path.string() + " returned no provider");
  return provider;
}

}  // namespace dotcompute::runtime
