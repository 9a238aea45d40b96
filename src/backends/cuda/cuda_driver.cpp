#include "cuda_driver.hpp"

#include <dlfcn.h>

#include <mutex>

#include "dotcompute/errors.hpp"

namespace dotcompute::cuda {

namespace {

template <class Function>
void resolve(void* library, Function& slot, const char* symbol) {
  slot = reinterpret_cast<Function>(dlsym(library, symbol));
  if (slot == nullptr) {
    throw DeviceUnavailableError(std::string("the CUDA driver (libcuda.so.1) has no entry point ") + symbol +
                                 " (driver too old?)");
  }
}

Driver load() {
  // The driver is installed with the GPU's kernel module; never the toolkit's stub library.
  void* library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* why = dlerror();
    throw DeviceUnavailableError(std::string("no CUDA driver (") + (why != nullptr ? why : "libcuda.so.1 not found") +
                                 ")");
  }
  Driver d{};
  resolve(library, d.cuInit, "cuInit");
  resolve(library, d.cuDriverGetVersion, "cuDriverGetVersion");
  resolve(library, d.cuGetErrorName, "cuGetErrorName");
  resolve(library, d.cuGetErrorString, "cuGetErrorString");
  resolve(library, d.cuDeviceGetCount, "cuDeviceGetCount");
  resolve(library, d.cuDeviceGet, "cuDeviceGet");
  resolve(library, d.cuDeviceGetName, "cuDeviceGetName");
  resolve(library, d.cuDeviceGetAttribute, "cuDeviceGetAttribute");
  resolve(library, d.cuDeviceTotalMem, "cuDeviceTotalMem_v2");
  resolve(library, d.cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain");
  resolve(library, d.cuCtxSetCurrent, "cuCtxSetCurrent");
  resolve(library, d.cuStreamCreate, "cuStreamCreate");
  resolve(library, d.cuStreamDestroy, "cuStreamDestroy_v2");
  resolve(library, d.cuStreamSynchronize, "cuStreamSynchronize");
  resolve(library, d.cuEventCreate, "cuEventCreate");
  resolve(library, d.cuEventDestroy, "cuEventDestroy_v2");
  resolve(library, d.cuEventRecord, "cuEventRecord");
  resolve(library, d.cuEventSynchronize, "cuEventSynchronize");
  resolve(library, d.cuEventQuery, "cuEventQuery");
  resolve(library, d.cuModuleLoadData, "cuModuleLoadData");
  resolve(library, d.cuModuleUnload, "cuModuleUnload");
  resolve(library, d.cuModuleGetFunction, "cuModuleGetFunction");
  resolve(library, d.cuLaunchKernel, "cuLaunchKernel");
  resolve(library, d.cuMemAlloc, "cuMemAlloc_v2");
  resolve(library, d.cuMemFree, "cuMemFree_v2");
  resolve(library, d.cuMemGetInfo, "cuMemGetInfo_v2");
  resolve(library, d.cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2");
  resolve(library, d.cuMemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2");
  resolve(library, d.cuMemcpyDtoDAsync, "cuMemcpyDtoDAsync_v2");
  resolve(library, d.cuMemHostAlloc, "cuMemHostAlloc");
  resolve(library, d.cuMemFreeHost, "cuMemFreeHost");
  resolve(library, d.cuMemHostRegister, "cuMemHostRegister_v2");
  resolve(library, d.cuMemHostUnregister, "cuMemHostUnregister");
  return d;
}

}  // namespace

const Driver& driver() {
  // Loaded once; a failure is remembered so that every caller gets the same reason.
  static const Driver* loaded = nullptr;
  static std::string failure;
  static std::once_flag once;
  std::call_once(once, [] {
    try {
      static Driver instance = load();
      const CUresult status = instance.cuInit(0);
      if (status != CUDA_SUCCESS) {
        const char* name = nullptr;
        instance.cuGetErrorName(status, &name);
        const char* text = nullptr;
        instance.cuGetErrorString(status, &text);
        throw DeviceUnavailableError(std::string("cuInit failed: ") + (name != nullptr ? name : "?") + " (" +
                                     std::to_string(status) + "): " + (text != nullptr ? text : "unknown error"));
      }
      loaded = &instance;
    } catch (const std::exception& error) {
      failure = error.what();
    }
  });
  if (loaded == nullptr) throw DeviceUnavailableError(failure);
  return *loaded;
}

std::string error_text(CUresult code) {
  const char* name = nullptr;
  const char* text = nullptr;
  try {
    const Driver& d = driver();
    d.cuGetErrorName(code, &name);
    d.cuGetErrorString(code, &text);
  } catch (const DeviceUnavailableError&) {
  }
  return std::string(name != nullptr ? name : "CUDA error") + " (" + std::to_string(code) + ")" +
         (text != nullptr ? std::string(": ") + text : std::string());
}

void check(CUresult code, const std::string& what) {
  if (code == CUDA_SUCCESS) return;
  if (code == CUDA_ERROR_OUT_OF_MEMORY) throw OutOfMemoryError(what + ": " + error_text(code));
  throw DeviceError(what + ": " + error_text(code));
}

}  // namespace dotcompute::cuda
