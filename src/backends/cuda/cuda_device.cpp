#include "cuda_device.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <cstring>

#include "dotcompute/backend/cuda_source.hpp"
#include "dotcompute/backend/recycled.hpp"
#include "dotcompute/errors.hpp"
#include "dotcompute/plugin.hpp"
#include "dotcompute/spin_pause.hpp"
#include "host_pins.hpp"
#include "nvrtc_compiler.hpp"

namespace dotcompute::cuda {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kStagingChunk = std::size_t{8} << 20;
// The completion thread spins this long for a new marker before sleeping, so
// that a launch right after a completion needs no wake-up. It spins for the
// marker, not for the launch: a launch is in flight a moment before its
// marker is recorded, and the thread would sleep in between (in 127 of about
// 1200 idle periods of two stand-in conformance tests), to be woken by the
// launching thread at once.
constexpr auto kCompletionSpin = std::chrono::microseconds(100);

// Errors after which the context cannot be used again (the driver's "sticky" errors).
bool breaks_context(CUresult code) {
  return code == 700 /* ILLEGAL_ADDRESS */ || code == 702 /* LAUNCH_TIMEOUT */ ||
         code == 714 /* HARDWARE_STACK_ERROR */ || code == 715 /* ILLEGAL_INSTRUCTION */ ||
         code == 716 /* MISALIGNED_ADDRESS */ || code == 717 /* INVALID_ADDRESS_SPACE */ ||
         code == 718 /* INVALID_PC */ || code == 719 /* LAUNCH_FAILED */ || code == 999 /* UNKNOWN */;
}

std::string architecture_name(int architecture) { return "sm_" + std::to_string(architecture); }

// Whether `targets` ("sm_80 sm_90") holds machine code that runs on `architecture`:
// the same major version, and a minor version no later than the device's.
bool runs_on(std::string_view targets, int architecture) {
  while (!targets.empty()) {
    const std::size_t end = std::min(targets.find(' '), targets.size());
    const std::string_view target = targets.substr(0, end);
    int built = 0;
    if (target.starts_with("sm_") &&
        std::from_chars(target.data() + 3, target.data() + target.size(), built).ec == std::errc{} &&
        built / 10 == architecture / 10 && built <= architecture) {
      return true;
    }
    targets.remove_prefix(std::min(end + 1, targets.size()));
  }
  return false;
}

// The CUDA fatbin among a kernel's ahead-of-time binaries, or null.
const dc_kernel_binary_t* cuda_fatbin(const dc_kernel_t& kernel) {
  for (const dc_kernel_binary_t& binary : plugin::kernel_binaries(kernel)) {
    if (binary.format != nullptr && std::string_view(binary.format) == "cuda-fatbin" && binary.data != nullptr &&
        binary.bytes != 0) {
      return &binary;
    }
  }
  return nullptr;
}

// The kernel as dotcompute's CUDA source generator takes it.
KernelDefinition definition_of(const dc_kernel_t& kernel) {
  KernelDefinition definition;
  definition.name = kernel.name;
  for (std::uint32_t i = 0; i < kernel.parameter_count; ++i) {
    const dc_kernel_parameter_t& parameter = kernel.parameters[i];
    definition.parameters.push_back(
        {parameter.name,
         parameter.kind == DC_PARAMETER_BUFFER ? ParameterKind::buffer : ParameterKind::scalar,
         static_cast<ScalarType>(parameter.type),
         static_cast<Access>(parameter.access),
         {}});
  }
  auto source = std::make_shared<KernelSource>();
  source->text = kernel.source;
  source->path = kernel.source_path != nullptr ? kernel.source_path : kernel.name;
  definition.source = std::move(source);
  return definition;
}

}  // namespace

// One launch, copied from its dc_launch_t: the argument values (which the
// driver reads at launch time) and how to complete it.
class CudaCommand {
 public:
  CudaCommand(const dc_launch_t& launch, const PreparedKernel& kernel)
      : kernel_(kernel),
        context_(launch.completion_context),
        complete_(launch.complete),
        complete_at_(launch.struct_size >= offsetof(dc_launch_t, complete_at) + sizeof launch.complete_at
                         ? launch.complete_at
                         : nullptr),
        cancel_requested_(launch.cancel_requested),
        write_backs_(launch.write_backs, launch.write_backs + launch.write_back_count) {
    if (launch.argument_count != kernel.parameter_count || launch.argument_count > arguments_.size()) {
      throw plugin::Error(DC_STATUS_INVALID_ARGUMENT,
                          "kernel '" + kernel.name + "' takes " + std::to_string(kernel.parameter_count) +
                              " arguments, the launch has " + std::to_string(launch.argument_count));
    }
    for (int d = 0; d < 3; ++d) geometry_.global[d] = launch.geometry.global[d];
    parameters_[0] = &geometry_;
    for (std::uint32_t i = 0; i < launch.argument_count; ++i) {
      const dc_launch_argument_t& argument = launch.arguments[i];
      if (argument.kind == DC_PARAMETER_SCALAR) {
        std::memcpy(arguments_[i].data(), argument.scalar, sizeof argument.scalar);
      } else {
        const auto pointer = reinterpret_cast<CUdeviceptr>(argument.memory);
        std::memcpy(arguments_[i].data(), &pointer, sizeof pointer);
      }
      parameters_[i + 1] = arguments_[i].data();
    }
  }
  CudaCommand(const CudaCommand&) = delete;
  CudaCommand& operator=(const CudaCommand&) = delete;

  void set_shape(const unsigned (&grid)[3], const unsigned (&block)[3]) {
    std::copy(grid, grid + 3, grid_);
    std::copy(block, block + 3, block_);
  }
  /// Its place among the commands launched on its device (set as it is queued).
  void set_queued_as(std::uint64_t place) noexcept { queued_as_ = place; }
  [[nodiscard]] std::uint64_t queued_as() const noexcept { return queued_as_; }
  [[nodiscard]] bool cancel_requested() const { return cancel_requested_(context_) != 0; }

  /// Launches the kernel (and copies writable host spans back) on the
  /// device's stream. Called with the device's queue lock held, so commands
  /// reach the stream in order. On failure the command is completed and false returned.
  bool enqueue(CudaDevice& device) {
    const Driver& driver = device.driver_;
    const CUstream stream = device.stream_;
    CUresult status = CUDA_SUCCESS;
    if (geometry_.global[0] * geometry_.global[1] * geometry_.global[2] != 0) {  // an empty range runs nothing
      status = driver.cuLaunchKernel(kernel_.function, grid_[0], grid_[1], grid_[2], block_[0], block_[1], block_[2], 0,
                                     stream, parameters_.data(), nullptr);
    }
    for (const dc_write_back_t& copy : write_backs_) {
      // Pageable destination: the driver returns once the copy is done.
      if (status == CUDA_SUCCESS) {
        status = driver.cuMemcpyDtoHAsync(copy.host, reinterpret_cast<CUdeviceptr>(copy.memory), copy.bytes, stream);
      }
    }
    if (status == CUDA_SUCCESS) return true;
    complete(status, 1, device, Clock::now());
    return false;
  }

  /// Reports the outcome to the runtime: finished at `finished`. `status` is
  /// that of `batch` launches together (its marker's); a failure that broke
  /// the context marks `device` broken first (so that nothing launched from
  /// the report runs).
  void complete(CUresult status, std::size_t batch, CudaDevice& device, Clock::time_point finished) noexcept {
    if (status == CUDA_SUCCESS) {
      report(DC_STATUS_OK, nullptr, finished);
      return;
    }
    std::string message;
    try {
      message = "kernel '" + kernel_.name + "' failed on " + device.id_ +
                (batch > 1 ? ", or one of the " + std::to_string(batch - 1) + " launched with it did" : "") + ": " +
                error_text(status);
      if (breaks_context(status)) {
        message += "; the CUDA context of " + device.id_ + " is unusable until the process restarts";
        device.mark_broken(message);
      }
    } catch (...) {  // no memory for the message: the status still tells
    }
    report(DC_STATUS_EXECUTION_ERROR, message.c_str(), finished);
  }
  void complete_cancelled() noexcept { complete_(context_, DC_STATUS_CANCELLED, nullptr); }

 private:
  void report(dc_status_t status, const char* message, Clock::time_point finished) noexcept {
    if (complete_at_ == nullptr) {
      complete_(context_, status, message);
      return;
    }
    complete_at_(context_, status, message,
                 std::chrono::duration_cast<std::chrono::nanoseconds>(finished.time_since_epoch()).count());
  }

  const PreparedKernel& kernel_;  // released only once nothing launched with it is queued
  void* context_;
  void (*complete_)(void*, dc_status_t, const char*);
  void (*complete_at_)(void*, dc_status_t, const char*, std::int64_t);  // null from a runtime without it
  std::int32_t (*cancel_requested_)(void*);
  std::vector<dc_write_back_t> write_backs_;
  EntryGeometry geometry_{};
  std::array<std::array<unsigned char, 8>, kMaxKernelParameters> arguments_{};  // scalars and device pointers
  std::uint64_t queued_as_ = 0;
  std::array<void*, kMaxKernelParameters + 1>
      parameters_{};  // what cuLaunchKernel reads: &geometry_, then each argument
  unsigned grid_[3] = {1, 1, 1};
  unsigned block_[3] = {1, 1, 1};
};

void CudaCommandDeleter::operator()(CudaCommand* command) const noexcept {
  command->~CudaCommand();
  Recycled<CudaCommand>{}.deallocate(command, 1);
}

namespace {

CudaCommandPtr make_command(const dc_launch_t& launch, const PreparedKernel& kernel) {
  Recycled<CudaCommand> allocator;
  CudaCommand* memory = allocator.allocate(1);
  try {
    return CudaCommandPtr(::new (static_cast<void*>(memory)) CudaCommand(launch, kernel));
  } catch (...) {
    allocator.deallocate(memory, 1);
    throw;
  }
}

}  // namespace

CudaDevice::CudaDevice(std::shared_ptr<Context> context, std::uint32_t index,
                       const std::filesystem::path& cache_directory)
    : context_(std::move(context)),
      driver_(*context_->driver),
      id_("cuda:" + std::to_string(index)),
      disk_cache_(cache_directory) {
  context_->bind();
  const CUdevice device = context_->device;
  const auto attribute = [&](CUdevice_attribute which) {
    int value = 0;
    check(driver_.cuDeviceGetAttribute(&value, which, device), "cuDeviceGetAttribute");
    return value;
  };
  char name[256] = {};
  check(driver_.cuDeviceGetName(name, sizeof name, device), "cuDeviceGetName");
  const int major = attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
  const int minor = attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
  architecture_ = major * 10 + minor;
  for (int d = 0; d < 3; ++d) {
    max_block_[d] =
        static_cast<unsigned>(attribute(static_cast<CUdevice_attribute>(CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X + d)));
    max_grid_[d] =
        static_cast<unsigned>(attribute(static_cast<CUdevice_attribute>(CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X + d)));
  }
  std::size_t memory = 0;
  check(driver_.cuDeviceTotalMem(&memory, device), "cuDeviceTotalMem");
  int driver_version = 0;
  driver_.cuDriverGetVersion(&driver_version);

  name_ = name;
  driver_version_ =
      "CUDA driver " + std::to_string(driver_version / 1000) + "." + std::to_string(driver_version % 1000 / 10);
  // The architecture first: tools read the compute capability from it.
  features_ = architecture_name(architecture_) + " fp64";
  info_.struct_size = sizeof info_;
  info_.name = name_.c_str();
  info_.vendor = "NVIDIA";
  info_.driver_version = driver_version_.c_str();
  info_.type = DC_DEVICE_GPU;
  info_.compute_units = static_cast<std::uint32_t>(attribute(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT));
  info_.global_memory_bytes = memory;
  info_.max_work_group_size = static_cast<std::uint64_t>(attribute(CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK));
  info_.shares_host_memory = 0;
  info_.simd_width_bits = 32 * 32;  // a warp: 32 lanes of 32 bits
  info_.features = features_.c_str();

  check(driver_.cuStreamCreate(&stream_, CU_STREAM_NON_BLOCKING), "cuStreamCreate on " + id_);
  completion_ = std::thread([this] { completion_main(); });
}

CudaDevice::~CudaDevice() {
  try {
    synchronize();
  } catch (const std::exception&) {
    // A broken context cannot synchronise; there is nothing left to wait for.
  }
  {
    std::lock_guard lock(completion_mutex_);
    stopping_ = true;
  }
  completed_.notify_all();
  completion_.join();
  driver_.cuCtxSetCurrent(context_->context);
  for (auto& [key, module] : modules_) driver_.cuModuleUnload(module.module);
  for (CUevent event : free_events_) driver_.cuEventDestroy(event);
  for (StagingSlot& slot : staging_) {
    driver_.cuEventDestroy(slot.done);
    driver_.cuMemFreeHost(slot.host);
  }
  driver_.cuStreamDestroy(stream_);
}

void CudaDevice::mark_broken(const std::string& reason) {
  std::lock_guard lock(broken_mutex_);
  if (broken_.empty()) broken_ = reason;
  is_broken_.store(true, std::memory_order_release);
}

CUmodule CudaDevice::load_jit_module(const dc_kernel_t& kernel) {
  const KernelDefinition definition = definition_of(kernel);
  const KernelDefinition* kernels[] = {&definition};
  const std::string unit = translation_unit(*definition.source, kernels);
  const Nvrtc& nvrtc = Nvrtc::instance();  // DeviceUnavailableError when absent: say why JIT is impossible
  const ProgramCacheKey key{"cuda", name_ + " " + architecture_name(architecture_),
                            driver_version_ + ", " + nvrtc.version(), "", unit};
  CUmodule module = nullptr;
  if (auto image = disk_cache_.load(key)) {
    image->push_back(std::byte{0});  // PTX images are text; a trailing NUL is harmless for CUBINs
    if (driver_.cuModuleLoadData(&module, image->data()) == CUDA_SUCCESS) return module;
  }
  CompiledImage image;
  try {
    image = nvrtc.compile(unit, definition.source->path, architecture_ / 10, architecture_ % 10);
  } catch (const CompilationError& error) {
    throw CompilationError("CUDA build of " + definition.source->path + " failed on " + id_ + " (" + name_ +
                           "): " + error.what());
  }
  check(driver_.cuModuleLoadData(&module, image.bytes.data()),
        "loading the " + image.target + " image of '" + definition.name + "' on " + id_);
  disk_cache_.store(key, image.bytes);
  return module;
}

PreparedKernel* CudaDevice::prepare(const dc_kernel_t& kernel) {
  if (kernel.source == nullptr) {
    throw plugin::Error(DC_STATUS_UNSUPPORTED,
                        "kernel '" + std::string(kernel.name) + "' has no portable source to compile for CUDA");
  }
  if (kernel.parameter_count > kMaxKernelParameters) {
    throw plugin::Error(DC_STATUS_UNSUPPORTED, "kernel '" + std::string(kernel.name) + "' has more than " +
                                                   std::to_string(kMaxKernelParameters) + " parameters");
  }
  auto prepared = std::make_unique<PreparedKernel>();
  prepared->name = kernel.name;
  prepared->parameter_count = kernel.parameter_count;
  context_->bind();
  const dc_kernel_binary_t* fatbin = cuda_fatbin(kernel);
  const bool ahead_of_time = fatbin != nullptr && fatbin->targets != nullptr && runs_on(fatbin->targets, architecture_);
  std::lock_guard lock(modules_mutex_);
  if (ahead_of_time) {
    // The fatbin is the whole source file's: one module for all its kernels.
    prepared->module_key = "aot:" + std::to_string(reinterpret_cast<std::uintptr_t>(fatbin->data));
  } else {
    prepared->module_key = "jit:" + prepared->name + "\n" + kernel.source;
  }
  auto found = modules_.find(prepared->module_key);
  if (found == modules_.end()) {
    CUmodule loaded = nullptr;
    if (ahead_of_time) {
      check(driver_.cuModuleLoadData(&loaded, fatbin->data),
            "loading the ahead-of-time fatbin of " + std::string(kernel.source_path ? kernel.source_path : "") +
                " on " + id_);
    } else {
      loaded = load_jit_module(kernel);
    }
    found = modules_.emplace(prepared->module_key, Module{loaded, 0}).first;
  }
  Module& module = found->second;
  const CUresult status =
      driver_.cuModuleGetFunction(&prepared->function, module.module, entry_name(prepared->name).c_str());
  if (status != CUDA_SUCCESS) {
    if (module.users == 0) {
      driver_.cuModuleUnload(module.module);
      modules_.erase(found);
    }
    check(status, "finding kernel '" + prepared->name + "' on " + id_);
  }
  ++module.users;
  return prepared.release();
}

void CudaDevice::release(PreparedKernel* kernel) noexcept {
  std::unique_ptr<PreparedKernel> owned(kernel);
  std::lock_guard lock(modules_mutex_);
  const auto found = modules_.find(kernel->module_key);
  if (found == modules_.end() || --found->second.users != 0) return;
  driver_.cuCtxSetCurrent(context_->context);
  driver_.cuModuleUnload(found->second.module);
  modules_.erase(found);
}

void* CudaDevice::allocate(std::uint64_t bytes) {
  context_->bind();
  CUdeviceptr pointer = 0;
  check(driver_.cuMemAlloc(&pointer, bytes), "allocating " + std::to_string(bytes) + " bytes on " + id_);
  return reinterpret_cast<void*>(pointer);
}

void CudaDevice::release_memory(void* memory) noexcept {
  driver_.cuCtxSetCurrent(context_->context);
  driver_.cuMemFree(reinterpret_cast<CUdeviceptr>(memory));
}

void CudaDevice::upload(void* memory, const void* host, std::uint64_t bytes) {
  copy(true, reinterpret_cast<CUdeviceptr>(memory), const_cast<void*>(host), bytes);
}

void CudaDevice::download(void* memory, void* host, std::uint64_t bytes) {
  copy(false, reinterpret_cast<CUdeviceptr>(memory), host, bytes);
}

void CudaDevice::copy(bool to_device, CUdeviceptr device, void* host, std::size_t bytes) {
  if (bytes == 0) return;
  context_->bind();
  const std::string what = (to_device ? "upload to " : "download from ") + id_;
  std::unique_lock lock(queue_mutex_);
  drain_waiting(lock);  // commands queued before the transfer reach the stream first
  if (!HostPins::instance().contains(host, bytes)) {
    staged_copy_locked(to_device, device, host, bytes);
    return;
  }
  // Pinned host memory (the runtime's host pool pins its large blocks): one DMA.
  CUevent done = nullptr;
  check(take_event(done), "cuEventCreate on " + id_);
  CUresult status = to_device ? driver_.cuMemcpyHtoDAsync(device, host, bytes, stream_)
                              : driver_.cuMemcpyDtoHAsync(host, device, bytes, stream_);
  if (status == CUDA_SUCCESS) status = driver_.cuEventRecord(done, stream_);
  lock.unlock();  // launches may go on while the copy runs
  if (status == CUDA_SUCCESS) status = driver_.cuEventSynchronize(done);
  recycle_event(done);
  check(status, what);
}

// Pageable memory moves through two pinned chunks: the host copies one while
// the DMA engine moves the other.
void CudaDevice::staged_copy_locked(bool to_device, CUdeviceptr device, void* host, std::size_t bytes) {
  const std::string what = (to_device ? "staged upload to " : "staged download from ") + id_;
  if (staging_.empty()) {
    std::vector<StagingSlot> slots(2);
    for (StagingSlot& slot : slots) {
      check(driver_.cuMemHostAlloc(&slot.host, kStagingChunk, CU_MEMHOSTALLOC_PORTABLE), "pinned staging for " + id_);
      check(driver_.cuEventCreate(&slot.done, CU_EVENT_DISABLE_TIMING), "cuEventCreate");
    }
    staging_ = std::move(slots);
  }
  auto* bytes_host = static_cast<unsigned char*>(host);
  const std::size_t chunks = (bytes + kStagingChunk - 1) / kStagingChunk;
  const auto chunk_size = [&](std::size_t i) { return std::min(kStagingChunk, bytes - i * kStagingChunk); };
  const auto wait = [&](StagingSlot& slot) {
    if (slot.used) check(driver_.cuEventSynchronize(slot.done), what);
    slot.used = false;
  };
  if (to_device) {
    for (std::size_t i = 0; i < chunks; ++i) {
      StagingSlot& slot = staging_[i % 2];
      wait(slot);
      std::memcpy(slot.host, bytes_host + i * kStagingChunk, chunk_size(i));
      check(driver_.cuMemcpyHtoDAsync(device + i * kStagingChunk, slot.host, chunk_size(i), stream_), what);
      check(driver_.cuEventRecord(slot.done, stream_), what);
      slot.used = true;
    }
    for (StagingSlot& slot : staging_) wait(slot);
    return;
  }
  const auto fetch = [&](std::size_t i) {
    StagingSlot& slot = staging_[i % 2];
    check(driver_.cuMemcpyDtoHAsync(slot.host, device + i * kStagingChunk, chunk_size(i), stream_), what);
    check(driver_.cuEventRecord(slot.done, stream_), what);
    slot.used = true;
  };
  fetch(0);
  for (std::size_t i = 0; i < chunks; ++i) {
    if (i + 1 < chunks) fetch(i + 1);
    StagingSlot& slot = staging_[i % 2];
    wait(slot);
    std::memcpy(bytes_host + i * kStagingChunk, slot.host, chunk_size(i));
  }
}

void CudaDevice::launch(const dc_launch_t& launch) {
  if (is_broken_.load(std::memory_order_acquire)) {
    std::lock_guard lock(broken_mutex_);
    throw DeviceError(broken_);
  }
  const auto& kernel = *static_cast<const PreparedKernel*>(launch.program);
  const dc_work_geometry_t& geometry = launch.geometry;
  // Blocks: the caller's local size, else 256 work items shaped to the range's dimensions.
  bool local_given = true;
  int dimensions = 1;
  for (int d = 0; d < 3; ++d) {
    if (geometry.local[d] == 0) local_given = false;
    if (geometry.global[d] > 1) dimensions = d + 1;
  }
  unsigned block[3] = {256, 1, 1};
  if (local_given) {
    for (int d = 0; d < 3; ++d) block[d] = static_cast<unsigned>(std::min<std::uint64_t>(geometry.local[d], ~0u));
  } else if (dimensions == 2) {
    block[0] = 32;
    block[1] = 8;
  } else if (dimensions == 3) {
    block[0] = 32;
    block[1] = 4;
    block[2] = 2;
  }
  unsigned grid[3] = {1, 1, 1};
  for (int d = 0; d < 3; ++d) {
    if (block[d] > max_block_[d]) {
      throw ArgumentError("kernel '" + kernel.name + "': work-group extent " + std::to_string(block[d]) +
                          " in dimension " + std::to_string(d) + " exceeds the maximum of " +
                          std::to_string(max_block_[d]) + " on " + id_);
    }
    const std::uint64_t blocks = (geometry.global[d] + block[d] - 1) / block[d];
    if (blocks > max_grid_[d]) {
      throw ArgumentError("kernel '" + kernel.name + "': the range needs " + std::to_string(blocks) +
                          " blocks in dimension " + std::to_string(d) + ", more than the " +
                          std::to_string(max_grid_[d]) + " " + id_ + " allows");
    }
    grid[d] = static_cast<unsigned>(std::max<std::uint64_t>(blocks, 1));
  }
  CudaCommandPtr command = make_command(launch, kernel);
  command->set_shape(grid, block);
  context_->bind();
  std::lock_guard lock(queue_mutex_);
  command->set_queued_as(++queued_);
  waiting_.push_back(std::move(command));
  dispatch_waiting_locked();
}

CUresult CudaDevice::take_event(CUevent& event) {
  {
    std::lock_guard lock(completion_mutex_);
    if (!free_events_.empty()) {
      event = free_events_.back();
      free_events_.pop_back();
      return CUDA_SUCCESS;
    }
  }
  return driver_.cuEventCreate(&event, CU_EVENT_DISABLE_TIMING);
}

void CudaDevice::recycle_event(CUevent event) {
  std::lock_guard lock(completion_mutex_);
  free_events_.push_back(event);
}

void CudaDevice::finish_cancelled_waiting_locked() {
  std::erase_if(waiting_, [](const CudaCommandPtr& command) {
    if (!command->cancel_requested()) return false;
    command->complete_cancelled();
    return true;
  });
}

void CudaDevice::dispatch_waiting_locked() {
  while (!waiting_.empty()) {
    if (in_flight_count_.load(std::memory_order_acquire) >= window_.size()) break;
    CudaCommandPtr next = std::move(waiting_.front());
    waiting_.pop_front();
    if (next->cancel_requested()) {  // cancelled commands never reach the driver
      next->complete_cancelled();
      continue;
    }
    dispatch_locked(std::move(next));
  }
  std::lock_guard lock(completion_mutex_);
  backlog_ = !waiting_.empty();
}

void CudaDevice::dispatch_locked(CudaCommandPtr command) {
  if (!command->enqueue(*this)) return;
  Marker marker;
  {
    std::lock_guard lock(completion_mutex_);
    if (uncovered_ == 0) first_uncovered_dispatched_ = Clock::now();
    in_flight_.push_back(std::move(command));
    in_flight_count_.fetch_add(1, std::memory_order_release);
    ++uncovered_;
    if (uncovered_ >= marker_interval() || markers_pending_ == 0) marker = claim_marker_locked();
  }
  if (marker.count != 0) record_marker_locked(marker);
}

// A marker follows every window / 4 launches (at most kMaxMarkerInterval),
// so that completions free window room while the stream still has work, and
// one follows a launch whenever none is pending: a lone launch, or the first
// of a burst. Launches left uncovered when the last pending marker is reached
// get one then (pump).
std::size_t CudaDevice::marker_interval() const {
  return std::clamp<std::size_t>(window_.size() / 4, 1, kMaxMarkerInterval);
}

CudaDevice::Marker CudaDevice::claim_marker_locked() {
  if (uncovered_ == 0) return {};
  const Marker marker{nullptr, uncovered_, first_uncovered_dispatched_};
  uncovered_ = 0;
  ++markers_pending_;
  return marker;
}

void CudaDevice::record_marker_locked(Marker marker) {
  CUresult status = take_event(marker.event);
  if (status == CUDA_SUCCESS) status = driver_.cuEventRecord(marker.event, stream_);
  if (status == CUDA_SUCCESS) {
    bool wake = false;
    {
      std::lock_guard lock(completion_mutex_);
      markers_.push_back(marker);
      markers_recorded_.store(markers_.size(), std::memory_order_release);
      wake = idle_;
    }
    if (wake) completed_.notify_all();
    return;
  }
  // The launches it covers are the last in flight: nothing reached the stream
  // since they did (the queue lock is held), and no other marker covers them.
  std::vector<CudaCommandPtr> lost;
  {
    std::lock_guard lock(completion_mutex_);
    if (marker.event != nullptr) free_events_.push_back(marker.event);
    for (std::size_t i = 0; i < marker.count; ++i) {
      lost.push_back(std::move(in_flight_.back()));
      in_flight_.pop_back();
    }
    in_flight_count_.fetch_sub(marker.count, std::memory_order_release);
    --markers_pending_;
  }
  const auto now = Clock::now();
  for (auto it = lost.rbegin(); it != lost.rend(); ++it) (*it)->complete(status, marker.count, *this, now);
  completed_.notify_all();  // synchronize() and transfers waiting for window room
}

void CudaDevice::drain_waiting(std::unique_lock<std::mutex>& queue_lock) {
  if (waiting_.empty()) return;
  const std::uint64_t last = waiting_.back()->queued_as();
  for (;;) {
    dispatch_waiting_locked();
    if (waiting_.empty() || waiting_.front()->queued_as() > last) return;
    // Not holding the queue while waiting for room: the completions that make
    // it may run continuations that launch on this device.
    queue_lock.unlock();
    {
      std::unique_lock lock(completion_mutex_);
      completed_.wait(lock, [this] { return in_flight_.size() < window_.size(); });
    }
    queue_lock.lock();
  }
}

void CudaDevice::pump() {
  std::lock_guard lock(queue_mutex_);
  finish_cancelled_waiting_locked();
  dispatch_waiting_locked();
  Marker marker;
  {
    std::lock_guard completion_lock(completion_mutex_);
    if (markers_pending_ == 0) marker = claim_marker_locked();
  }
  if (marker.count != 0) record_marker_locked(marker);
}

void CudaDevice::completion_main() {
  try {
    context_->bind();
  } catch (const std::exception& error) {
    mark_broken(std::string("the completion thread of ") + id_ + " cannot use its context: " + error.what());
  }
  for (;;) {
    Marker marker;
    {
      std::unique_lock lock(completion_mutex_);
      if (markers_.empty() && !stopping_) {
        lock.unlock();
        const auto until = Clock::now() + kCompletionSpin;
        while (markers_recorded_.load(std::memory_order_acquire) == 0 && Clock::now() < until) {
          for (int i = 0; i < 16; ++i) spin_pause();
        }
        lock.lock();
        idle_ = true;
        completed_.wait(lock, [this] { return stopping_ || !markers_.empty(); });
        idle_ = false;
      }
      if (markers_.empty()) return;  // stopping, nothing left (the destructor synchronized)
      marker = markers_.front();     // only this thread removes it
    }
    const CUresult status = driver_.cuEventSynchronize(marker.event);
    const auto now = Clock::now();
    // The stream ran them from when the first was dispatched or the marker
    // before was reached, whichever came later.
    if (status == CUDA_SUCCESS) {
      window_.measured(now - std::max(marker.first_dispatched, last_completed_), marker.count);
    }
    last_completed_ = now;
    bool more = false;
    {
      std::lock_guard lock(completion_mutex_);
      markers_.pop_front();
      markers_recorded_.store(markers_.size(), std::memory_order_release);
      free_events_.push_back(marker.event);
      for (std::size_t i = 0; i < marker.count; ++i) {
        reached_.push_back(std::move(in_flight_.front()));
        in_flight_.pop_front();
      }
      in_flight_count_.fetch_sub(marker.count, std::memory_order_release);
      --markers_pending_;
      // Launches waiting for room, or left uncovered behind the last marker.
      more = backlog_ || (markers_pending_ == 0 && uncovered_ != 0);
    }
    for (const auto& command : reached_) command->complete(status, marker.count, *this, now);
    reached_.clear();
    completed_.notify_all();  // synchronize() and transfers waiting for window room
    if (more) pump();
  }
}

void CudaDevice::synchronize() {
  context_->bind();
  {
    std::unique_lock lock(queue_mutex_);
    drain_waiting(lock);
  }
  {
    std::unique_lock lock(completion_mutex_);
    completed_.wait(lock, [this] { return in_flight_.empty(); });
  }
  check(driver_.cuStreamSynchronize(stream_), "synchronizing " + id_);
}

}  // namespace dotcompute::cuda
