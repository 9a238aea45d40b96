#include "opencl_device.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <span>
#include <utility>

#include "dotcompute/backend/recycled.hpp"
#include "dotcompute/kernel_definition.hpp"
#include "dotcompute/plugin.hpp"
#include "opencl_prelude.hpp"

namespace dotcompute::opencl {

namespace {

std::size_t scalar_size(std::int32_t type) {
  switch (type) {
    case DC_SCALAR_INT64:
    case DC_SCALAR_UINT64:
    case DC_SCALAR_FLOAT64:
      return 8;
    default:
      return 4;
  }
}

// The source as the OpenCL compiler sees it: the prelude, then the .dck text
// with its own file name and line numbers (so the build log points into it).
std::string full_source(const dc_kernel_t& kernel) {
  std::string escaped_path;
  for (const char* c = kernel.source_path != nullptr ? kernel.source_path : "kernel.dck"; *c != '\0'; ++c) {
    if (*c == '"' || *c == '\\') escaped_path += '\\';
    escaped_path += *c;
  }
  return std::string(kPrelude) + "#line 1 \"" + escaped_path + "\"\n" + kernel.source;
}

// Checks a launch against its kernel before anything of it reaches the driver.
void check_argument_count(const dc_launch_t& launch) {
  const auto* kernel = static_cast<const PreparedKernel*>(launch.program);
  if (launch.argument_count != kernel->scalar_sizes.size() || launch.argument_count > kMaxKernelParameters) {
    throw plugin::Error(DC_STATUS_INVALID_ARGUMENT,
                        "kernel '" + kernel->name + "' takes " + std::to_string(kernel->scalar_sizes.size()) +
                            " arguments, the launch has " + std::to_string(launch.argument_count));
  }
}

// Sets the arguments and enqueues the kernel, then the write-backs of
// writable host spans. Called with the device's queue lock held, so commands
// reach the driver in order and no two set the arguments of a kernel object
// at once. `last_event` (may be null) receives the event of the last command
// enqueued, or null when there was none (an empty range).
cl_int enqueue_kernel(cl_command_queue queue, const PreparedKernel& kernel, const dc_work_geometry_t& geometry,
                      std::span<const dc_launch_argument_t> arguments, std::span<const dc_write_back_t> write_backs,
                      cl_event* last_event) {
  cl_int error = CL_SUCCESS;
  std::size_t global[3];
  std::size_t local[3];
  cl_uint dimensions = 1;
  bool empty = false;
  bool local_given = true;
  for (int d = 0; d < 3; ++d) {
    global[d] = geometry.global[d];
    local[d] = geometry.local[d];
    if (global[d] == 0) empty = true;
    if (local[d] == 0) local_given = false;
    if (global[d] > 1 || local[d] > 1) dimensions = static_cast<cl_uint>(d + 1);
  }
  if (!empty) {  // an empty range runs nothing; the next marker completes it in order
    for (std::uint32_t i = 0; i < arguments.size() && error == CL_SUCCESS; ++i) {
      const dc_launch_argument_t& argument = arguments[i];
      if (argument.kind == DC_PARAMETER_SCALAR) {
        error = clSetKernelArg(kernel.kernel, i, kernel.scalar_sizes[i], argument.scalar);
      } else {
        const cl_mem memory = static_cast<cl_mem>(argument.memory);
        error = clSetKernelArg(kernel.kernel, i, sizeof(cl_mem), &memory);
      }
    }
    const bool last = write_backs.empty();
    if (error == CL_SUCCESS) {
      error = clEnqueueNDRangeKernel(queue, kernel.kernel, dimensions, nullptr, global, local_given ? local : nullptr,
                                     0, nullptr, last ? last_event : nullptr);
    }
  }
  for (std::size_t i = 0; i < write_backs.size() && error == CL_SUCCESS; ++i) {
    const dc_write_back_t& copy = write_backs[i];
    error = clEnqueueReadBuffer(queue, static_cast<cl_mem>(copy.memory), CL_FALSE, 0, copy.bytes, copy.host, 0, nullptr,
                                i + 1 == write_backs.size() ? last_event : nullptr);
  }
  return error;
}

}  // namespace

OpenClCompletion OpenClCompletion::of(const dc_launch_t& launch) noexcept {
  const bool timed = launch.struct_size >= offsetof(dc_launch_t, complete_at) + sizeof launch.complete_at;
  return {static_cast<const PreparedKernel*>(launch.program), launch.completion_context, launch.complete,
          timed ? launch.complete_at : nullptr};
}

void OpenClCompletion::report(cl_int status, const std::string& device, Clock::time_point finished) const noexcept {
  std::string message;
  if (status < 0) {
    try {
      message = "kernel '" + kernel->name + "' failed on " + device + ": " + error_name(status);
    } catch (...) {  // no memory for the message: the status still tells
    }
  }
  const dc_status_t result = status >= 0 ? DC_STATUS_OK : DC_STATUS_EXECUTION_ERROR;
  const char* text = status >= 0 ? nullptr : message.c_str();
  if (complete_at != nullptr) {
    complete_at(context, result, text,
                std::chrono::duration_cast<std::chrono::nanoseconds>(finished.time_since_epoch()).count());
  } else {
    complete(context, result, text);
  }
}

// A transfer or synchronize() waits for the driver: completions are not held
// back meanwhile (the next marker reports those held so far), yet none is
// reported on the waiting thread, which may hold a buffer's lock.
class OpenClDevice::NothingHeldBack {
 public:
  explicit NothingHeldBack(OpenClDevice& device) noexcept : device_(device) { device_.count_waits(1); }
  ~NothingHeldBack() { device_.count_waits(-1); }
  NothingHeldBack(const NothingHeldBack&) = delete;
  NothingHeldBack& operator=(const NothingHeldBack&) = delete;

 private:
  OpenClDevice& device_;
};

// A launch that has to wait for room in the driver: a copy of its dc_launch_t.
class OpenClLaunch {
 public:
  /// `queued_as`: its place among the commands that waited on its device.
  OpenClLaunch(const dc_launch_t& launch, const OpenClCompletion& completion, std::uint64_t queued_as)
      : queued_as_(queued_as),
        completion_(completion),
        geometry_(launch.geometry),
        argument_count_(launch.argument_count),
        cancel_requested_(launch.cancel_requested),
        write_backs_(launch.write_backs, launch.write_backs + launch.write_back_count) {
    std::copy_n(launch.arguments, argument_count_, arguments_.begin());
  }

  [[nodiscard]] std::uint64_t queued_as() const noexcept { return queued_as_; }
  [[nodiscard]] const OpenClCompletion& completion() const noexcept { return completion_; }
  [[nodiscard]] bool cancel_requested() const {
    return cancel_requested_ != nullptr && cancel_requested_(completion_.context) != 0;
  }
  /// See enqueue_kernel.
  cl_int enqueue(cl_command_queue queue, cl_event* last_event) const {
    return enqueue_kernel(queue, *completion_.kernel, geometry_, {arguments_.data(), argument_count_}, write_backs_,
                          last_event);
  }

 private:
  std::uint64_t queued_as_;
  OpenClCompletion completion_;
  dc_work_geometry_t geometry_;
  std::uint32_t argument_count_;
  std::array<dc_launch_argument_t, kMaxKernelParameters> arguments_;
  std::int32_t (*cancel_requested_)(void*);
  std::vector<dc_write_back_t> write_backs_;
};

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

OpenClDevice::OpenClDevice(cl_platform_id platform, cl_device_id device, std::uint32_t index,
                           const std::filesystem::path& cache_directory)
    : id_("opencl:" + std::to_string(index)),
      context_(std::make_unique<Context>(device)),
      disk_cache_(cache_directory) {
  name_ = device_string(device, CL_DEVICE_NAME);
  vendor_ = device_string(device, CL_DEVICE_VENDOR);
  driver_version_ = platform_string(platform, CL_PLATFORM_NAME) + " " + device_string(device, CL_DRIVER_VERSION);
  cl_device_type type = 0;
  clGetDeviceInfo(device, CL_DEVICE_TYPE, sizeof type, &type, nullptr);
  cl_uint units = 0;
  clGetDeviceInfo(device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof units, &units, nullptr);
  cl_ulong memory = 0;
  clGetDeviceInfo(device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof memory, &memory, nullptr);
  std::size_t group = 0;
  clGetDeviceInfo(device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof group, &group, nullptr);
  cl_uint float_width = 0;
  clGetDeviceInfo(device, CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT, sizeof float_width, &float_width, nullptr);
  cl_device_fp_config doubles = 0;
  clGetDeviceInfo(device, CL_DEVICE_DOUBLE_FP_CONFIG, sizeof doubles, &doubles, nullptr);
  fp64_ = doubles != 0;
  // "OpenCL 3.0 PoCL ...": the version, as one feature word ("OpenCL-3.0").
  const std::string version = device_string(device, CL_DEVICE_VERSION);
  const std::size_t end = version.find(' ', version.find(' ') + 1);
  features_ = std::string(fp64_ ? "fp64 " : "") + version.substr(0, std::min(end, version.size()));
  std::replace(features_.begin() + (fp64_ ? 5 : 0), features_.end(), ' ', '-');

  info_.struct_size = sizeof info_;
  info_.name = name_.c_str();
  info_.vendor = vendor_.c_str();
  info_.driver_version = driver_version_.c_str();
  info_.type = (type & CL_DEVICE_TYPE_GPU) != 0   ? DC_DEVICE_GPU
               : (type & CL_DEVICE_TYPE_CPU) != 0 ? DC_DEVICE_CPU
                                                  : DC_DEVICE_ACCELERATOR;
  info_.compute_units = units;
  info_.global_memory_bytes = memory;
  info_.max_work_group_size = group;
  info_.shares_host_memory = 0;
  info_.simd_width_bits = float_width * 32;
  info_.features = features_.c_str();
  dispatcher_ = std::thread([this] { dispatcher_main(); });
}

OpenClDevice::~OpenClDevice() {
  try {
    synchronize();
  } catch (...) {  // a failed device: release what it holds regardless
  }
  {
    // Every command has completed, but the driver may still be running the
    // callback that completed the last ones: it uses this device until it
    // releases the completion lock (and a marker whose enqueue failed may
    // still be reached).
    std::unique_lock lock(completion_mutex_);
    destroying_ = true;
    completed_.wait(lock, [this] { return markers_pending_ == 0 && callbacks_running_ == 0; });
    stopping_ = true;
    completed_.notify_all();
  }
  dispatcher_.join();
  for (auto& [source, program] : programs_) clReleaseProgram(program.program);
}

cl_program OpenClDevice::build_program(const std::string& full, const std::string& path) {
  const ProgramCacheKey key{"opencl", std::string(vendor_) + " " + name_, driver_version_, "", full};
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
    throw plugin::Error(DC_STATUS_COMPILATION_ERROR,
                        "OpenCL build of " + path + " failed on " + id_ + " (" + name_ + "):\n" + log);
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

PreparedKernel* OpenClDevice::prepare(const dc_kernel_t& kernel) {
  if (kernel.source == nullptr) {
    throw plugin::Error(DC_STATUS_UNSUPPORTED,
                        "kernel '" + std::string(kernel.name) + "' has no portable source to compile for OpenCL");
  }
  auto prepared = std::make_unique<PreparedKernel>();
  prepared->name = kernel.name;
  for (std::uint32_t i = 0; i < kernel.parameter_count; ++i) {
    const dc_kernel_parameter_t& parameter = kernel.parameters[i];
    if (parameter.type == DC_SCALAR_FLOAT64 && !fp64_) {
      throw plugin::Error(DC_STATUS_UNSUPPORTED, "kernel '" + prepared->name + "' uses double, which " + id_ + " (" +
                                                     name_ + ") does not support");
    }
    prepared->scalar_sizes.push_back(parameter.kind == DC_PARAMETER_SCALAR ? scalar_size(parameter.type) : 0);
  }
  prepared->program_key = full_source(kernel);
  std::lock_guard lock(programs_mutex_);
  auto found = programs_.find(prepared->program_key);
  if (found == programs_.end()) {
    const std::string path = kernel.source_path != nullptr ? kernel.source_path : prepared->name;
    found = programs_.emplace(prepared->program_key, Program{build_program(prepared->program_key, path), 0}).first;
  }
  Program& program = found->second;
  cl_int error = CL_SUCCESS;
  prepared->kernel = clCreateKernel(program.program, kernel.name, &error);
  if (error != CL_SUCCESS) {
    if (program.users == 0) {
      clReleaseProgram(program.program);
      programs_.erase(found);
    }
    check(error, "clCreateKernel('" + prepared->name + "') on " + id_);
  }
  ++program.users;
  return prepared.release();
}

void OpenClDevice::release(PreparedKernel* kernel) noexcept {
  std::unique_ptr<PreparedKernel> owned(kernel);
  clReleaseKernel(kernel->kernel);
  std::lock_guard lock(programs_mutex_);
  const auto found = programs_.find(kernel->program_key);
  if (found == programs_.end() || --found->second.users != 0) return;
  clReleaseProgram(found->second.program);  // rebuilt from the disk cache if needed again
  programs_.erase(found);
}

void* OpenClDevice::allocate(std::uint64_t bytes) {
  cl_int error = CL_SUCCESS;
  cl_mem memory = clCreateBuffer(context_->context, CL_MEM_READ_WRITE, bytes, nullptr, &error);
  check(error, "clCreateBuffer(" + std::to_string(bytes) + " bytes) on " + id_);
  return memory;
}

void OpenClDevice::release_memory(void* memory) noexcept { clReleaseMemObject(static_cast<cl_mem>(memory)); }

void OpenClDevice::transfer(const std::function<cl_int(cl_event*)>& enqueue, const std::string& what) {
  const NothingHeldBack waiting(*this);
  cl_event done = nullptr;
  {
    std::unique_lock lock(queue_mutex_);
    drain_waiting(lock);  // commands queued before the transfer reach the driver first
    check(enqueue(&done), what);
  }
  // Waited for outside the queue lock: completion callbacks may run meanwhile.
  const cl_int status = clWaitForEvents(1, &done);
  clReleaseEvent(done);
  check(status, what);
}

void OpenClDevice::upload(void* memory, const void* host, std::uint64_t bytes) {
  transfer(
      [&](cl_event* done) {
        return clEnqueueWriteBuffer(context_->queue, static_cast<cl_mem>(memory), CL_FALSE, 0, bytes, host, 0, nullptr,
                                    done);
      },
      "upload to " + id_);
}

void OpenClDevice::download(void* memory, void* host, std::uint64_t bytes) {
  transfer(
      [&](cl_event* done) {
        return clEnqueueReadBuffer(context_->queue, static_cast<cl_mem>(memory), CL_FALSE, 0, bytes, host, 0, nullptr,
                                   done);
      },
      "download from " + id_);
}

void OpenClDevice::launch(const dc_launch_t& launch) {
  check_argument_count(launch);
  // A runtime that predates dc_backend_t::waiting would not tell of its
  // waits; its launches come without complete_at (appended with it).
  const OpenClCompletion command = OpenClCompletion::of(launch);
  if (command.complete_at == nullptr) may_hold_back_.store(false, std::memory_order_relaxed);
  enqueue(launch, command);
  // Completions held back while this thread kept launching: reported here,
  // on its thread, after the queue lock (a continuation may launch again).
  if (held_back_.load(std::memory_order_relaxed) != 0) report_held_back();
}

void OpenClDevice::enqueue(const dc_launch_t& launch, const OpenClCompletion& command) {
  std::lock_guard lock(queue_mutex_);
  // A stale count (read without the completion lock) is safe: only
  // completions change it meanwhile, and they only make room.
  if (!waiting_.empty() || room(in_flight_count_.load(std::memory_order_relaxed)) == 0) {
    waiting_.push_back(std::allocate_shared<OpenClLaunch>(Recycled<OpenClLaunch>{}, launch, command, ++queued_));
    dispatch_waiting_locked();
    return;
  }
  // Straight to the driver: nothing waits before it, so nothing of it needs copying.
  if (launch.cancel_requested != nullptr && launch.cancel_requested(launch.completion_context) != 0) {
    command.cancelled();
    return;
  }
  cl_event last = nullptr;
  const cl_int error =
      enqueue_kernel(context_->queue, *command.kernel, launch.geometry, {launch.arguments, launch.argument_count},
                     {launch.write_backs, launch.write_back_count}, closes_marker_locked(true) ? &last : nullptr);
  if (error != CL_SUCCESS) {
    command.report(error, id_, OpenClCompletion::Clock::now());
    return;
  }
  (void)in_driver_locked(command, last);
}

namespace {

// Set while this thread registers a marker's callback, under the device's
// queue lock: a driver may call back right there when the marker has been
// reached already (PoCL does). Completions reported there would run
// continuations under that lock, and one launching on the device again
// would deadlock; the dispatcher reports them instead.
thread_local bool registering_callback = false;

void CL_CALLBACK on_marker(cl_event event, cl_int status, void* user) {
  auto* callback = static_cast<OpenClDevice::MarkerCallback*>(user);
  const auto now = std::chrono::steady_clock::now();
  clReleaseEvent(event);
  if (registering_callback) {
    callback->status = status;
    callback->reached_at = now;
    callback->device->reached_early(callback);
    return;
  }
  callback->device->marker_reached(callback->marker, status, now);
  delete callback;
}

}  // namespace

void OpenClDevice::finish_cancelled_waiting_locked() {
  std::erase_if(waiting_, [](const std::shared_ptr<OpenClLaunch>& command) {
    if (!command->cancel_requested()) return false;
    command->completion().cancelled();
    return true;
  });
}

std::size_t OpenClDevice::room(std::size_t in_flight) const {
  const std::size_t window = window_.size();
  return window > in_flight ? window - in_flight : 0;
}

bool OpenClDevice::closes_marker_locked(bool end_of_burst) const {
  // dispatched_ and marked_ only change with the queue lock held; a marker
  // reached meanwhile only makes markers_pending_ smaller (a marker that then
  // turns out to be missing is armed when the last pending one is reached).
  const std::uint64_t uncovered = dispatched_ + 1 - marked_;
  return uncovered >= marker_interval() || (end_of_burst && markers_pending_.load(std::memory_order_relaxed) == 0);
}

std::size_t OpenClDevice::in_driver_locked(const OpenClCompletion& command, cl_event last) {
  Marker marker;
  std::size_t room = 0;
  {
    std::lock_guard lock(completion_mutex_);
    // The window's measurement starts with the first command a marker will cover.
    if (dispatched_ == marked_) first_uncovered_dispatched_ = std::chrono::steady_clock::now();
    in_flight_.push_back({++dispatched_, command});
    room = this->room(update_counts_locked());
    marker = last != nullptr ? claim_marker_locked() : claim_marker_locked(waiting_.empty() || room == 0);
    if (waiting_.empty()) backlog_ = false;  // the closing step of dispatch_waiting_locked, under this same lock
  }
  if (last != nullptr) {
    watch(last, marker);
  } else if (marker.covers != 0) {
    arm_marker(marker);
  }
  return room;
}

void OpenClDevice::dispatch_waiting_locked() {
  // See launch() on the stale count.
  std::size_t room = this->room(in_flight_count_.load(std::memory_order_relaxed));
  for (;;) {
    while (!waiting_.empty() && room > 0) {
      const std::shared_ptr<OpenClLaunch> next = std::move(waiting_.front());
      waiting_.pop_front();
      if (next->cancel_requested()) {  // cancelled commands never reach the driver
        next->completion().cancelled();
        continue;
      }
      cl_event last = nullptr;
      const cl_int error =
          next->enqueue(context_->queue, closes_marker_locked(waiting_.empty() || room == 1) ? &last : nullptr);
      if (error != CL_SUCCESS) {
        next->completion().report(error, id_, OpenClCompletion::Clock::now());
        continue;
      }
      room = in_driver_locked(next->completion(), last);
      if (waiting_.empty()) return;
    }
    Marker marker;
    bool done = false;
    {
      std::lock_guard lock(completion_mutex_);
      room = this->room(unfinished_locked());
      // Otherwise completions made room since it was last read: go on dispatching.
      done = waiting_.empty() || room == 0;
      if (done) {
        // A backlog is only ever left with the window full: the completion
        // that makes room then sees it and wakes the dispatcher.
        backlog_ = !waiting_.empty();
        marker = claim_marker_locked(true);  // re-arming after the pending markers: commands left uncovered
      }
    }
    if (done) {
      if (marker.covers != 0) arm_marker(marker);
      return;
    }
  }
}

// Completion: a marker is an event with a callback; once the in-order queue
// reaches it, every command before it has finished. Far cheaper than an event
// and a callback per command. A marker follows every window / 4 commands (at
// most kMaxMarkerInterval), so that completions free window room while the
// driver still has work queued, and one follows the last command of a burst
// when no marker is pending (any commands left uncovered get one when the
// pending markers are reached). When the command that closes a marker is
// known before it is enqueued (closes_marker_locked), its own event is the
// marker; otherwise a marker command follows it (arm_marker).
std::size_t OpenClDevice::marker_interval() const {
  return std::clamp<std::size_t>(window_.size() / 4, 1, kMaxMarkerInterval);
}

OpenClDevice::Marker OpenClDevice::claim_marker_locked(bool end_of_burst) {
  const std::uint64_t uncovered = dispatched_ - marked_;
  if (uncovered == 0) return {};
  if (uncovered < marker_interval() && !(end_of_burst && markers_pending_ == 0)) return {};
  return claim_marker_locked();
}

OpenClDevice::Marker OpenClDevice::claim_marker_locked() {
  const std::uint64_t uncovered = dispatched_ - marked_;
  ++markers_pending_;
  marked_ = dispatched_;
  return {dispatched_, static_cast<std::size_t>(uncovered), first_uncovered_dispatched_};
}

void OpenClDevice::arm_marker(const Marker& covered) {
  cl_event marker = nullptr;
  const cl_int error = clEnqueueMarkerWithWaitList(context_->queue, 0, nullptr, &marker);
  if (error != CL_SUCCESS) {
    lost_marker(error);
    return;
  }
  watch(marker, covered);
}

void OpenClDevice::watch(cl_event event, const Marker& covered) {
  // Not under completion_mutex_: the driver may run the callback right here.
  auto* callback = new (std::nothrow) MarkerCallback{this, covered};
  registering_callback = true;
  const cl_int error =
      callback != nullptr ? clSetEventCallback(event, CL_COMPLETE, &on_marker, callback) : CL_OUT_OF_HOST_MEMORY;
  registering_callback = false;
  if (error == CL_SUCCESS) {
    clFlush(context_->queue);
    return;
  }
  delete callback;
  clReleaseEvent(event);
  lost_marker(error);
}

void OpenClDevice::lost_marker(cl_int error) {
  // Without this marker the commands it covers might never complete: fail
  // everything in flight (later markers find nothing left to complete).
  std::deque<InFlight> failed;
  std::uint64_t finished = 0;
  {
    std::lock_guard lock(completion_mutex_);
    --markers_pending_;
    failed.swap(in_flight_);
    held_marks_.clear();
    finished = reached_;  // those up to here finished: their completions were held back
    update_counts_locked();
  }
  const auto now = OpenClCompletion::Clock::now();
  for (const InFlight& entry : failed) {
    entry.command.report(entry.sequence <= finished ? CL_SUCCESS : error, id_, now);
  }
  completed_.notify_all();
}

void OpenClDevice::reached_early(MarkerCallback* callback) noexcept {
  std::lock_guard lock(completion_mutex_);
  callback->next = reached_early_;
  reached_early_ = callback;
  completed_.notify_all();
}

void OpenClDevice::marker_reached(const Marker& marker, cl_int status,
                                  std::chrono::steady_clock::time_point now) noexcept {
  bool wake = true;
  std::uint64_t finished_up_to = 0;
  // A marker covers at most kMaxMarkerInterval commands; any more are taken in turns.
  std::array<Finished, kMaxMarkerInterval> finished;  // NOLINT: filled as far as `count`
  std::size_t count = 0;
  bool held_back = false;
  {
    std::lock_guard lock(completion_mutex_);
    --markers_pending_;
    // While more work follows, with a marker of its own, and nobody waits,
    // the completions are held back: the next launch reports them on its
    // thread, or else the next marker reached here (see the class comment).
    held_back = status >= 0 && markers_pending_ > 0 && waits_ == 0 && may_hold_back_.load(std::memory_order_relaxed);
    if (held_back) {
      if (marker.covers > reached_) {  // a later marker may have come first (see reached_early)
        reached_ = marker.covers;
        held_marks_.push_back({marker.covers, now});
      }
      update_counts_locked();
    } else {
      // With those of later markers held back before it came: nothing stays
      // held back without a marker pending, which would report it.
      finished_up_to = std::max(marker.covers, reached_);
      count = take_finished_locked(finished_up_to, now, finished);
    }
    ++callbacks_running_;
    rearm_ = markers_pending_ == 0 && !in_flight_.empty();
    // Held back, only the dispatcher may have something to do: not woken otherwise.
    wake = !held_back || rearm_ || backlog_;
    // The covered commands ran in order, from when the first was dispatched
    // or the previous marker was reached (whichever came later) until now.
    // (A marker that came after a later one measures nothing.)
    if (marker.covers > measured_) {
      if (status >= 0) window_.measured(now - std::max(marker.first_dispatched, last_marker_reached_), marker.count);
      last_marker_reached_ = now;
      measured_ = marker.covers;
    }
  }
  // A driver failure marks the whole batch: the in-order queue fails every
  // command after the failing one, so the marker's status speaks for them.
  for (;;) {
    for (std::size_t i = 0; i < count; ++i) {
      finished[i].command.report(finished[i].held_back ? CL_SUCCESS : status, id_, finished[i].at);
    }
    if (count < finished.size()) break;
    std::lock_guard lock(completion_mutex_);
    count = take_finished_locked(finished_up_to, now, finished);
  }
  // The dispatcher (re-arm, backlog), drains and synchronize(), after the
  // completions: the quickest way to a waiting caller. Woken even with
  // nothing for it to do when completions were reported: waking it only when
  // needed makes launch + wait 2.3x slower here (13.7 -> 31.7 us; PoCL's idle
  // workers then take longer to wake for the next launch).
  if (wake) completed_.notify_all();
  // The destructor waits for this, under the lock: once it is released, the device may go.
  std::lock_guard lock(completion_mutex_);
  if (--callbacks_running_ == 0 && destroying_) completed_.notify_all();
}

std::size_t OpenClDevice::take_finished_locked(std::uint64_t covers, OpenClCompletion::Clock::time_point reached_at,
                                               std::span<Finished> finished) {
  std::size_t count = 0;
  while (count < finished.size() && !in_flight_.empty() && in_flight_.front().sequence <= covers) {
    const std::uint64_t sequence = in_flight_.front().sequence;
    while (!held_marks_.empty() && held_marks_.front().covers < sequence) held_marks_.pop_front();
    const bool held_back = sequence <= reached_ && !held_marks_.empty();
    finished[count++] = {in_flight_.front().command, held_back ? held_marks_.front().at : reached_at, held_back};
    in_flight_.pop_front();
  }
  if (in_flight_.empty()) held_marks_.clear();
  update_counts_locked();
  return count;
}

std::size_t OpenClDevice::unfinished_locked() const {
  return in_flight_.size() - held_back_.load(std::memory_order_relaxed);
}

std::size_t OpenClDevice::update_counts_locked() {
  // Sequences in flight are consecutive: the held back ones lead.
  const std::size_t held =
      !in_flight_.empty() && in_flight_.front().sequence <= reached_ ? reached_ - in_flight_.front().sequence + 1 : 0;
  held_back_.store(held, std::memory_order_relaxed);
  in_flight_count_.store(in_flight_.size() - held, std::memory_order_relaxed);
  return in_flight_.size() - held;
}

void OpenClDevice::report_held_back() noexcept {
  std::array<Finished, kMaxMarkerInterval> finished;  // NOLINT: filled as far as `count`
  for (;;) {
    std::size_t count = 0;
    {
      std::lock_guard lock(completion_mutex_);
      count = take_finished_locked(reached_, {}, finished);
    }
    for (std::size_t i = 0; i < count; ++i) finished[i].command.report(CL_SUCCESS, id_, finished[i].at);
    if (count < finished.size()) return;
  }
}

void OpenClDevice::waiting(bool begins) noexcept {
  count_waits(begins ? 1 : -1);
  if (begins) report_held_back();
}

void OpenClDevice::count_waits(int change) noexcept {
  std::lock_guard lock(completion_mutex_);
  waits_ += change;
}

void OpenClDevice::drain_waiting(std::unique_lock<std::mutex>& queue_lock) {
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
      completed_.wait(lock, [this] { return room(unfinished_locked()) > 0; });
    }
    queue_lock.lock();
  }
}

void OpenClDevice::pump() {
  std::lock_guard lock(queue_mutex_);
  finish_cancelled_waiting_locked();
  dispatch_waiting_locked();
}

void OpenClDevice::dispatcher_main() {
  for (;;) {
    MarkerCallback* reached = nullptr;
    {
      std::unique_lock lock(completion_mutex_);
      completed_.wait(lock, [this] {
        return stopping_ || rearm_ || reached_early_ != nullptr || (backlog_ && room(unfinished_locked()) > 0);
      });
      if (stopping_) return;  // never with a marker reached early: it is pending until reported
      rearm_ = false;
      reached = std::exchange(reached_early_, nullptr);
    }
    while (reached != nullptr) {  // newest first: marker_reached() takes them in any order
      const std::unique_ptr<MarkerCallback> callback(std::exchange(reached, reached->next));
      marker_reached(callback->marker, callback->status, callback->reached_at);
    }
    pump();  // dispatches the backlog and arms the next marker
  }
}

void OpenClDevice::synchronize() {
  const NothingHeldBack waiting(*this);
  {
    std::unique_lock lock(queue_mutex_);
    drain_waiting(lock);
  }
  {
    std::unique_lock lock(completion_mutex_);
    completed_.wait(lock, [this] { return in_flight_.empty(); });
  }
  clFinish(context_->queue);
}

}  // namespace dotcompute::opencl
