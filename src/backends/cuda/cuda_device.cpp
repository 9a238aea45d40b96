#include "cuda_device.hpp"

#include <algorithm>
#include <cstring>

#include "dotcompute/backend/cuda_source.hpp"
#include "dotcompute/backend/device_arguments.hpp"
#include "dotcompute/backend/device_lifetime.hpp"
#include "dotcompute/backend/execution_state.hpp"
#include "dotcompute/backend/recycled.hpp"
#include "dotcompute/errors.hpp"
#include "dotcompute/memory_pool.hpp"
#include "dotcompute/spin_pause.hpp"
#include "nvrtc_compiler.hpp"

namespace dotcompute::cuda {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kStagingChunk = std::size_t{8} << 20;
// The completion thread spins this long for new work before sleeping, so that
// a launch right after a completion needs no wake-up.
constexpr auto kCompletionSpin = std::chrono::microseconds(100);

// Device memory for the pool: blocks are CUdeviceptr values (never 0 when valid).
class DeviceAllocator final : public MemoryAllocator {
 public:
  explicit DeviceAllocator(std::shared_ptr<Context> context) : context_(std::move(context)) {}
  void* allocate(std::size_t bytes) noexcept override {
    CUdeviceptr pointer = 0;
    if (context_->driver->cuCtxSetCurrent(context_->context) != CUDA_SUCCESS ||
        context_->driver->cuMemAlloc(&pointer, bytes) != CUDA_SUCCESS) {
      return nullptr;
    }
    return reinterpret_cast<void*>(pointer);
  }
  void deallocate(void* block, std::size_t) noexcept override {
    context_->driver->cuCtxSetCurrent(context_->context);
    context_->driver->cuMemFree(reinterpret_cast<CUdeviceptr>(block));
  }
  [[nodiscard]] std::string_view name() const noexcept override { return "cuda"; }

 private:
  std::shared_ptr<Context> context_;
};

struct Replica final : DeviceReplica {
  Replica(std::shared_ptr<MemoryPool> memory_pool, std::size_t size)
      : pool(std::move(memory_pool)), bytes(size), pointer(reinterpret_cast<CUdeviceptr>(pool->allocate(size))) {}
  ~Replica() override { pool->deallocate(reinterpret_cast<void*>(pointer), bytes); }
  std::shared_ptr<MemoryPool> pool;
  std::size_t bytes;
  CUdeviceptr pointer;
};

// Errors after which the context cannot be used again (the driver's "sticky" errors).
bool breaks_context(CUresult code) {
  return code == 700 /* ILLEGAL_ADDRESS */ || code == 702 /* LAUNCH_TIMEOUT */ ||
         code == 714 /* HARDWARE_STACK_ERROR */ || code == 715 /* ILLEGAL_INSTRUCTION */ ||
         code == 716 /* MISALIGNED_ADDRESS */ || code == 717 /* INVALID_ADDRESS_SPACE */ ||
         code == 718 /* INVALID_PC */ || code == 719 /* LAUNCH_FAILED */ || code == 999 /* UNKNOWN */;
}

std::string architecture_name(int architecture) { return "sm_" + std::to_string(architecture); }

}  // namespace

// One launch: its argument values (which the driver reads at launch time), then its event.
class CudaCommand final : public ExecutionState {
 public:
  CudaCommand(LaunchRequest&& request, CudaDevice& device, CUfunction function)
      : ExecutionState(std::move(request.result), std::move(request.stop)),
        device_(device),
        function_(function),
        definition_(std::move(request.kernel)),
        global_(request.global),
        arguments_(std::move(request.arguments)) {
    for (int d = 0; d < 3; ++d) geometry_.global[d] = global_[d];
    parameters_.push_back(&geometry_);
    pointers_.resize(arguments_.size());
    for (std::size_t i = 0; i < arguments_.size(); ++i) {
      parameters_.push_back(arguments_[i].kind == ParameterKind::scalar ? static_cast<void*>(arguments_[i].scalar)
                                                                        : static_cast<void*>(&pointers_[i]));
    }
  }

  std::vector<LaunchArgument>& arguments() { return arguments_; }
  const KernelDefinition& definition() const { return *definition_; }
  void set_shape(const unsigned (&grid)[3], const unsigned (&block)[3]) {
    std::copy(grid, grid + 3, grid_);
    std::copy(block, block + 3, block_);
  }
  void bind(std::size_t index, CUdeviceptr pointer) { pointers_[index] = pointer; }
  /// A temporary device copy of a host span, kept until the command completes.
  void add_span(SpanCopy span) { spans_.push_back(std::move(span)); }
  [[nodiscard]] CUevent event() const noexcept { return event_.load(std::memory_order_acquire); }
  /// True for the one caller (completion thread or waiter) that gets to complete the command.
  [[nodiscard]] bool claim() noexcept { return !claimed_.exchange(true, std::memory_order_acq_rel); }

  /// Launches the kernel (and copies host spans back) on `stream`, then records
  /// `event` after it. Called with the device's queue lock held, so commands
  /// reach the stream in order. On failure the command is finished and false returned.
  bool enqueue(const Driver& driver, CUstream stream, CUevent event) {
    CUresult status = CUDA_SUCCESS;
    if (global_.total() != 0) {  // an empty range runs nothing
      status = driver.cuLaunchKernel(function_, grid_[0], grid_[1], grid_[2], block_[0], block_[1], block_[2], 0,
                                     stream, parameters_.data(), nullptr);
    }
    for (const SpanCopy& span : spans_) {
      // Pageable destination: the driver returns once the copy is done.
      if (status == CUDA_SUCCESS && span.write_back) {
        status = driver.cuMemcpyDtoHAsync(span.host, static_cast<Replica&>(*span.copy).pointer, span.bytes, stream);
      }
    }
    if (status == CUDA_SUCCESS) status = driver.cuEventRecord(event, stream);
    if (status != CUDA_SUCCESS) {
      if (claim()) complete(status);
      return false;
    }
    mark_started();  // handed to the driver: it cannot be cancelled any more
    event_.store(event, std::memory_order_release);
    return true;
  }

  /// Finishes from the status of the command's event. Only after claim() succeeded.
  void complete(CUresult status) noexcept {
    spans_.clear();  // temporary device copies go back to the pool
    if (status == CUDA_SUCCESS) {
      finish_succeeded();
      return;
    }
    try {
      std::string message =
          "kernel '" + definition_->name + "' failed on " + device_.info().id + ": " + error_text(status);
      if (breaks_context(status)) {
        message += "; the CUDA context of " + device_.info().id + " is unusable until the process restarts";
        device_.mark_broken(message);
      }
      throw ExecutionError(message);
    } catch (...) {
      finish_failed(std::current_exception());
    }
  }

 protected:
  // A waiter on a command still in the software queue moves the queue along;
  // on a dispatched one it waits on the event itself, as a raw caller of
  // cuEventSynchronize would, and completes the command if it gets there
  // before the completion thread: no hand-off, no sleeping on a futex. (If the
  // command completed meanwhile and its event went to another command, the
  // wait is merely longer and the claim fails.)
  void help_while_waiting() noexcept override {
    if (event() == nullptr) device_.pump();
    const CUevent event = this->event();
    if (event == nullptr || is_finished()) return;
    const CUresult status = device_.wait_for_event(event);
    if (claim()) complete(status);
  }

 private:
  CudaDevice& device_;
  CUfunction function_;
  std::shared_ptr<const KernelDefinition> definition_;
  Range global_;
  std::vector<LaunchArgument> arguments_;
  EntryGeometry geometry_{};
  std::vector<CUdeviceptr> pointers_;
  std::vector<void*> parameters_;  // what cuLaunchKernel reads: &geometry_, then each argument
  unsigned grid_[3] = {1, 1, 1};
  unsigned block_[3] = {1, 1, 1};
  std::vector<SpanCopy> spans_;
  std::atomic<CUevent> event_{nullptr};  // set once dispatched
  std::atomic<bool> claimed_{false};
};

CudaDevice::CudaDevice(std::shared_ptr<Context> context, std::size_t index,
                       const std::filesystem::path& cache_directory)
    : context_(std::move(context)), driver_(*context_->driver), disk_cache_(cache_directory) {
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

  info_.id = "cuda:" + std::to_string(index);
  info_.backend = "cuda";
  info_.name = name;
  info_.vendor = "NVIDIA";
  info_.type = DeviceType::gpu;
  info_.compute_units = static_cast<std::uint32_t>(attribute(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT));
  info_.simd_width_bits = 32 * 32;  // a warp: 32 lanes of 32 bits
  info_.global_memory_bytes = memory;
  info_.max_work_group_size = static_cast<std::size_t>(attribute(CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK));
  info_.driver_version =
      "CUDA driver " + std::to_string(driver_version / 1000) + "." + std::to_string(driver_version % 1000 / 10);
  info_.features = {"compute capability " + std::to_string(major) + "." + std::to_string(minor),
                    architecture_name(architecture_), "fp64"};

  check(driver_.cuStreamCreate(&stream_, CU_STREAM_NON_BLOCKING), "cuStreamCreate on " + info_.id);
  pool_ = std::make_shared<MemoryPool>(std::make_unique<DeviceAllocator>(context_), info_.id);
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
  for (auto& [source, module] : aot_modules_) driver_.cuModuleUnload(module.module);
  for (auto& [key, module] : jit_modules_) driver_.cuModuleUnload(module.module);
  for (CUevent event : free_events_) driver_.cuEventDestroy(event);
  for (StagingSlot& slot : staging_) {
    driver_.cuEventDestroy(slot.done);
    driver_.cuMemFreeHost(slot.host);
  }
  driver_.cuStreamDestroy(stream_);
}

bool CudaDevice::can_run(const KernelDefinition& kernel) const noexcept { return kernel.source != nullptr; }

std::string CudaDevice::cannot_run_reason(const KernelDefinition& kernel) const {
  return "kernel '" + kernel.name + "' has no portable source to compile for CUDA";
}

void CudaDevice::mark_broken(const std::string& reason) {
  std::lock_guard lock(broken_mutex_);
  if (broken_.empty()) broken_ = reason;
  is_broken_.store(true, std::memory_order_release);
}

CUmodule CudaDevice::load_jit_module(const KernelDefinition& kernel) {
  const KernelDefinition* kernels[] = {&kernel};
  const std::string unit = translation_unit(*kernel.source, kernels);
  const Nvrtc& nvrtc = Nvrtc::instance();  // DeviceUnavailableError when absent: say why JIT is impossible
  const ProgramCacheKey key{"cuda", info_.name + " " + architecture_name(architecture_),
                            info_.driver_version + ", " + nvrtc.version(), "", unit};
  CUmodule module = nullptr;
  if (auto image = disk_cache_.load(key)) {
    image->push_back(std::byte{0});  // PTX images are text; a trailing NUL is harmless for CUBINs
    if (driver_.cuModuleLoadData(&module, image->data()) == CUDA_SUCCESS) return module;
  }
  CompiledImage image;
  try {
    image = nvrtc.compile(unit, kernel.source->path, architecture_ / 10, architecture_ % 10);
  } catch (const CompilationError& error) {
    throw CompilationError("CUDA build of " + kernel.source->path + " failed on " + info_.id + " (" + info_.name +
                           "): " + error.what());
  }
  check(driver_.cuModuleLoadData(&module, image.bytes.data()),
        "loading the " + image.target + " image of '" + kernel.name + "' on " + info_.id);
  disk_cache_.store(key, image.bytes);
  return module;
}

CUfunction CudaDevice::function_for(const KernelDefinition& kernel) {
  std::lock_guard lock(modules_mutex_);
  const KernelSource& source = *kernel.source;
  const bool aot = std::any_of(source.cuda.architectures.begin(), source.cuda.architectures.end(), [this](int a) {
    return a / 10 == architecture_ / 10 && a <= architecture_;  // machine code runs on later minor versions
  });
  Module* module = nullptr;
  if (aot && !source.cuda.image.empty()) {
    auto found = aot_modules_.find(&source);
    if (found == aot_modules_.end()) {
      CUmodule loaded = nullptr;
      check(driver_.cuModuleLoadData(&loaded, source.cuda.image.data()),
            "loading the ahead-of-time fatbin of " + source.path + " on " + info_.id);
      found = aot_modules_.emplace(&source, Module{kernel.source, loaded, {}}).first;
    }
    module = &found->second;
  } else {
    const auto key = std::make_pair(&source, kernel.name);
    auto found = jit_modules_.find(key);
    if (found == jit_modules_.end())
      found = jit_modules_.emplace(key, Module{kernel.source, load_jit_module(kernel), {}}).first;
    module = &found->second;
  }
  // Looked up once: every launch needs it.
  auto function = module->functions.find(kernel.name);
  if (function == module->functions.end()) {
    CUfunction entry = nullptr;
    check(driver_.cuModuleGetFunction(&entry, module->module, entry_name(kernel.name).c_str()),
          "finding kernel '" + kernel.name + "' on " + info_.id);
    function = module->functions.emplace(kernel.name, entry).first;
  }
  return function->second;
}

std::unique_ptr<DeviceReplica> CudaDevice::create_replica(std::size_t bytes) {
  return std::make_unique<Replica>(pool_, bytes);
}

void CudaDevice::upload(DeviceReplica& replica, const void* host, std::size_t bytes) {
  copy(true, static_cast<Replica&>(replica).pointer, const_cast<void*>(host), bytes);
}

void CudaDevice::download(DeviceReplica& replica, void* host, std::size_t bytes) {
  copy(false, static_cast<Replica&>(replica).pointer, host, bytes);
}

void CudaDevice::copy(bool to_device, CUdeviceptr device, void* host, std::size_t bytes) {
  if (bytes == 0) return;
  context_->bind();
  const std::string what = (to_device ? "upload to " : "download from ") + info_.id;
  std::unique_lock lock(queue_mutex_);
  drain_waiting_locked();  // commands queued before the transfer reach the stream first
  if (!is_pinned_host_memory(host, bytes)) {
    staged_copy_locked(to_device, device, host, bytes);
    return;
  }
  // Pinned host memory (the host pool pins its large blocks): one DMA.
  const CUevent done = take_event();
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
  const std::string what = (to_device ? "staged upload to " : "staged download from ") + info_.id;
  if (staging_.empty()) {
    std::vector<StagingSlot> slots(2);
    for (StagingSlot& slot : slots) {
      check(driver_.cuMemHostAlloc(&slot.host, kStagingChunk, CU_MEMHOSTALLOC_PORTABLE),
            "pinned staging for " + info_.id);
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

std::shared_ptr<ExecutionState> CudaDevice::launch(LaunchRequest request) {
  if (request.kernel == nullptr || !can_run(*request.kernel)) {
    throw ArgumentError(request.kernel ? cannot_run_reason(*request.kernel) : "launch without a kernel");
  }
  if (is_broken_.load(std::memory_order_acquire)) {
    std::lock_guard lock(broken_mutex_);
    throw DeviceError(broken_);
  }
  context_->bind();
  CUfunction function = function_for(*request.kernel);  // CompilationError before anything runs
  const KernelDefinition& kernel = *request.kernel;
  // Blocks: the caller's local size, else 256 work items shaped to the range's dimensions.
  unsigned block[3] = {256, 1, 1};
  const int dimensions = std::max(request.global.dimensions(), 1);
  if (request.local.dimensions() > 0) {
    if (request.local.total() == 0 || request.local.total() > info_.max_work_group_size) {
      throw ArgumentError("kernel '" + kernel.name + "': work-group size " + request.local.to_string() +
                          " is empty or exceeds the maximum of " + std::to_string(info_.max_work_group_size) + " on " +
                          info_.id);
    }
    for (int d = 0; d < 3; ++d) block[d] = static_cast<unsigned>(request.local[d]);
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
                          std::to_string(max_block_[d]) + " on " + info_.id);
    }
    const std::size_t blocks = (request.global[d] + block[d] - 1) / block[d];
    if (blocks > max_grid_[d]) {
      throw ArgumentError("kernel '" + kernel.name + "': range " + request.global.to_string() + " needs " +
                          std::to_string(blocks) + " blocks in dimension " + std::to_string(d) + ", more than the " +
                          std::to_string(max_grid_[d]) + " " + info_.id + " allows");
    }
    grid[d] = static_cast<unsigned>(std::max<std::size_t>(blocks, 1));
  }
  auto command = std::allocate_shared<CudaCommand>(Recycled<CudaCommand>{}, std::move(request), *this, function);
  command->set_shape(grid, block);
  command->mutable_result().timings.transfer = prepare_device_arguments(
      *this, command, command->arguments(), command->definition(),
      [&](std::size_t index, DeviceReplica& replica) { command->bind(index, static_cast<Replica&>(replica).pointer); },
      [&](SpanCopy span) { command->add_span(std::move(span)); });
  {
    std::lock_guard lock(queue_mutex_);
    waiting_.push_back(command);
    dispatch_waiting_locked();
  }
  return command;
}

CUresult CudaDevice::wait_for_event(CUevent event) {
  driver_.cuCtxSetCurrent(context_->context);
  return driver_.cuEventSynchronize(event);
}

CUevent CudaDevice::take_event() {
  {
    std::lock_guard lock(completion_mutex_);
    if (!free_events_.empty()) {
      const CUevent event = free_events_.back();
      free_events_.pop_back();
      return event;
    }
  }
  CUevent event = nullptr;
  check(driver_.cuEventCreate(&event, CU_EVENT_DISABLE_TIMING), "cuEventCreate on " + info_.id);
  return event;
}

void CudaDevice::recycle_event(CUevent event) {
  std::lock_guard lock(completion_mutex_);
  free_events_.push_back(event);
}

void CudaDevice::finish_cancelled_waiting_locked() {
  std::erase_if(waiting_, [](const std::shared_ptr<CudaCommand>& command) {
    if (!command->cancel_requested() || !command->claim()) return false;
    command->finish_cancelled();
    return true;
  });
}

void CudaDevice::dispatch_waiting_locked() {
  while (!waiting_.empty()) {
    if (in_flight_count_.load(std::memory_order_acquire) >= window_.size()) break;
    std::shared_ptr<CudaCommand> next = std::move(waiting_.front());
    waiting_.pop_front();
    if (next->cancel_requested() && next->claim()) {  // cancelled commands never reach the driver
      next->finish_cancelled();
      continue;
    }
    CUevent event = nullptr;
    try {
      event = take_event();
    } catch (...) {
      if (next->claim()) next->finish_failed(std::current_exception());
      continue;
    }
    if (!next->enqueue(driver_, stream_, event)) {
      recycle_event(event);
      continue;
    }
    bool wake = false;
    {
      std::lock_guard lock(completion_mutex_);
      in_flight_.push_back(std::move(next));
      in_flight_count_.fetch_add(1, std::memory_order_release);
      wake = idle_;
    }
    if (wake) completed_.notify_all();
  }
  std::lock_guard lock(completion_mutex_);
  backlog_ = !waiting_.empty();
}

void CudaDevice::drain_waiting_locked() {
  for (;;) {
    dispatch_waiting_locked();
    if (waiting_.empty()) return;
    std::unique_lock lock(completion_mutex_);
    completed_.wait(lock, [this] { return in_flight_.size() < window_.size(); });
  }
}

void CudaDevice::pump() {
  std::lock_guard lock(queue_mutex_);
  finish_cancelled_waiting_locked();
  dispatch_waiting_locked();
}

void CudaDevice::completion_main() {
  const InternalThreadScope internal;
  try {
    context_->bind();
  } catch (const std::exception& error) {
    mark_broken(std::string("the completion thread of ") + info_.id + " cannot use its context: " + error.what());
  }
  for (;;) {
    std::shared_ptr<CudaCommand> front;
    {
      std::unique_lock lock(completion_mutex_);
      if (in_flight_.empty() && !stopping_) {
        lock.unlock();
        const auto until = Clock::now() + kCompletionSpin;
        while (in_flight_count_.load(std::memory_order_acquire) == 0 && Clock::now() < until) {
          for (int i = 0; i < 16; ++i) spin_pause();
        }
        lock.lock();
        idle_ = true;
        completed_.wait(lock, [this] { return stopping_ || !in_flight_.empty(); });
        idle_ = false;
      }
      if (in_flight_.empty()) return;  // stopping, nothing left
      front = in_flight_.front();
    }
    const CUresult status = driver_.cuEventSynchronize(front->event());
    const auto now = Clock::now();
    // The stream ran it from when it was dispatched or the one before it finished, whichever came later.
    if (status == CUDA_SUCCESS) window_.measured(now - std::max(front->started_at(), last_completed_), 1);
    last_completed_ = now;
    bool backlog = false;
    {
      std::lock_guard lock(completion_mutex_);
      in_flight_.pop_front();
      in_flight_count_.fetch_sub(1, std::memory_order_release);
      free_events_.push_back(front->event());
      backlog = backlog_;
    }
    if (front->claim()) front->complete(status);
    front.reset();
    completed_.notify_all();  // synchronize() and transfers waiting for window room
    if (backlog) pump();
  }
}

void CudaDevice::synchronize() {
  context_->bind();
  {
    std::unique_lock lock(queue_mutex_);
    drain_waiting_locked();
  }
  {
    std::unique_lock lock(completion_mutex_);
    completed_.wait(lock, [this] { return in_flight_.empty(); });
  }
  check(driver_.cuStreamSynchronize(stream_), "synchronizing " + info_.id);
}

}  // namespace dotcompute::cuda
