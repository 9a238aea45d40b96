// A stand-in for the CUDA driver (libcuda.so.1), for testing the CUDA plugin
// on machines without a GPU: one "GPU" of compute capability 9.0 whose memory
// is host memory.
//
// Streams are asynchronous, as a GPU's are: each is a thread that runs what
// is queued on it in order, after the call that queued it has returned.
// Events are reached when that thread gets to them. A copy between device
// memory and host memory that is not page-locked (neither registered nor
// from cuMemHostAlloc) waits for the stream and is done when the call
// returns, as the real driver's is.
//
// It runs no GPU code. The kernels it knows by name (their entry points'
// C++ equivalents are in kKernels below) run on the stream's thread; a
// launch of any other kernel fails at once with CUDA_ERROR_NOT_SUPPORTED.
// poke(offset, x) faults, leaving the context broken as a real
// illegal-address fault does: every later stream operation fails with 700.
//
// It also counts what the plugin asked of it (stand_in_cuda_counters), so a
// test can tell which path a transfer took. Test code only: tests load it
// before the plugin does, and the plugin's dlopen("libcuda.so.1") then finds
// it by its soname.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <thread>
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
constexpr CUresult kNotReady = 600;
constexpr CUresult kIllegalAddress = 700;
constexpr CUresult kNotSupported = 801;

struct Kernel;

// What cuModuleGetFunction handed out: the kernel of that name, or null for
// one it cannot run.
struct Function {
  const Kernel* kernel;
};

struct HostBlock {
  const char* start;
  std::size_t bytes;
  bool registered;  // cuMemHostRegister'ed (else from cuMemHostAlloc)
};

// Never destroyed: the host pool unpins its blocks during static destruction.
struct State {
  std::mutex mutex;
  std::vector<HostBlock> page_locked;      // host memory the "GPU" may copy from or to on its own
  std::list<Function> functions;           // handed out by cuModuleGetFunction
  std::atomic<CUresult> sticky{kSuccess};  // a fault's error, returned by every later stream operation
};
State& state() {
  static auto* instance = new State;
  return *instance;
}

int context_token;

// One stream: operations run in order on a thread of its own.
class Stream {
 public:
  Stream() : worker_([this] { run(); }) {}
  ~Stream() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    worker_.join();  // runs what is left first
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // Queues `operation`; the number of operations queued so far.
  std::uint64_t enqueue(std::function<void()> operation) {
    std::uint64_t queued = 0;
    {
      std::lock_guard lock(mutex_);
      operations_.push_back(std::move(operation));
      queued = ++queued_;
    }
    changed_.notify_all();
    return queued;
  }
  [[nodiscard]] std::uint64_t queued() {
    std::lock_guard lock(mutex_);
    return queued_;
  }
  [[nodiscard]] bool reached(std::uint64_t operation) {
    std::lock_guard lock(mutex_);
    return done_ >= operation;
  }
  void wait_for(std::uint64_t operation) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return done_ >= operation; });
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      changed_.wait(lock, [this] { return stopping_ || !operations_.empty(); });
      if (operations_.empty()) return;
      std::function<void()> operation = std::move(operations_.front());
      operations_.pop_front();
      lock.unlock();
      operation();
      lock.lock();
      ++done_;
      changed_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::function<void()>> operations_;
  std::uint64_t queued_ = 0;  // operations queued so far
  std::uint64_t done_ = 0;    // operations run so far (the first done_ of them)
  bool stopping_ = false;
  std::thread worker_;  // last: starts once the rest is ready
};

// Where a stream was when an event was recorded on it.
struct Event {
  Stream* stream = nullptr;
  std::uint64_t after = 0;  // reached once the stream ran this many operations
};

// The page-locked block holding [host, host + bytes), if any.
std::optional<HostBlock> page_locked_block(const void* host, std::size_t bytes) {
  const auto* address = static_cast<const char*>(host);
  std::lock_guard lock(state().mutex);
  const auto found = std::find_if(state().page_locked.begin(), state().page_locked.end(), [&](const HostBlock& block) {
    return block.start <= address && address + bytes <= block.start + block.bytes;
  });
  if (found == state().page_locked.end()) return std::nullopt;
  return *found;
}

void* as_pointer(CUdeviceptr pointer) { return reinterpret_cast<void*>(static_cast<std::uintptr_t>(pointer)); }

// A copy between device memory and `host`: run by the stream when the host
// memory is page-locked, else after everything queued so far, before returning.
CUresult host_copy(void* to, const void* from, std::size_t bytes, const void* host, void* stream) {
  if (state().sticky.load() != kSuccess) return state().sticky.load();
  const std::optional<HostBlock> block = page_locked_block(host, bytes);
  (block && block->registered ? stand_in_cuda_counters()->pinned_copies : stand_in_cuda_counters()->pageable_copies)++;
  auto& queue = *static_cast<Stream*>(stream);
  const std::uint64_t queued = queue.enqueue([=] { std::memmove(to, from, bytes); });
  if (!block) queue.wait_for(queued);
  return kSuccess;
}

// A kernel's parameters as cuLaunchKernel found them (it reads them before returning).
struct Launch {
  const Kernel* kernel;
  unsigned long long global[3];
  unsigned char arguments[4][8];  // scalars and device pointers, as the entry point takes them

  [[nodiscard]] unsigned long long items() const { return global[0] * global[1] * global[2]; }
  // The first n items, at most all of them.
  [[nodiscard]] unsigned long long first(int n) const {
    return std::min<unsigned long long>(static_cast<unsigned>(std::max(n, 0)), items());
  }
  template <class T>
  [[nodiscard]] T argument(int i) const {
    T value;
    std::memcpy(&value, arguments[i], sizeof value);
    return value;
  }
  template <class T>
  [[nodiscard]] T* buffer(int i) const {
    return static_cast<T*>(as_pointer(argument<CUdeviceptr>(i)));
  }
};

// The kernels it runs: the C++ equivalent of each entry point.
struct Kernel {
  const char* entry;
  int arguments;
  void (*run)(const Launch&);
};
constexpr Kernel kKernels[] = {
    {"dc_entry_scale", 3,  // scale(int n, float factor, float* x)
     [](const Launch& l) {
       for (unsigned long long i = 0; i < l.first(l.argument<int>(0)); ++i)
         l.buffer<float>(2)[i] *= l.argument<float>(1);
     }},
    {"dc_entry_vector_add", 4,  // vector_add(int n, const float* a, const float* b, float* c)
     [](const Launch& l) {
       for (unsigned long long i = 0; i < l.first(l.argument<int>(0)); ++i) {
         l.buffer<float>(3)[i] = l.buffer<float>(1)[i] + l.buffer<float>(2)[i];
       }
     }},
    {"dc_entry_spin", 2,  // spin(int iterations, float* x): the loop runs for real
     [](const Launch& l) {
       for (unsigned long long item = 0; item < l.items(); ++item) {
         float v = 0.0f;
         for (int i = 0; i < l.argument<int>(0); ++i) v = v * 0.999f + 1.0f;
         l.buffer<float>(1)[item] = v;
       }
     }},
    {"dc_entry_nothing", 1, [](const Launch&) {}},  // nothing(int unused)
    {"dc_entry_twice", 1,                           // twice(float* x)
     [](const Launch& l) {
       for (unsigned long long i = 0; i < l.items(); ++i) l.buffer<float>(0)[i] *= 2.0f;
     }},
    {"dc_entry_inc", 1,  // inc(int* x)
     [](const Launch& l) {
       for (unsigned long long i = 0; i < l.items(); ++i) l.buffer<int>(0)[i] += 1;
     }},
    {"dc_entry_poke", 2,  // poke(long offset, float* x): an illegal address
     [](const Launch&) { state().sticky.store(kIllegalAddress); }},
};

const Kernel* kernel_named(const char* entry) {
  for (const Kernel& kernel : kKernels) {
    if (std::strcmp(kernel.entry, entry) == 0) return &kernel;
  }
  return nullptr;
}

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
  *name = error == kIllegalAddress ? "CUDA_ERROR_ILLEGAL_ADDRESS"
          : error == kNotSupported ? "CUDA_ERROR_NOT_SUPPORTED"
                                   : "CUDA_ERROR_STAND_IN";
  return kSuccess;
}
STAND_IN CUresult cuGetErrorString(CUresult error, const char** text) {
  *text = error == kIllegalAddress ? "an illegal memory access was encountered"
          : error == kNotSupported ? "the stand-in driver cannot run this kernel"
                                   : "stand-in driver error";
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
  *stream = new Stream;
  return kSuccess;
}
STAND_IN CUresult cuStreamDestroy_v2(void* stream) {
  delete static_cast<Stream*>(stream);
  return kSuccess;
}
STAND_IN CUresult cuStreamSynchronize(void* stream) {
  auto& queue = *static_cast<Stream*>(stream);
  queue.wait_for(queue.queued());
  return state().sticky.load();
}
STAND_IN CUresult cuEventCreate(void** event, unsigned) {
  *event = new Event;
  return kSuccess;
}
STAND_IN CUresult cuEventDestroy_v2(void* event) {
  delete static_cast<Event*>(event);
  return kSuccess;
}
STAND_IN CUresult cuEventRecord(void* event, void* stream) {
  if (state().sticky.load() != kSuccess) return state().sticky.load();
  auto& queue = *static_cast<Stream*>(stream);
  *static_cast<Event*>(event) = Event{&queue, queue.queued()};
  stand_in_cuda_counters()->event_records++;
  return kSuccess;
}
STAND_IN CUresult cuEventSynchronize(void* handle) {
  const Event& event = *static_cast<Event*>(handle);
  if (event.stream != nullptr) event.stream->wait_for(event.after);
  return state().sticky.load();
}
STAND_IN CUresult cuEventQuery(void* handle) {
  const Event& event = *static_cast<Event*>(handle);
  if (event.stream != nullptr && !event.stream->reached(event.after)) return kNotReady;
  return state().sticky.load();
}
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
  *function = &state().functions.emplace_back(Function{kernel_named(name)});
  return kSuccess;
}
STAND_IN CUresult cuLaunchKernel(void* function, unsigned grid_x, unsigned grid_y, unsigned grid_z, unsigned block_x,
                                 unsigned block_y, unsigned block_z, unsigned, void* stream, void** parameters,
                                 void**) {
  if (state().sticky.load() != kSuccess) return state().sticky.load();
  Launch launch{static_cast<const Function*>(function)->kernel, {}, {}};
  if (launch.kernel == nullptr) return kNotSupported;
  const auto* global = static_cast<const unsigned long long*>(parameters[0]);
  const unsigned long long threads[3] = {std::size_t{grid_x} * block_x, std::size_t{grid_y} * block_y,
                                         std::size_t{grid_z} * block_z};
  for (int d = 0; d < 3; ++d) {
    if (threads[d] < global[d]) return kInvalidValue;  // the grid must cover the range
    launch.global[d] = global[d];
  }
  for (int i = 0; i < launch.kernel->arguments; ++i) std::memcpy(launch.arguments[i], parameters[i + 1], 8);
  stand_in_cuda_counters()->launches++;
  static_cast<Stream*>(stream)->enqueue([launch] { launch.kernel->run(launch); });
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
STAND_IN CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr device, const void* host, std::size_t bytes, void* stream) {
  return host_copy(as_pointer(device), host, bytes, host, stream);
}
STAND_IN CUresult cuMemcpyDtoHAsync_v2(void* host, CUdeviceptr device, std::size_t bytes, void* stream) {
  return host_copy(host, as_pointer(device), bytes, host, stream);
}
STAND_IN CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr to, CUdeviceptr from, std::size_t bytes, void* stream) {
  if (state().sticky.load() != kSuccess) return state().sticky.load();
  static_cast<Stream*>(stream)->enqueue([=] { std::memmove(as_pointer(to), as_pointer(from), bytes); });
  return kSuccess;
}
STAND_IN CUresult cuMemHostAlloc(void** pointer, std::size_t bytes, unsigned) {
  *pointer = std::malloc(bytes);
  if (*pointer == nullptr) return kOutOfMemory;
  std::lock_guard lock(state().mutex);
  state().page_locked.push_back({static_cast<const char*>(*pointer), bytes, false});
  stand_in_cuda_counters()->staging_allocations++;
  return kSuccess;
}
STAND_IN CUresult cuMemFreeHost(void* pointer) {
  {
    std::lock_guard lock(state().mutex);
    std::erase_if(state().page_locked, [&](const HostBlock& block) { return block.start == pointer; });
  }
  std::free(pointer);
  return kSuccess;
}
STAND_IN CUresult cuMemHostRegister_v2(void* pointer, std::size_t bytes, unsigned) {
  std::lock_guard lock(state().mutex);
  state().page_locked.push_back({static_cast<const char*>(pointer), bytes, true});
  stand_in_cuda_counters()->host_registers++;
  return kSuccess;
}
STAND_IN CUresult cuMemHostUnregister(void* pointer) {
  std::lock_guard lock(state().mutex);
  const auto found = std::find_if(state().page_locked.begin(), state().page_locked.end(),
                                  [&](const HostBlock& block) { return block.registered && block.start == pointer; });
  if (found == state().page_locked.end()) return kInvalidValue;
  state().page_locked.erase(found);
  stand_in_cuda_counters()->host_unregisters++;
  return kSuccess;
}

}  // extern "C"
