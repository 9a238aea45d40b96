#include "opencl_device.hpp"

#include <algorithm>
#include <array>
#include <cstring>

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

}  // namespace

// One launch, copied from its dc_launch_t: bound arguments, then (once
// dispatched) the time it reached the driver.
class OpenClLaunch {
 public:
  explicit OpenClLaunch(const dc_launch_t& launch)
      : kernel_(static_cast<const PreparedKernel*>(launch.program)),
        geometry_(launch.geometry),
        argument_count_(launch.argument_count),
        context_(launch.completion_context),
        complete_(launch.complete),
        cancel_requested_(launch.cancel_requested),
        write_backs_(launch.write_backs, launch.write_backs + launch.write_back_count) {
    if (argument_count_ != kernel_->scalar_sizes.size() || argument_count_ > arguments_.size()) {
      throw plugin::Error(DC_STATUS_INVALID_ARGUMENT,
                          "kernel '" + kernel_->name + "' takes " + std::to_string(kernel_->scalar_sizes.size()) +
                              " arguments, the launch has " + std::to_string(argument_count_));
    }
    std::copy_n(launch.arguments, argument_count_, arguments_.begin());
  }

  [[nodiscard]] bool cancel_requested() const {
    return cancel_requested_ != nullptr && cancel_requested_(context_) != 0;
  }

  /// Sets the arguments and enqueues the kernel (and the write-backs of
  /// writable host spans). Called with the device's queue lock held, so
  /// commands reach the driver in order, and no two set the arguments of a
  /// kernel object at once. Returns the driver's status; on failure the
  /// command is completed. No event is requested: the device's markers complete it.
  cl_int enqueue(cl_command_queue queue, const std::string& device);
  /// Reports the driver's status (negative: failed) to the runtime.
  void complete(cl_int status, const std::string& device) noexcept;
  void complete_cancelled() noexcept { complete_(context_, DC_STATUS_CANCELLED, nullptr); }

 private:
  const PreparedKernel* kernel_;
  dc_work_geometry_t geometry_;
  std::uint32_t argument_count_;
  std::array<dc_launch_argument_t, kMaxKernelParameters> arguments_;
  void* context_;
  void (*complete_)(void*, dc_status_t, const char*);
  std::int32_t (*cancel_requested_)(void*);
  std::vector<dc_write_back_t> write_backs_;
};

cl_int OpenClLaunch::enqueue(cl_command_queue queue, const std::string& device) {
  cl_int error = CL_SUCCESS;
  std::size_t global[3];
  std::size_t local[3];
  cl_uint dimensions = 1;
  bool empty = false;
  bool local_given = true;
  for (int d = 0; d < 3; ++d) {
    global[d] = geometry_.global[d];
    local[d] = geometry_.local[d];
    if (global[d] == 0) empty = true;
    if (local[d] == 0) local_given = false;
    if (global[d] > 1 || local[d] > 1) dimensions = static_cast<cl_uint>(d + 1);
  }
  if (!empty) {  // an empty range runs nothing; the next marker completes it in order
    for (std::uint32_t i = 0; i < argument_count_ && error == CL_SUCCESS; ++i) {
      const dc_launch_argument_t& argument = arguments_[i];
      if (argument.kind == DC_PARAMETER_SCALAR) {
        error = clSetKernelArg(kernel_->kernel, i, kernel_->scalar_sizes[i], argument.scalar);
      } else {
        const cl_mem memory = static_cast<cl_mem>(argument.memory);
        error = clSetKernelArg(kernel_->kernel, i, sizeof(cl_mem), &memory);
      }
    }
    if (error == CL_SUCCESS) {
      error = clEnqueueNDRangeKernel(queue, kernel_->kernel, dimensions, nullptr, global, local_given ? local : nullptr,
                                     0, nullptr, nullptr);
    }
  }
  for (const dc_write_back_t& copy : write_backs_) {
    if (error == CL_SUCCESS) {
      error = clEnqueueReadBuffer(queue, static_cast<cl_mem>(copy.memory), CL_FALSE, 0, copy.bytes, copy.host, 0,
                                  nullptr, nullptr);
    }
  }
  if (error != CL_SUCCESS) complete(error, device);
  return error;
}

void OpenClLaunch::complete(cl_int status, const std::string& device) noexcept {
  if (status >= 0) {
    complete_(context_, DC_STATUS_OK, nullptr);
    return;
  }
  std::string message;
  try {
    message = "kernel '" + kernel_->name + "' failed on " + device + ": " + error_name(status);
  } catch (...) {  // no memory for the message: the status still tells
  }
  complete_(context_, DC_STATUS_EXECUTION_ERROR, message.c_str());
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
  auto command = std::allocate_shared<OpenClLaunch>(Recycled<OpenClLaunch>{}, launch);
  std::lock_guard lock(queue_mutex_);
  waiting_.push_back(std::move(command));
  dispatch_waiting_locked();
}

namespace {

struct MarkerContext {
  OpenClDevice* device;
  OpenClDevice::Marker marker;
};

void CL_CALLBACK on_marker(cl_event event, cl_int status, void* user) {
  auto* context = static_cast<MarkerContext*>(user);
  context->device->marker_reached(context->marker, status);
  delete context;
  clReleaseEvent(event);
}

}  // namespace

void OpenClDevice::finish_cancelled_waiting_locked() {
  std::erase_if(waiting_, [](const std::shared_ptr<OpenClLaunch>& command) {
    if (!command->cancel_requested()) return false;
    command->complete_cancelled();
    return true;
  });
}

std::size_t OpenClDevice::room(std::size_t in_flight) const {
  const std::size_t window = window_.size();
  return window > in_flight ? window - in_flight : 0;
}

void OpenClDevice::dispatch_waiting_locked() {
  // Read without the completion lock: a stale count is safe, as only
  // completions change it meanwhile, and they only make room (checked again below).
  std::size_t room = this->room(in_flight_count_.load(std::memory_order_relaxed));
  for (;;) {
    while (!waiting_.empty() && room > 0) {
      std::shared_ptr<OpenClLaunch> next = std::move(waiting_.front());
      waiting_.pop_front();
      if (next->cancel_requested()) {  // cancelled commands never reach the driver
        next->complete_cancelled();
        continue;
      }
      if (next->enqueue(context_->queue, id_) != CL_SUCCESS) continue;  // completed with its error
      Marker marker;
      bool settled = false;
      {
        std::lock_guard lock(completion_mutex_);
        // In the driver now: the window's measurement starts with the first command a marker will cover.
        if (dispatched_ == marked_) first_uncovered_dispatched_ = std::chrono::steady_clock::now();
        in_flight_.push_back({++dispatched_, std::move(next)});
        in_flight_count_.store(in_flight_.size(), std::memory_order_relaxed);
        room = this->room(in_flight_.size());
        marker = claim_marker_locked(waiting_.empty() || room == 0);
        if (waiting_.empty()) {  // the closing step below, done under this same lock
          backlog_ = false;
          settled = true;
        }
      }
      if (marker.covers != 0) arm_marker(marker);
      if (settled) return;
    }
    Marker marker;
    bool done = false;
    {
      std::lock_guard lock(completion_mutex_);
      room = this->room(in_flight_.size());
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
  std::deque<std::pair<std::uint64_t, std::shared_ptr<OpenClLaunch>>> failed;
  {
    std::lock_guard lock(completion_mutex_);
    --markers_pending_;
    failed.swap(in_flight_);
    in_flight_count_.store(0, std::memory_order_relaxed);
  }
  for (auto& [sequence, command] : failed) command->complete(error, id_);
  completed_.notify_all();
}

void OpenClDevice::marker_reached(const Marker& marker, cl_int status) noexcept {
  const auto now = std::chrono::steady_clock::now();
  std::vector<std::shared_ptr<OpenClLaunch>> finished;
  finished.reserve(marker.count);  // usually exactly what it covers
  {
    std::lock_guard lock(completion_mutex_);
    while (!in_flight_.empty() && in_flight_.front().first <= marker.covers) {
      finished.push_back(std::move(in_flight_.front().second));
      in_flight_.pop_front();
    }
    in_flight_count_.store(in_flight_.size(), std::memory_order_relaxed);
    --markers_pending_;
    ++callbacks_running_;
    rearm_ = markers_pending_ == 0 && !in_flight_.empty();
    // The covered commands ran in order, from when the first was dispatched
    // or the previous marker was reached (whichever came later) until now.
    if (status >= 0) window_.measured(now - std::max(marker.first_dispatched, last_marker_reached_), marker.count);
    last_marker_reached_ = now;
  }
  // A driver failure marks the whole batch: the in-order queue fails every
  // command after the failing one, so the marker's status speaks for them.
  for (auto& command : finished) command->complete(status, id_);
  finished.clear();  // the commands' last references: released while the device surely lives
  // The dispatcher (re-arm, backlog) and synchronize(). Woken even with
  // nothing for it to do: waking it only when needed saves ~3% of a pipelined
  // launch but makes launch + wait 2.3x slower here (13.7 -> 31.7 us; PoCL's
  // idle workers then take longer to wake for the next launch).
  completed_.notify_all();
  // The destructor waits for this, under the lock: once it is released, the device may go.
  std::lock_guard lock(completion_mutex_);
  if (--callbacks_running_ == 0 && destroying_) completed_.notify_all();
}

void OpenClDevice::drain_waiting_locked() {
  for (;;) {
    dispatch_waiting_locked();
    if (waiting_.empty()) return;
    std::unique_lock lock(completion_mutex_);
    completed_.wait(lock, [this] { return room(in_flight_.size()) > 0; });
  }
}

void OpenClDevice::pump() {
  std::lock_guard lock(queue_mutex_);
  finish_cancelled_waiting_locked();
  dispatch_waiting_locked();
}

void OpenClDevice::dispatcher_main() {
  for (;;) {
    {
      std::unique_lock lock(completion_mutex_);
      completed_.wait(lock, [this] { return stopping_ || rearm_ || (backlog_ && room(in_flight_.size()) > 0); });
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
