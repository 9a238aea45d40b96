// A stand-in for the CUDA driver (libcuda.so.1), for testing the CUDA plugin
// on machines without a GPU: one "GPU" of compute capability 9.0 whose memory
// is host memory, whose streams run every operation at once, and which
// runs no kernel code except two it knows by name:
//   dc_entry_scale(geometry, int n, float factor, float* x): x[i] *= factor;
//   dc_entry_poke(...): faults, leaving the context broken as a real
//   illegal-address fault does (every later stream operation fails with 700).
// It also counts what the plugin asked of it (stand_in_cuda_counters), so a
// test can tell which path a transfer took. Test code only: tests load it
// before the plugin does, and the plugin's dlopen("libcuda.so.1") then finds
// it by its soname.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <list>
#include <mutex>
#include <string>
#include <vector>

#include "stand_in_driver.hpp"

extern "C" {

using CUresult = int;
using CUdeviceptr = unsigned long long;

__attribute__((visibility("default"))) StandInCounters* stand_in_cuda_counters() {
  static auto* counters = new StandInCounters;  // never destroyed, like the rest of the driver
  return counters;
}

}  // extern "C"

namespace {

constexpr CUresult kSuccess = 0;
constexpr CUresult kInvalidValue = 1;
constexpr CUresult kOutOfMemory = 2;
constexpr CUresult kIllegalAddress = 700;

struct Function {
  std::string name;
};

struct Registered {
  const char* start;
  std::size_t bytes;
};

// Never destroyed: the host pool unpins its blocks during static destruction.
struct State {
  std::mutex mutex;
  std::vector<Registered> registered;      // host blocks cuMemHostRegister'ed
  std::list<Function> functions;           // handed out by cuModuleGetFunction
  std::atomic<CUresult> sticky{kSuccess};  // a fault's error, returned by every later stream operation
};
State& state() {
  static auto* instance = new State;
  return *instance;
}

int context_token, stream_token;

bool is_registered(const void* host, std::size_t bytes) {
  const auto* address = static_cast<const char*>(host);
  std::lock_guard lock(state().mutex);
  return std::any_of(state().registered.begin(), state().registered.end(), [&](const Registered& block) {
    return block.start <= address && address + bytes <= block.start + block.bytes;
  });
}

CUresult copy(void* to, const void* from, std::size_t bytes, const void* host) {
  if (state().sticky.load() != kSuccess) return state().sticky.load();
  (is_registered(host, bytes) ? stand_in_cuda_counters()->pinned_copies : stand_in_cuda_counters()->pageable_copies)++;
  std::memmove(to, from, bytes);
  return kSuccess;
}

void* as_pointer(CUdeviceptr pointer) { return reinterpret_cast<void*>(static_cast<std::uintptr_t>(pointer)); }

}  // namespace

extern "C" {

#define STAND_IN __attribute__((visibility("default")))

STAND_IN CUresult cuInit(unsigned) { return kSuccess; }
// NVRTC looks this up in a loaded libcuda.so.1 (and crashes when it is missing): no tables here.
STAND_IN CUresult cuGetExportTable(const void** table, const void*) {
  *table = nullptr;
  return 500;  // CUDA_ERROR_NOT_FOUND
}
STAND_IN CUresult cuDriverGetVersion(int* version) {
  *version = 13000;
  return kSuccess;
}
STAND_IN CUresult cuGetErrorName(CUresult error, const char** name) {
  *name = error == kIllegalAddress ? "CUDA_ERROR_ILLEGAL_ADDRESS" : "CUDA_ERROR_STAND_IN";
  return kSuccess;
}
STAND_IN CUresult cuGetErrorString(CUresult error, const char** text) {
  *text = error == kIllegalAddress ? "an illegal memory access was encountered" : "stand-in driver error";
  return kSuccess;
}
STAND_IN CUresult cuDeviceGetCount(int* count) {
  *count = 1;
  return kSuccess;
}
STAND_IN CUresult cuDeviceGet(int* device, int ordinal) {
  if (ordinal != 0) return kInvalidValue;
  *device = 0;
  return kSuccess;
}
STAND_IN CUresult cuDeviceGetName(char* name, int length, int) {
  std::snprintf(name, static_cast<std::size_t>(length), "%s", "stand-in GPU");
  return kSuccess;
}
STAND_IN CUresult cuDeviceGetAttribute(int* value, int attribute, int) {
  switch (attribute) {
    case 1:  // MAX_THREADS_PER_BLOCK
    case 2:  // MAX_BLOCK_DIM_X
    case 3:  // MAX_BLOCK_DIM_Y
      *value = 1024;
      return kSuccess;
    case 4:  // MAX_BLOCK_DIM_Z
      *value = 64;
      return kSuccess;
    case 5:  // MAX_GRID_DIM_X
      *value = 2147483647;
      return kSuccess;
    case 6:  // MAX_GRID_DIM_Y
    case 7:  // MAX_GRID_DIM_Z
      *value = 65535;
      return kSuccess;
    case 16:  // MULTIPROCESSOR_COUNT
      *value = 4;
      return kSuccess;
    case 75:  // COMPUTE_CAPABILITY_MAJOR
      *value = 9;
      return kSuccess;
    case 76:  // COMPUTE_CAPABILITY_MINOR
      *value = 0;
      return kSuccess;
    default:
      *value = 0;
      return kSuccess;
  }
}
STAND_IN CUresult cuDeviceTotalMem_v2(std::size_t* bytes, int) {
  *bytes = std::size_t{1} << 30;
  return kSuccess;
}
STAND_IN CUresult cuDevicePrimaryCtxRetain(void** context, int) {
  *context = &context_token;
  return kSuccess;
}
STAND_IN CUresult cuCtxSetCurrent(void*) { return kSuccess; }
STAND_IN CUresult cuStreamCreate(void** stream, unsigned) {
  *stream = &stream_token;
  return kSuccess;
}
STAND_IN CUresult cuStreamDestroy_v2(void*) { return kSuccess; }
STAND_IN CUresult cuStreamSynchronize(void*) { return state().sticky.load(); }
STAND_IN CUresult cuEventCreate(void** event, unsigned) {
  *event = new int(0);
  return kSuccess;
}
STAND_IN CUresult cuEventDestroy_v2(void* event) {
  delete static_cast<int*>(event);
  return kSuccess;
}
STAND_IN CUresult cuEventRecord(void*, void*) { return state().sticky.load(); }
STAND_IN CUresult cuEventSynchronize(void*) { return state().sticky.load(); }
STAND_IN CUresult cuEventQuery(void*) { return state().sticky.load(); }
STAND_IN CUresult cuModuleLoadData(void** module, const void* image) {
  if (image == nullptr) return kInvalidValue;
  *module = new int(0);
  return kSuccess;
}
STAND_IN CUresult cuModuleUnload(void* module) {
  delete static_cast<int*>(module);
  return kSuccess;
}
STAND_IN CUresult cuModuleGetFunction(void** function, void*, const char* name) {
  std::lock_guard lock(state().mutex);
  *function = &state().functions.emplace_back(Function{name});
  return kSuccess;
}
STAND_IN CUresult cuLaunchKernel(void* function, unsigned grid_x, unsigned grid_y, unsigned grid_z, unsigned block_x,
                                 unsigned block_y, unsigned block_z, unsigned, void*, void** parameters, void**) {
  if (state().sticky.load() != kSuccess) return state().sticky.load();
  stand_in_cuda_counters()->launches++;
  const std::string& name = static_cast<Function*>(function)->name;
  const auto* global = static_cast<const unsigned long long*>(parameters[0]);
  const unsigned long long threads[3] = {std::size_t{grid_x} * block_x, std::size_t{grid_y} * block_y,
                                         std::size_t{grid_z} * block_z};
  for (int d = 0; d < 3; ++d) {
    if (threads[d] < global[d]) return kInvalidValue;  // the grid must cover the range
  }
  if (name == "dc_entry_scale") {
    const int n = *static_cast<const int*>(parameters[1]);
    const float factor = *static_cast<const float*>(parameters[2]);
    auto* x = static_cast<float*>(as_pointer(*static_cast<const CUdeviceptr*>(parameters[3])));
    const auto count = std::min<unsigned long long>(static_cast<unsigned long long>(std::max(n, 0)), global[0]);
    for (unsigned long long i = 0; i < count; ++i) x[i] *= factor;
  } else if (name == "dc_entry_poke") {
    state().sticky.store(kIllegalAddress);
  }
  return kSuccess;
}
STAND_IN CUresult cuMemAlloc_v2(CUdeviceptr* pointer, std::size_t bytes) {
  void* memory = std::malloc(std::max<std::size_t>(bytes, 1));
  if (memory == nullptr) return kOutOfMemory;
  *pointer = reinterpret_cast<std::uintptr_t>(memory);
  return kSuccess;
}
STAND_IN CUresult cuMemFree_v2(CUdeviceptr pointer) {
  std::free(as_pointer(pointer));
  return kSuccess;
}
STAND_IN CUresult cuMemGetInfo_v2(std::size_t* free, std::size_t* total) {
  *free = *total = std::size_t{1} << 30;
  return kSuccess;
}
STAND_IN CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr device, const void* host, std::size_t bytes, void*) {
  return copy(as_pointer(device), host, bytes, host);
}
STAND_IN CUresult cuMemcpyDtoHAsync_v2(void* host, CUdeviceptr device, std::size_t bytes, void*) {
  return copy(host, as_pointer(device), bytes, host);
}
STAND_IN CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr to, CUdeviceptr from, std::size_t bytes, void*) {
  if (state().sticky.load() != kSuccess) return state().sticky.load();
  std::memmove(as_pointer(to), as_pointer(from), bytes);
  return kSuccess;
}
STAND_IN CUresult cuMemHostAlloc(void** pointer, std::size_t bytes, unsigned) {
  *pointer = std::malloc(bytes);
  if (*pointer == nullptr) return kOutOfMemory;
  stand_in_cuda_counters()->staging_allocations++;
  return kSuccess;
}
STAND_IN CUresult cuMemFreeHost(void* pointer) {
  std::free(pointer);
  return kSuccess;
}
STAND_IN CUresult cuMemHostRegister_v2(void* pointer, std::size_t bytes, unsigned) {
  std::lock_guard lock(state().mutex);
  state().registered.push_back({static_cast<const char*>(pointer), bytes});
  stand_in_cuda_counters()->host_registers++;
  return kSuccess;
}
STAND_IN CUresult cuMemHostUnregister(void* pointer) {
  std::lock_guard lock(state().mutex);
  const auto found = std::find_if(state().registered.begin(), state().registered.end(),
                                  [&](const Registered& block) { return block.start == pointer; });
  if (found == state().registered.end()) return kInvalidValue;
  state().registered.erase(found);
  stand_in_cuda_counters()->host_unregisters++;
  return kSuccess;
}

}  // extern "C"
