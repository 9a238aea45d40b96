#include "plugin_accelerator.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "../log.hpp"
#include "dotcompute/backend/device_arguments.hpp"
#include "dotcompute/backend/device_lifetime.hpp"
#include "dotcompute/backend/execution_state.hpp"
#include "dotcompute/backend/recycled.hpp"
#include "dotcompute/errors.hpp"
#include "plugin_command.hpp"
#include "plugin_kernel.hpp"

namespace dotcompute::runtime {

namespace {

std::string plugin_text(const char* text) { return text != nullptr ? std::string(text) : std::string(); }

DeviceType device_type(std::int32_t type) {
  switch (type) {
    case DC_DEVICE_CPU:
      return DeviceType::cpu;
    case DC_DEVICE_GPU:
      return DeviceType::gpu;
    case DC_DEVICE_ACCELERATOR:
      return DeviceType::accelerator;
    default:
      return DeviceType::other;
  }
}

// The runtime's view of a plugin status, as the typed error it stands for.
[[noreturn]] void throw_status(dc_status_t status, const std::string& message) {
  switch (status) {
    case DC_STATUS_OUT_OF_MEMORY:
      throw OutOfMemoryError(message);
    case DC_STATUS_UNAVAILABLE:
      throw DeviceUnavailableError(message);
    case DC_STATUS_COMPILATION_ERROR:
      throw CompilationError(message);
    case DC_STATUS_EXECUTION_ERROR:
      throw ExecutionError(message);
    case DC_STATUS_CANCELLED:
      throw CancelledError(message);
    case DC_STATUS_INVALID_ARGUMENT:
      throw ArgumentError(message);
    default:
      throw DeviceError(message);
  }
}

}  // namespace

/// A kernel prepared for one device, and the descriptor the plugin was given.
struct PluginProgram {
  explicit PluginProgram(const KernelDefinition& definition) : address(&definition), kernel(definition) {}

  const KernelDefinition* address;  // the definition it was prepared for (its programs_ key)
  PluginKernel kernel;
  void* program = nullptr;
  std::string unsupported;  // why the device cannot run it ("" when program is set)
  std::string build_error;  // the plugin's DC_STATUS_COMPILATION_ERROR message, reported by every launch
};

namespace {

// Upstream of an own-memory plugin device's pool: the plugin's allocate/release.
class PluginMemoryAllocator final : public MemoryAllocator {
 public:
  explicit PluginMemoryAllocator(PluginAccelerator& device) : device_(device) {}
  void* allocate(std::size_t bytes) noexcept override { return device_.allocate_memory(bytes); }
  void deallocate(void* block, std::size_t) noexcept override { device_.release_memory(block); }
  [[nodiscard]] std::string_view name() const noexcept override { return "plugin device memory"; }

 private:
  PluginAccelerator& device_;
};

}  // namespace

/// A buffer's memory on a plugin device (own-memory devices only). Moves to
/// the new version's memory when the plugin reloads.
class PluginReplica final : public DeviceReplica {
 public:
  PluginReplica(std::shared_ptr<PluginAccelerator> owner, std::size_t size)
      : device(std::move(owner)), bytes(size), memory(device->memory_pool().allocate(size)) {}
  ~PluginReplica() override { device->forget(*this); }
  std::shared_ptr<PluginAccelerator> device;  // what frees this memory stays alive
  std::size_t bytes;
  void* memory;
  std::string lost;  // non-empty: the data could not be moved to a reloaded plugin
};

// A shared hold on serving_ that a thread may take again while it holds it
// (launch() creates replicas and uploads through the public functions). The
// holds a thread has taken are the locks on its stack, linked innermost first;
// the thread-local head is a plain pointer (no destructor), so a device
// destroyed during static destruction, after the thread's thread-local objects
// are gone, can still take it.
class PluginAccelerator::ServingLock {
 public:
  explicit ServingLock(const PluginAccelerator& device) : device_(device) {
    for (const ServingLock* held = innermost_; held != nullptr; held = held->outer_) {
      if (&held->device_ == &device) return;  // this thread holds it already
    }
    device.serving_.lock_shared();
    outer_ = innermost_;
    innermost_ = this;
    locked_ = true;
  }
  ~ServingLock() {
    if (!locked_) return;
    innermost_ = outer_;  // scoped locks: this one is the innermost
    device_.serving_.unlock_shared();
  }
  ServingLock(const ServingLock&) = delete;
  ServingLock& operator=(const ServingLock&) = delete;

 private:
  static inline thread_local const ServingLock* innermost_ = nullptr;
  const PluginAccelerator& device_;
  const ServingLock* outer_ = nullptr;
  bool locked_ = false;
};

PluginAccelerator::PluginAccelerator(std::shared_ptr<PluginModule> module, std::uint32_t backend, std::uint32_t device)
    : device_(device),
      module_(std::move(module)),
      backend_index_(backend),
      continuations_(std::string(this->backend().name) + ":" + std::to_string(device)) {
  auto info = std::make_unique<DeviceInfo>(describe(*module_, this->backend()));
  shares_host_ = std::find(info->features.begin(), info->features.end(), "shares-host-memory") != info->features.end();
  info_.store(info.get(), std::memory_order_release);
  infos_.push_back(std::move(info));
  pool_ = shares_host_ ? host_memory_pool()
                       : std::make_shared<MemoryPool>(std::make_unique<PluginMemoryAllocator>(*this),
                                                      this->info().id + " (plugin " + module_->name() + ")");
}

PluginAccelerator::~PluginAccelerator() {
  try {
    synchronize();
  } catch (const std::exception& error) {
    log(LogLevel::warning, info().id + ": " + error.what());
  }
  // The work is done, but the plugin's threads may still be in the calls that
  // completed it, and its continuations may still be running. Never on one of
  // those threads here: a device whose last reference drops there is
  // destroyed on another (device_lifetime.hpp).
  wait_for_callbacks();
  continuations_.stop();  // those calls posted the last continuations
  release_programs();
  pool_.reset();  // gives cached blocks back to the plugin while it is still loaded
}

DeviceInfo PluginAccelerator::describe(const PluginModule& module, const dc_backend_t& backend) const {
  dc_device_info_t raw{};
  raw.struct_size = sizeof(raw);
  dc_message_t message{};
  const dc_status_t status = backend.device_info(module.state(), device_, &raw, &message);
  const std::string id = std::string(backend.name) + ":" + std::to_string(device_);
  if (status != DC_STATUS_OK) {
    throw DeviceUnavailableError("plugin '" + module.name() + "' cannot describe device " + id + ": " +
                                 message_text(message, "no message"));
  }
  DeviceInfo info;
  info.id = id;
  info.backend = backend.name;
  info.name = plugin_text(raw.name);
  info.vendor = plugin_text(raw.vendor);
  info.driver_version = plugin_text(raw.driver_version);
  info.type = device_type(raw.type);
  info.compute_units = raw.compute_units;
  info.global_memory_bytes = raw.global_memory_bytes;
  info.max_work_group_size = raw.max_work_group_size != 0 ? raw.max_work_group_size : 1024;
  info.simd_width_bits = raw.simd_width_bits;
  for (std::string_view features = raw.features != nullptr ? raw.features : ""; !features.empty();) {
    const std::size_t end = std::min(features.find(' '), features.size());
    if (end != 0) info.features.emplace_back(features.substr(0, end));
    features.remove_prefix(std::min(end + 1, features.size()));
  }
  info.features.push_back("plugin " + module.name());
  if (raw.shares_host_memory != 0) info.features.emplace_back("shares-host-memory");
  if (raw.shares_host_memory == 0 && backend.allocate == nullptr) {
    throw DeviceUnavailableError("plugin '" + module.name() + "': device " + id +
                                 " has memory of its own but the backend has no allocate/upload/download");
  }
  return info;
}

[[noreturn]] void PluginAccelerator::fail(const char* operation, dc_status_t status, dc_message_t& message) const {
  throw_status(status, info().id + " (plugin '" + module_->name() + "'): " + operation +
                           " failed: " + message_text(message, "no message"));
}

void PluginAccelerator::check_usable() const {
  if (!retired_.empty()) throw DeviceUnavailableError(info().id + ": " + retired_);
}

PluginProgram& PluginAccelerator::program_for(const KernelDefinition& kernel) const {
  // Launches of one kernel in a row find it here, without the lock.
  PluginProgram* last = last_program_.load(std::memory_order_acquire);
  if (last != nullptr && last->address == &kernel && last->kernel.describes(kernel)) return *last;
  std::lock_guard lock(programs_mutex_);
  auto& slot = programs_[&kernel];
  if (!slot || !slot->kernel.describes(kernel)) prepare_locked(slot, kernel);
  last_program_.store(slot.get(), std::memory_order_release);
  return *slot;
}

void PluginAccelerator::prepare_locked(std::unique_ptr<PluginProgram>& slot, const KernelDefinition& kernel) const {
  if (slot && slot->program != nullptr) {
    // Another kernel now lives at this address: the old program may still be queued.
    dc_message_t message{};
    (void)backend().synchronize(module_->state(), device_, &message);
    backend().release_kernel(module_->state(), device_, slot->program);
  }
  if (slot) replaced_programs_.push_back(std::move(slot));  // another thread may be reading it (last_program_)
  slot = std::make_unique<PluginProgram>(kernel);
  dc_message_t message{};
  void* program = nullptr;
  const dc_status_t status =
      backend().prepare_kernel(module_->state(), device_, &slot->kernel.descriptor(), &program, &message);
  if (status == DC_STATUS_OK && program != nullptr) {
    slot->program = program;
  } else if (status == DC_STATUS_OK) {
    slot->unsupported = "the plugin prepared no program for it";
  } else if (status == DC_STATUS_COMPILATION_ERROR) {
    slot->build_error = message_text(message, "no build log");
    slot->unsupported = "building it failed: " + slot->build_error;
  } else {
    slot->unsupported =
        (status == DC_STATUS_UNSUPPORTED ? "" : "preparing it failed: ") + message_text(message, "no reason given");
  }
}

// A device whose build of the kernel failed can run it as far as selection
// goes: the launch then reports the build failure as a CompilationError.
void PluginAccelerator::check_prepared(const PluginProgram& program, const KernelDefinition& kernel) const {
  if (program.program != nullptr) return;
  if (!program.build_error.empty()) throw CompilationError(program.build_error);
  throw DeviceUnavailableError(cannot_run_reason(kernel));
}

void PluginAccelerator::release_programs() noexcept {
  std::lock_guard lock(programs_mutex_);
  last_program_.store(nullptr, std::memory_order_release);
  for (auto& [kernel, program] : programs_) {
    if (program->program != nullptr) backend().release_kernel(module_->state(), device_, program->program);
  }
  programs_.clear();
  replaced_programs_.clear();
}

bool PluginAccelerator::can_run(const KernelDefinition& kernel) const noexcept {
  try {
    const ServingLock serving(*this);
    const PluginProgram& program = program_for(kernel);
    return retired_.empty() && (program.program != nullptr || !program.build_error.empty());
  } catch (...) {
    return false;
  }
}

std::string PluginAccelerator::cannot_run_reason(const KernelDefinition& kernel) const {
  const ServingLock serving(*this);
  if (!retired_.empty()) return retired_;
  return "kernel '" + kernel.name + "' cannot run on plugin '" + module_->name() +
         "': " + program_for(kernel).unsupported;
}

// During a reload, launches are parked rather than blocked: the launching
// thread (a continuation's, say, which may be what a wait in the reload's
// drain waits for) goes on.
std::shared_ptr<ExecutionState> PluginAccelerator::launch(LaunchRequest request) {
  if (request.local.total() > info().max_work_group_size) {
    throw ArgumentError("kernel '" + request.kernel->name + "': work-group size " + request.local.to_string() +
                        " exceeds the maximum of " + std::to_string(info().max_work_group_size) + " on " + info().id);
  }
  if (request.result.device.empty()) request.result.device = info().id;
  // Its memory is reused first by the thread that lets go of it: a launch
  // completed on its own submitting thread (inline, or held back by the
  // plugin) costs no atomics for it.
  auto command =
      std::allocate_shared<PluginCommand>(Recycled<PluginCommand, Reuse::thread_first>{}, std::move(request));
  // launching_ counts this call while it launches; replace() raises parking_
  // and then waits for launching_ to reach 0. Both sequentially consistent:
  // either this call sees parking_, or replace() sees it launching.
  for (;;) {
    launching_.fetch_add(1);
    if (!parking_.load()) break;
    stop_launching();
    std::lock_guard lock(parking_mutex_);
    if (parking_.load()) {
      parked_.push_back(command);
      return command;
    }
  }
  struct Launched {  // until this call returns, thrown or not
    PluginAccelerator& device;
    ~Launched() { device.stop_launching(); }
  } launched{*this};
  launch_now(command, /*parked=*/false);
  return command;
}

void PluginAccelerator::stop_launching() noexcept {
  // Only a parking reload or retirement waits for it (both sequentially
  // consistent: either this sees parking_, or the waiter sees the count drop).
  if (launching_.fetch_sub(1) == 1 && parking_.load()) launching_.notify_all();
}

void PluginAccelerator::handed_back() noexcept {
  if (in_plugin_.fetch_sub(1, std::memory_order_acq_rel) == 1) in_plugin_.notify_all();
}

// Without serving_: every caller holds a launch in the plugin (PluginCommand's
// holders), so in_plugin_ is not 0 and replace() cannot swap module_ yet (it
// waits for in_plugin_ to drain first). Taking serving_ here inverted the lock
// order with a plugin that reports completions under a lock of its own (the
// OpenCL device, a callback run inline under its queue lock) while a transfer
// held serving_ and waited for that lock: ThreadSanitizer saw the cycle.
void PluginAccelerator::waiting(bool begins) noexcept {
  if (backend().waiting != nullptr) backend().waiting(module_->state(), device_, begins ? 1 : 0);
}

void PluginAccelerator::wait_for_callbacks() const noexcept {
  for (int running = in_plugin_.load(); running != 0; running = in_plugin_.load()) in_plugin_.wait(running);
}

// Counted in launching_: no reload or retirement changes the version served
// meanwhile (see Parked), so module_, retired_, the programs and where
// replicas live hold still without serving_.
void PluginAccelerator::launch_now(const std::shared_ptr<PluginCommand>& command, bool parked) {
  check_usable();
  const PluginProgram* program = &program_for(command->kernel());
  check_prepared(*program, command->kernel());
  // The arguments as the plugin sees them, one per parameter: valid during its launch() only.
  std::array<dc_launch_argument_t, kMaxKernelParameters> c_arguments_storage;  // NOLINT: filled below, as far as used
  const std::span c_arguments(c_arguments_storage.data(), command->arguments().size());
  std::array<PluginReplica*, kMaxKernelParameters> replicas{};
  try {
    for (std::size_t i = 0; i < c_arguments.size(); ++i) {
      const LaunchArgument& argument = command->arguments()[i];
      c_arguments[i].kind = argument.kind == ParameterKind::buffer ? DC_PARAMETER_BUFFER : DC_PARAMETER_SCALAR;
      std::memcpy(c_arguments[i].scalar, argument.scalar, sizeof argument.scalar);
      c_arguments[i].memory = argument.host_pointer;
      c_arguments[i].elements = argument.elements;
    }
    if (!shares_host_) {
      command->mutable_result().timings.transfer = prepare_device_arguments(
          *this, command, command->arguments(), command->kernel(),
          [&](std::size_t index, DeviceReplica& replica) { replicas[index] = &static_cast<PluginReplica&>(replica); },
          [&](SpanCopy copy) { command->spans().push_back(std::move(copy)); });
    } else {
      for (auto& argument : command->arguments()) {
        if (!argument.buffer) continue;
        argument.buffer->prepare_host_device_access(argument.access);  // copies back from other devices
        argument.buffer->record_access(command, argument.access != Access::read_only, /*on_host=*/true);
      }
    }
  } catch (...) {
    command->fail_submission(std::current_exception());
    return;
  }
  if (command->ExecutionState::cancel_requested()) {
    command->finish_cancelled();
    return;
  }
  {
    const bool plugin_writes_back = (backend().features & DC_BACKEND_WRITES_BACK) != 0;
    try {
      for (std::size_t i = 0; i < c_arguments.size(); ++i) {
        if (replicas[i] == nullptr) continue;
        if (!replicas[i]->lost.empty()) throw DeviceError(replicas[i]->lost);
        c_arguments[i].memory = replicas[i]->memory;
      }
      std::vector<dc_write_back_t> write_backs;
      if (plugin_writes_back) {
        for (const SpanCopy& copy : command->spans()) {
          if (!copy.write_back) continue;
          write_backs.push_back({static_cast<PluginReplica&>(*copy.copy).memory, copy.host, copy.bytes});
        }
      }
      submit(command, program->program, c_arguments, write_backs, parked);
    } catch (...) {
      command->fail_submission(std::current_exception());
      return;
    }
    command->kernel_submitted();
    // Writable host spans, unless the plugin copies them back itself: copied
    // back here once the kernel succeeded (the launch waits for it).
    const bool writes_back = !plugin_writes_back && std::any_of(command->spans().begin(), command->spans().end(),
                                                                [](const SpanCopy& copy) { return copy.write_back; });
    if (writes_back && command->wait_for_kernel() == DC_STATUS_OK) {
      try {
        for (const SpanCopy& copy : command->spans()) {
          if (copy.write_back) download(*copy.copy, copy.host, copy.bytes);
        }
      } catch (...) {
        command->set_submit_error(std::current_exception());
      }
    }
  }
  command->finish_part();
}

void PluginAccelerator::submit(const std::shared_ptr<PluginCommand>& held, void* program,
                               std::span<const dc_launch_argument_t> arguments,
                               std::span<const dc_write_back_t> write_backs, bool parked) {
  PluginCommand& command = *held;
  const Range& global = command.global();
  const Range& local = command.local();
  dc_launch_t launch{};
  launch.struct_size = sizeof(launch);
  launch.program = program;
  for (int d = 0; d < 3; ++d) {
    launch.geometry.global[d] = global[d];
    launch.geometry.local[d] = local[d];
  }
  launch.argument_count = static_cast<std::uint32_t>(arguments.size());
  launch.arguments = arguments.data();
  launch.completion_context = &command;
  launch.complete = &PluginCommand::complete;
  launch.complete_at = &PluginCommand::complete_at;
  launch.cancel_requested = &PluginCommand::cancel_requested;
  launch.write_back_count = static_cast<std::uint32_t>(write_backs.size());
  launch.write_backs = write_backs.data();
  // It starts when handed over. Unless it was parked meanwhile, that is when
  // it was submitted: the moment between is the runtime's own work on it
  // (its transfers are timed apart).
  command.mark_started(parked ? ExecutionState::Clock::now() : command.submitted_at());
  in_plugin_.fetch_add(1, std::memory_order_relaxed);
  command.hold(held, *this);
  dc_message_t message{};
  const dc_status_t status = backend().launch(module_->state(), device_, &launch, &message);
  if (status != DC_STATUS_OK) {
    command.release_hold();  // counts it out of in_plugin_: complete() will not come
    fail("launching kernel", status, message);
  }
}

void PluginAccelerator::synchronize() {
  const ServingLock serving(*this);
  dc_message_t message{};
  const dc_status_t status = backend().synchronize(module_->state(), device_, &message);
  if (status != DC_STATUS_OK) fail("synchronize", status, message);
}

std::unique_ptr<DeviceReplica> PluginAccelerator::create_replica(std::size_t bytes) {
  const ServingLock serving(*this);
  check_usable();
  auto replica =
      std::make_unique<PluginReplica>(std::static_pointer_cast<PluginAccelerator>(shared_from_this()), bytes);
  std::lock_guard lock(replicas_mutex_);
  replicas_.insert(replica.get());
  return replica;
}

void PluginAccelerator::upload(DeviceReplica& replica, const void* host, std::size_t bytes) {
  const ServingLock serving(*this);
  auto& memory = static_cast<PluginReplica&>(replica);
  if (!memory.lost.empty()) throw DeviceError(memory.lost);
  dc_message_t message{};
  const dc_status_t status = backend().upload(module_->state(), device_, memory.memory, host, bytes, &message);
  if (status != DC_STATUS_OK) fail("upload", status, message);
}

void PluginAccelerator::download(DeviceReplica& replica, void* host, std::size_t bytes) {
  const ServingLock serving(*this);
  auto& memory = static_cast<PluginReplica&>(replica);
  if (!memory.lost.empty()) throw DeviceError(memory.lost);
  dc_message_t message{};
  const dc_status_t status = backend().download(module_->state(), device_, memory.memory, host, bytes, &message);
  if (status != DC_STATUS_OK) fail("download", status, message);
}

void* PluginAccelerator::allocate_memory(std::size_t bytes) noexcept {
  std::lock_guard lock(memory_mutex_);
  void* memory = nullptr;
  dc_message_t message{};
  if (backend().allocate(module_->state(), device_, bytes, &memory, &message) != DC_STATUS_OK) {
    log(LogLevel::debug, info().id + ": allocate failed: " + message_text(message, "no message"));
    return nullptr;
  }
  return memory;
}

void PluginAccelerator::release_memory(void* memory) noexcept {
  std::lock_guard lock(memory_mutex_);
  if (memory != nullptr) backend().release(module_->state(), device_, memory);
}

void PluginAccelerator::forget(PluginReplica& replica) noexcept {
  std::lock_guard lock(replicas_mutex_);
  replicas_.erase(&replica);
  pool_->deallocate(replica.memory, replica.bytes);
}

void PluginAccelerator::migrate_replicas(const std::shared_ptr<PluginModule>& module, std::uint32_t backend) {
  // Called with serving_ held exclusively and replicas_mutex_ held: nothing else
  // uses the plugin's memory now. Save every replica, give the old memory back,
  // switch versions, and put the data into the new version's memory.
  std::vector<std::vector<std::byte>> saved;
  saved.reserve(replicas_.size());
  std::vector<PluginReplica*> replicas(replicas_.begin(), replicas_.end());
  for (PluginReplica* replica : replicas) {
    std::vector<std::byte> data(replica->lost.empty() ? replica->bytes : 0);
    dc_message_t message{};
    if (!data.empty() && this->backend().download(module_->state(), device_, replica->memory, data.data(), data.size(),
                                                  &message) != DC_STATUS_OK) {
      replica->lost = info().id + ": a buffer's data was lost while plugin '" + module_->name() +
                      "' reloaded (download failed: " + message_text(message, "no message") + ")";
      data.clear();
    }
    saved.push_back(std::move(data));
    pool_->deallocate(replica->memory, replica->bytes);
    replica->memory = nullptr;
  }
  pool_->trim();  // every block of the old version goes back to it
  {
    std::lock_guard lock(memory_mutex_);  // a trim on another thread may be releasing memory
    module_ = module;
    backend_index_ = backend;
  }
  for (std::size_t i = 0; i < replicas.size(); ++i) {
    PluginReplica& replica = *replicas[i];
    if (!replica.lost.empty()) continue;
    try {
      replica.memory = pool_->allocate(replica.bytes);
    } catch (const std::exception& error) {
      replica.lost =
          info().id + ": a buffer's data was lost while plugin '" + module_->name() + "' reloaded: " + error.what();
      continue;
    }
    dc_message_t message{};
    if (!saved[i].empty() && this->backend().upload(module_->state(), device_, replica.memory, saved[i].data(),
                                                    saved[i].size(), &message) != DC_STATUS_OK) {
      replica.lost = info().id + ": a buffer's data was lost while plugin '" + module_->name() +
                     "' reloaded (upload failed: " + message_text(message, "no message") + ")";
    }
  }
}

void PluginAccelerator::replace(std::shared_ptr<PluginModule> module, std::uint32_t backend) {
  auto info = std::make_unique<DeviceInfo>(describe(*module, module->table().backends[backend]));
  const bool shares_host =
      std::find(info->features.begin(), info->features.end(), "shares-host-memory") != info->features.end();
  if (shares_host != shares_host_) {
    throw DeviceError(info->id + ": the new version of plugin '" + module->name() +
                      "' changes whether the device shares host memory; restart to use it");
  }
  const Parked parked(*this);
  // Drained without holding serving_ exclusively: the work's continuations
  // may use this device meanwhile, on its continuation thread, and the swap
  // must not wait for a thread that waits for it. Nothing new reaches
  // the old version now; once its callbacks have returned, its threads are idle.
  {
    const ServingLock serving(*this);
    dc_message_t message{};
    if (this->backend().synchronize(module_->state(), device_, &message) != DC_STATUS_OK) {
      log(LogLevel::warning, this->info().id + ": draining before reload failed: " + message_text(message, "?"));
    }
  }
  wait_for_callbacks();
  {
    std::unique_lock exclusive(serving_);  // waits for transfers in progress
    release_programs();                    // kernels are prepared again by the new version on first use
    const std::shared_ptr<PluginModule> previous = module_;
    {
      std::lock_guard lock(replicas_mutex_);
      migrate_replicas(module, backend);
    }
    retired_.clear();
    {
      std::lock_guard lock(infos_mutex_);
      info_.store(info.get(), std::memory_order_release);
      infos_.push_back(std::move(info));
    }
  }
}

void PluginAccelerator::resubmit_parked() noexcept {
  for (;;) {
    std::shared_ptr<PluginCommand> next;
    {
      std::lock_guard lock(parking_mutex_);
      if (parked_.empty()) {
        parking_.store(false);  // in order: launches made meanwhile were parked behind these
        return;
      }
      next = std::move(parked_.front());
      parked_.pop_front();
    }
    launching_.fetch_add(1);  // pins the version served, as launch() does
    try {
      launch_now(next, /*parked=*/true);
    } catch (...) {
      next->fail_submission(std::current_exception());
    }
    stop_launching();
  }
}

PluginAccelerator::Parked::Parked(PluginAccelerator& device) : device_(device) {
  device_.swapping_.store(true, std::memory_order_release);  // selectors route new work elsewhere
  {
    std::lock_guard lock(device_.parking_mutex_);
    device_.parking_.store(true);  // new launches wait in parked_ from now on
  }
  for (int running = device_.launching_.load(); running != 0; running = device_.launching_.load()) {
    device_.launching_.wait(running);
  }
}

PluginAccelerator::Parked::~Parked() {
  device_.resubmit_parked();  // on whichever version serves now
  device_.swapping_.store(false, std::memory_order_release);
}

void PluginAccelerator::retire(std::string reason) {
  const Parked parked(*this);  // the parked launches then fail with `reason`
  std::unique_lock exclusive(serving_);
  retired_ = std::move(reason);
}

std::shared_ptr<PluginAccelerator> make_plugin_device(std::shared_ptr<PluginModule> module, std::uint32_t backend,
                                                      std::uint32_t device) {
  return make_shared_device(new PluginAccelerator(std::move(module), backend, device));
}

}  // namespace dotcompute::runtime
