#include "opencl_device.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "dotcompute/backend/device_arguments.hpp"
#include "dotcompute/backend/device_lifetime.hpp"
#include "dotcompute/backend/execution_state.hpp"
#include "dotcompute/backend/recycled.hpp"
#include "dotcompute/errors.hpp"
#include "opencl_prelude.hpp"

namespace dotcompute::opencl {

namespace {

// Device memory pool: blocks are cl_mem handles (opaque pointers), cached by
// size class like host blocks.
class BufferAllocator final : public MemoryAllocator {
 public:
  explicit BufferAllocator(std::shared_ptr<Context> context) : context_(std::move(context)) {}
  void* allocate(std::size_t bytes) noexcept override {
    cl_int error = CL_SUCCESS;
    cl_mem memory = clCreateBuffer(context_->context, CL_MEM_READ_WRITE, bytes, nullptr, &error);
    return error == CL_SUCCESS ? static_cast<void*>(memory) : nullptr;
  }
  void deallocate(void* block, std::size_t) noexcept override { clReleaseMemObject(static_cast<cl_mem>(block)); }
  [[nodiscard]] std::string_view name() const noexcept override { return "opencl"; }

 private:
  std::shared_ptr<Context> context_;
};

struct Replica final : DeviceReplica {
  Replica(std::shared_ptr<MemoryPool> memory_pool, std::size_t size)
      : pool(std::move(memory_pool)), bytes(size), memory(static_cast<cl_mem>(pool->allocate(size))) {}
  ~Replica() override { pool->deallocate(memory, bytes); }
  std::shared_ptr<MemoryPool> pool;
  std::size_t bytes;
  cl_mem memory;
};

}  // namespace

// One launch: bound arguments, then (once dispatched) its kernel event.
class OpenClCommand final : public ExecutionState {
 public:
  OpenClCommand(LaunchRequest&& request, OpenClDevice& device, cl_kernel kernel)
      : ExecutionState(std::move(request.result), std::move(request.stop)),
        device_(device),
        kernel_(kernel),
        definition_(std::move(request.kernel)),
        global_(request.global),
        local_(request.local),
        arguments_(std::move(request.arguments)) {}

  std::vector<LaunchArgument>& arguments() { return arguments_; }
  const KernelDefinition& definition() const { return *definition_; }

  /// A temporary device copy of a host span, kept until the command completes.
  void add_span(SpanCopy span) { spans_.push_back(std::move(span)); }
  void bind(std::size_t index, cl_mem memory) { memories_.emplace_back(index, memory); }

  /// Sets the arguments and enqueues the kernel (and span write-backs).
  /// Called with the device's queue lock held, so commands reach the driver in
  /// order, and no two set the arguments of a (shared) kernel object at once.
  /// Returns the driver's status; on failure the command is finished.
  /// No event is requested: completion comes from the device's markers.
  cl_int enqueue(cl_command_queue queue);
  /// Finishes from the driver's status (negative: failed).
  void complete(cl_int status) noexcept;

 protected:
  // A waiter on a command still in the software queue moves the queue along.
  void help_while_waiting() noexcept override { device_.pump(); }

 private:
  OpenClDevice& device_;
  cl_kernel kernel_;
  std::shared_ptr<const KernelDefinition> definition_;
  Range global_;
  Range local_;
  std::vector<LaunchArgument> arguments_;
  std::vector<std::pair<std::size_t, cl_mem>> memories_;
  std::vector<SpanCopy> spans_;
};

cl_int OpenClCommand::enqueue(cl_command_queue queue) {
  cl_int error = CL_SUCCESS;
  if (global_.total() != 0) {  // an empty range runs nothing; the next marker completes it in order
    for (std::size_t i = 0; i < arguments_.size() && error == CL_SUCCESS; ++i) {
      const LaunchArgument& argument = arguments_[i];
      if (argument.kind == ParameterKind::scalar) {
        error =
            clSetKernelArg(kernel_, static_cast<cl_uint>(i), size_of(definition_->parameters[i].type), argument.scalar);
      }
    }
    for (const auto& [index, memory] : memories_) {
      if (error == CL_SUCCESS) error = clSetKernelArg(kernel_, static_cast<cl_uint>(index), sizeof(cl_mem), &memory);
    }
    std::size_t global[3];
    std::size_t local[3];
    for (int d = 0; d < 3; ++d) {
      global[d] = global_[d];
      local[d] = local_[d];
    }
    if (error == CL_SUCCESS) {
      error = clEnqueueNDRangeKernel(queue, kernel_, static_cast<cl_uint>(global_.dimensions()), nullptr, global, local,
                                     0, nullptr, nullptr);
    }
  }
  for (const SpanCopy& span : spans_) {
    if (error == CL_SUCCESS && span.write_back) {
      error = clEnqueueReadBuffer(queue, static_cast<Replica&>(*span.copy).memory, CL_FALSE, 0, span.bytes, span.host,
                                  0, nullptr, nullptr);
    }
  }
  if (error != CL_SUCCESS) {
    complete(error);
    return error;
  }
  mark_started();  // handed to the driver: it cannot be cancelled any more
  return CL_SUCCESS;
}

void OpenClCommand::complete(cl_int status) noexcept {
  spans_.clear();  // temporary device copies go back to the pool
  if (status < 0) {
    try {
      throw ExecutionError("kernel '" + definition_->name + "' failed on " + device_.info().id + ": " +
                           error_name(status));
    } catch (...) {
      finish_failed(std::current_exception());
    }
  } else {
    finish_succeeded();
  }
}

Context::Context(cl_device_id id) : device(id) {
  cl_int error = CL_SUCCESS;
  context = clCreateContext(nullptr, 1, &device, nullptr, nullptr, &error);
  check(error, "clCreateContext");
  queue = clCreateCommandQueue(context, device, 0, &error);
  if (error != CL_SUCCESS) clReleaseContext(context);
  check(error, "clCreateCommandQueue");
}

Context::~Context() {
  clFinish(queue);
  clReleaseCommandQueue(queue);
  clReleaseContext(context);
}

OpenClDevice::OpenClDevice(cl_platform_id platform, cl_device_id device, std::size_t index,
                           const std::filesystem::path& cache_directory)
    : context_(std::make_shared<Context>(device)), disk_cache_(cache_directory) {
  info_.id = "opencl:" + std::to_string(index);
  info_.backend = "opencl";
  info_.name = device_string(device, CL_DEVICE_NAME);
  info_.vendor = device_string(device, CL_DEVICE_VENDOR);
  cl_device_type type = 0;
  clGetDeviceInfo(device, CL_DEVICE_TYPE, sizeof type, &type, nullptr);
  info_.type = (type & CL_DEVICE_TYPE_GPU) != 0   ? DeviceType::gpu
               : (type & CL_DEVICE_TYPE_CPU) != 0 ? DeviceType::cpu
                                                  : DeviceType::accelerator;
  cl_uint units = 0;
  clGetDeviceInfo(device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof units, &units, nullptr);
  info_.compute_units = units;
  cl_ulong memory = 0;
  clGetDeviceInfo(device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof memory, &memory, nullptr);
  info_.global_memory_bytes = memory;
  std::size_t group = 0;
  clGetDeviceInfo(device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof group, &group, nullptr);
  info_.max_work_group_size = group;
  cl_uint float_width = 0;
  clGetDeviceInfo(device, CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT, sizeof float_width, &float_width, nullptr);
  info_.simd_width_bits = float_width * 32;
  info_.driver_version = platform_string(platform, CL_PLATFORM_NAME) + " " + device_string(device, CL_DRIVER_VERSION);
  cl_device_fp_config doubles = 0;
  clGetDeviceInfo(device, CL_DEVICE_DOUBLE_FP_CONFIG, sizeof doubles, &doubles, nullptr);
  fp64_ = doubles != 0;
  if (fp64_) info_.features.emplace_back("fp64");
  info_.features.push_back(device_string(device, CL_DEVICE_VERSION));
  cache_device_key_ = info_.vendor + " " + info_.name;
  pool_ = std::make_shared<MemoryPool>(std::make_unique<BufferAllocator>(context_), info_.id);
  dispatcher_ = std::thread([this] { dispatcher_main(); });
}

OpenClDevice::~OpenClDevice() {
  synchronize();
  {
    std::lock_guard lock(completion_mutex_);
    stopping_ = true;
  }
  completed_.notify_all();
  dispatcher_.join();
  for (auto& [source, program] : programs_) {
    for (auto& [name, kernel] : program.kernels) clReleaseKernel(kernel);
    clReleaseProgram(program.program);
  }
}

bool OpenClDevice::can_run(const KernelDefinition& kernel) const noexcept {
  if (kernel.source == nullptr) return false;
  if (fp64_) return true;
  return std::none_of(kernel.parameters.begin(), kernel.parameters.end(),
                      [](const KernelParameter& p) { return p.type == ScalarType::float64; });
}

std::string OpenClDevice::cannot_run_reason(const KernelDefinition& kernel) const {
  if (kernel.source == nullptr) return "kernel '" + kernel.name + "' has no portable source to compile for OpenCL";
  return "kernel '" + kernel.name + "' uses double, which " + info_.id + " (" + info_.name + ") does not support";
}

cl_program OpenClDevice::build_program(const KernelSource& source) {
  std::string escaped_path;
  for (const char c : source.path) escaped_path += c == '"' || c == '\\' ? std::string("\\") + c : std::string(1, c);
  const std::string full = std::string(kPrelude) + "#line 1 \"" + escaped_path + "\"\n" + source.text;
  const ProgramCacheKey key{"opencl", cache_device_key_, info_.driver_version, "", full};
  cl_int error = CL_SUCCESS;
  if (auto binary = disk_cache_.load(key)) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(binary->data());
    const std::size_t size = binary->size();
    cl_int binary_status = CL_SUCCESS;
    cl_program program =
        clCreateProgramWithBinary(context_->context, 1, &context_->device, &size, &bytes, &binary_status, &error);
    if (error == CL_SUCCESS && binary_status == CL_SUCCESS &&
        clBuildProgram(program, 1, &context_->device, "", nullptr, nullptr) == CL_SUCCESS) {
      return program;
    }
    if (program != nullptr) clReleaseProgram(program);  // stale for this driver: rebuild below
  }
  const char* text = full.c_str();
  cl_program program = clCreateProgramWithSource(context_->context, 1, &text, nullptr, &error);
  check(error, "clCreateProgramWithSource");
  if (clBuildProgram(program, 1, &context_->device, "", nullptr, nullptr) != CL_SUCCESS) {
    std::size_t size = 0;
    clGetProgramBuildInfo(program, context_->device, CL_PROGRAM_BUILD_LOG, 0, nullptr, &size);
    std::string log(size, '\0');
    clGetProgramBuildInfo(program, context_->device, CL_PROGRAM_BUILD_LOG, size, log.data(), nullptr);
    clReleaseProgram(program);
    while (!log.empty() && (log.back() == '\0' || log.back() == '\n')) log.pop_back();
    throw CompilationError("OpenCL build of " + source.path + " failed on " + info_.id + " (" + info_.name + "):\n" +
                           log);
  }
  std::size_t binary_size = 0;
  if (clGetProgramInfo(program, CL_PROGRAM_BINARY_SIZES, sizeof binary_size, &binary_size, nullptr) == CL_SUCCESS &&
      binary_size > 0) {
    std::vector<std::byte> binary(binary_size);
    unsigned char* target = reinterpret_cast<unsigned char*>(binary.data());
    if (clGetProgramInfo(program, CL_PROGRAM_BINARIES, sizeof target, &target, nullptr) == CL_SUCCESS) {
      disk_cache_.store(key, binary);
    }
  }
  return program;
}

cl_kernel OpenClDevice::kernel_object(const KernelDefinition& kernel) {
  std::lock_guard lock(programs_mutex_);
  auto found = programs_.find(kernel.source.get());
  if (found == programs_.end())
    found = programs_.emplace(kernel.source.get(), Program{kernel.source, build_program(*kernel.source), {}}).first;
  Program& program = found->second;
  auto& object = program.kernels[kernel.name];
  if (object == nullptr) {
    cl_int error = CL_SUCCESS;
    object = clCreateKernel(program.program, kernel.name.c_str(), &error);
    if (error != CL_SUCCESS) {
      program.kernels.erase(kernel.name);
      check(error, "clCreateKernel('" + kernel.name + "') on " + info_.id);
    }
  }
  return object;
}

std::unique_ptr<DeviceReplica> OpenClDevice::create_replica(std::size_t bytes) {
  return std::make_unique<Replica>(pool_, bytes);
}

void OpenClDevice::transfer(const std::function<cl_int(cl_event*)>& enqueue, const std::string& what) {
  cl_event done = nullptr;
  {
    std::unique_lock lock(queue_mutex_);
    drain_waiting_locked();  // commands queued before the transfer reach the driver first
    check(enqueue(&done), what);
  }
  // Waited for outside the queue lock: completion callbacks may run meanwhile.
  const cl_int status = clWaitForEvents(1, &done);
  clReleaseEvent(done);
  check(status, what);
}

void OpenClDevice::upload(DeviceReplica& replica, const void* host, std::size_t bytes) {
  transfer(
      [&](cl_event* done) {
        return clEnqueueWriteBuffer(context_->queue, static_cast<Replica&>(replica).memory, CL_FALSE, 0, bytes, host, 0,
                                    nullptr, done);
      },
      "upload to " + info_.id);
}

void OpenClDevice::download(DeviceReplica& replica, void* host, std::size_t bytes) {
  transfer(
      [&](cl_event* done) {
        return clEnqueueReadBuffer(context_->queue, static_cast<Replica&>(replica).memory, CL_FALSE, 0, bytes, host, 0,
                                   nullptr, done);
      },
      "download from " + info_.id);
}

std::shared_ptr<ExecutionState> OpenClDevice::launch(LaunchRequest request) {
  if (request.kernel == nullptr || !can_run(*request.kernel)) {
    throw ArgumentError(request.kernel ? cannot_run_reason(*request.kernel) : "launch without a kernel");
  }
  cl_kernel kernel = kernel_object(*request.kernel);  // CompilationError before anything runs
  if (request.local.total() > info_.max_work_group_size) {
    throw ArgumentError("kernel '" + request.kernel->name + "': work-group size " + request.local.to_string() +
                        " exceeds the maximum of " + std::to_string(info_.max_work_group_size) + " on " + info_.id);
  }
  auto command = std::allocate_shared<OpenClCommand>(Recycled<OpenClCommand>{}, std::move(request), *this, kernel);
  command->mutable_result().timings.transfer = prepare_device_arguments(
      *this, command, command->arguments(), command->definition(),
      [&](std::size_t index, DeviceReplica& replica) { command->bind(index, static_cast<Replica&>(replica).memory); },
      [&](SpanCopy span) { command->add_span(std::move(span)); });
  {
    std::lock_guard lock(queue_mutex_);
    waiting_.push_back(command);
    dispatch_waiting_locked();
  }
  return command;
}

namespace {

struct MarkerContext {
  OpenClDevice* device;
  OpenClDevice::Marker marker;
};

void CL_CALLBACK on_marker(cl_event event, cl_int status, void* user) {
  const InternalThreadScope internal;  // a driver thread: never destroy a device here
  auto* context = static_cast<MarkerContext*>(user);
  context->device->marker_reached(context->marker, status);
  delete context;
  clReleaseEvent(event);
}

}  // namespace

void OpenClDevice::finish_cancelled_waiting_locked() {
  std::erase_if(waiting_, [](const std::shared_ptr<OpenClCommand>& command) {
    if (!command->cancel_requested()) return false;
    command->finish_cancelled();
    return true;
  });
}

std::size_t OpenClDevice::room_locked() const {
  const std::size_t window = window_.size();
  return window > in_flight_.size() ? window - in_flight_.size() : 0;
}

void OpenClDevice::dispatch_waiting_locked() {
  std::size_t room = 0;  // a stale value is safe: only completions change it meanwhile
  {
    std::lock_guard lock(completion_mutex_);
    room = room_locked();
  }
  while (!waiting_.empty() && room > 0) {
    std::shared_ptr<OpenClCommand> next = std::move(waiting_.front());
    waiting_.pop_front();
    if (next->cancel_requested()) {  // cancelled commands never reach the driver
      next->finish_cancelled();
      continue;
    }
    if (next->enqueue(context_->queue) != CL_SUCCESS) continue;  // finished with its error
    Marker marker;
    {
      std::lock_guard lock(completion_mutex_);
      if (dispatched_ == marked_) first_uncovered_dispatched_ = next->started_at();
      in_flight_.push_back({++dispatched_, std::move(next)});
      room = room_locked();
      marker = claim_marker_locked(waiting_.empty() || room == 0);
    }
    if (marker.covers != 0) arm_marker(marker);
  }
  Marker marker;
  {
    std::lock_guard lock(completion_mutex_);
    backlog_ = !waiting_.empty();
    marker = claim_marker_locked(true);  // re-arming after the pending markers: commands left uncovered
  }
  if (marker.covers != 0) arm_marker(marker);
}

// Completion: markers enqueued after the commands they cover; when the driver
// reaches one, every command before it has finished. Far cheaper than an event
// and a callback per command. A marker follows every window / 4 commands (at
// most kMaxMarkerInterval), so that completions free window room while the
// driver still has work queued, and one follows the last command of a burst
// when no marker is pending (any commands left uncovered get one when the
// pending markers are reached).
OpenClDevice::Marker OpenClDevice::claim_marker_locked(bool end_of_burst) {
  const std::uint64_t uncovered = dispatched_ - marked_;
  if (uncovered == 0) return {};
  const std::size_t interval = std::clamp<std::size_t>(window_.size() / 4, 1, kMaxMarkerInterval);
  if (uncovered < interval && !(end_of_burst && markers_pending_ == 0)) return {};
  ++markers_pending_;
  marked_ = dispatched_;
  return {dispatched_, static_cast<std::size_t>(uncovered), first_uncovered_dispatched_};
}

void OpenClDevice::arm_marker(const Marker& covered) {
  // Not under completion_mutex_: the driver may run the callback right here.
  cl_event marker = nullptr;
  cl_int error = clEnqueueMarkerWithWaitList(context_->queue, 0, nullptr, &marker);
  auto* context = new MarkerContext{this, covered};
  if (error == CL_SUCCESS) error = clSetEventCallback(marker, CL_COMPLETE, &on_marker, context);
  if (error == CL_SUCCESS) {
    clFlush(context_->queue);
    return;
  }
  delete context;
  if (marker != nullptr) clReleaseEvent(marker);
  // Without this marker the commands it covers might never complete: fail
  // everything in flight (later markers find nothing left to complete).
  std::deque<std::pair<std::uint64_t, std::shared_ptr<OpenClCommand>>> failed;
  {
    std::lock_guard lock(completion_mutex_);
    --markers_pending_;
    failed.swap(in_flight_);
  }
  for (auto& [sequence, command] : failed) command->complete(error);
  completed_.notify_all();
}

void OpenClDevice::marker_reached(const Marker& marker, cl_int status) noexcept {
  const auto now = std::chrono::steady_clock::now();
  std::vector<std::shared_ptr<OpenClCommand>> finished;
  {
    std::lock_guard lock(completion_mutex_);
    while (!in_flight_.empty() && in_flight_.front().first <= marker.covers) {
      finished.push_back(std::move(in_flight_.front().second));
      in_flight_.pop_front();
    }
    --markers_pending_;
    rearm_ = markers_pending_ == 0 && !in_flight_.empty();
    // The covered commands ran in order, from when the first was dispatched
    // or the previous marker was reached (whichever came later) until now.
    if (status >= 0) window_.measured(now - std::max(marker.first_dispatched, last_marker_reached_), marker.count);
    last_marker_reached_ = now;
  }
  // A driver failure marks the whole batch: the in-order queue fails every
  // command after the failing one, so the marker's status speaks for them.
  for (auto& command : finished) command->complete(status);
  completed_.notify_all();  // the dispatcher (re-arm, backlog, a wider window) and synchronize()
}

void OpenClDevice::drain_waiting_locked() {
  for (;;) {
    dispatch_waiting_locked();
    if (waiting_.empty()) return;
    std::unique_lock lock(completion_mutex_);
    completed_.wait(lock, [this] { return room_locked() > 0; });
  }
}

void OpenClDevice::pump() {
  std::lock_guard lock(queue_mutex_);
  finish_cancelled_waiting_locked();
  dispatch_waiting_locked();
}

void OpenClDevice::dispatcher_main() {
  const InternalThreadScope internal;
  for (;;) {
    {
      std::unique_lock lock(completion_mutex_);
      completed_.wait(lock, [this] { return stopping_ || rearm_ || (backlog_ && room_locked() > 0); });
      if (stopping_) return;
      rearm_ = false;
    }
    pump();  // dispatches the backlog and arms the next marker
  }
}

void OpenClDevice::synchronize() {
  {
    std::unique_lock lock(queue_mutex_);
    drain_waiting_locked();
  }
  {
    std::unique_lock lock(completion_mutex_);
    completed_.wait(lock, [this] { return in_flight_.empty(); });
  }
  clFinish(context_->queue);
}

}  // namespace dotcompute::opencl
