#include "replica_test_device.hpp"

#include <algorithm>
#include <cstring>

#include <dotcompute/backend/cpu_backend.hpp>
#include <dotcompute/backend/execution_state.hpp>

namespace dotcompute::test {

namespace {

struct ReplicaMemory final : DeviceReplica {
  ReplicaMemory(std::shared_ptr<MemoryPool> pool, std::size_t size)
      : pool(std::move(pool)), bytes(size), data(this->pool->allocate(size)) {}
  ~ReplicaMemory() override { pool->deallocate(data, bytes); }
  std::shared_ptr<MemoryPool> pool;
  std::size_t bytes;
  void* data;
};

class ReplicaCommand final : public ExecutionState {
 public:
  explicit ReplicaCommand(LaunchRequest&& request)
      : ExecutionState(std::move(request.result), std::move(request.stop)),
        kernel_(request.kernel),
        entry_(request.kernel->cpu_entry),
        arguments_(std::move(request.arguments)) {
    for (int d = 0; d < 3; ++d) {
      args_.geometry.global[d] = request.global[d];
      args_.geometry.local[d] = request.local[d];
    }
    total_ = request.global.total();
  }
  std::vector<LaunchArgument>& arguments() { return arguments_; }
  const KernelDefinition& kernel() const { return *kernel_; }
  void bind() {
    for (auto& argument : arguments_) {
      values_.push_back(argument.kind == ParameterKind::scalar ? static_cast<const void*>(argument.scalar)
                                                               : static_cast<const void*>(&argument.host_pointer));
    }
    args_.values = values_.data();
  }
  // `copy_back` runs after the kernel, before waiters are released.
  void run(const std::function<void()>& copy_back) {
    if (cancel_requested()) {
      finish_cancelled();
      return;
    }
    mark_started();
    entry_(args_, cpu::WorkChunk{0, total_});
    copy_back();
    finish_succeeded();
  }

 private:
  std::shared_ptr<const KernelDefinition> kernel_;
  cpu::KernelEntry entry_;
  std::vector<LaunchArgument> arguments_;
  std::vector<const void*> values_;
  cpu::LaunchArgs args_{};
  std::size_t total_ = 0;
};

// The devices of the standard factory (CPU, and OpenCL when available) plus a replica test device.
class ExtendedFactory final : public AcceleratorFactory {
 public:
  ExtendedFactory(std::shared_ptr<AcceleratorFactory> base, std::shared_ptr<Accelerator> extra)
      : base_(std::move(base)), extra_{std::move(extra)} {}
  const std::vector<std::shared_ptr<Accelerator>>& devices() override {
    std::call_once(all_, [this] {
      all_devices_ = base_->devices();
      all_devices_.push_back(extra_.front());
    });
    return all_devices_;
  }
  std::span<const std::shared_ptr<Accelerator>> devices_of(std::string_view backend) override {
    return backend == extra_.front()->info().backend ? std::span(extra_) : base_->devices_of(backend);
  }
  std::vector<std::shared_ptr<Accelerator>> started_devices() const override {
    auto started = base_->started_devices();
    started.push_back(extra_.front());
    return started;
  }
  const std::vector<SkippedBackend>& skipped() override { return base_->skipped(); }

 private:
  std::shared_ptr<AcceleratorFactory> base_;
  std::vector<std::shared_ptr<Accelerator>> extra_;
  std::once_flag all_;
  std::vector<std::shared_ptr<Accelerator>> all_devices_;
};

}  // namespace

ReplicaTestDevice::ReplicaTestDevice(std::string id)
    : pool_(std::make_shared<MemoryPool>(make_host_allocator(), "replica-test")), worker_([this] { worker_main(); }) {
  info_.id = std::move(id);
  info_.backend = "replica-test";
  info_.name = "in-process device with memory of its own (tests)";
  info_.vendor = "dotcompute";
  info_.type = DeviceType::accelerator;
  info_.compute_units = 1;
}

ReplicaTestDevice::~ReplicaTestDevice() {
  synchronize();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

void ReplicaTestDevice::worker_main() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
    if (tasks_.empty()) return;
    auto task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    task();
    lock.lock();
    --in_flight_;
    changed_.notify_all();
  }
}

void ReplicaTestDevice::run_in_order(std::function<void()> task, bool wait) {
  std::unique_lock lock(mutex_);
  tasks_.push_back(std::move(task));
  ++in_flight_;
  changed_.notify_all();
  if (wait) changed_.wait(lock, [this] { return in_flight_ == 0; });
}

void ReplicaTestDevice::synchronize() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return in_flight_ == 0; });
}

std::unique_ptr<DeviceReplica> ReplicaTestDevice::create_replica(std::size_t bytes) {
  return std::make_unique<ReplicaMemory>(pool_, bytes);
}

void ReplicaTestDevice::upload(DeviceReplica& replica, const void* host, std::size_t bytes) {
  ++uploads;
  auto& memory = static_cast<ReplicaMemory&>(replica);
  run_in_order([&memory, host, bytes] { std::memcpy(memory.data, host, bytes); }, true);
}

void ReplicaTestDevice::download(DeviceReplica& replica, void* host, std::size_t bytes) {
  ++downloads;
  auto& memory = static_cast<ReplicaMemory&>(replica);
  run_in_order([&memory, host, bytes] { std::memcpy(host, memory.data, bytes); }, true);
}

std::shared_ptr<ExecutionState> ReplicaTestDevice::launch(LaunchRequest request) {
  auto command = std::make_shared<ReplicaCommand>(std::move(request));
  std::chrono::nanoseconds transfer{0};
  // Host spans are copied in, and (when writable) back before the command finishes.
  std::vector<std::pair<void*, std::shared_ptr<ReplicaMemory>>> span_copies;
  for (std::size_t i = 0; i < command->arguments().size(); ++i) {
    LaunchArgument& argument = command->arguments()[i];
    if (argument.kind != ParameterKind::buffer) continue;
    if (argument.buffer) {
      auto& replica =
          static_cast<ReplicaMemory&>(argument.buffer->prepare_device_access(*this, argument.access, transfer));
      argument.host_pointer = replica.data;
      argument.buffer->record_access(command, argument.access != Access::read_only, /*on_host=*/false);
    } else if (argument.elements != 0) {
      const std::size_t bytes = argument.elements * size_of(command->kernel().parameters[i].type);
      auto copy = std::make_shared<ReplicaMemory>(pool_, bytes);
      std::memcpy(copy->data, argument.host_pointer, bytes);
      span_copies.emplace_back(argument.access != Access::read_only ? argument.host_pointer : nullptr, copy);
      argument.host_pointer = copy->data;
    }
  }
  command->mutable_result().timings.transfer = transfer;
  command->bind();
  run_in_order(
      [command, span_copies = std::move(span_copies)] {
        command->run([&span_copies] {
          for (const auto& [host, copy] : span_copies) {
            if (host != nullptr) std::memcpy(host, copy->data, copy->bytes);
          }
        });
      },
      false);
  return command;
}

Runtime make_runtime_with_replica_device(KernelRegistry* registry, std::vector<std::string> plugin_paths) {
  // The standard factory comes from a provider of its own, kept for the process.
  static ServiceProvider standard = [&plugin_paths] {
    ServiceCollection services;
    add_dotcompute_runtime(services, [&](RuntimeOptions& options) { options.plugin_paths = plugin_paths; });
    return services.build();
  }();
  auto factory = std::make_shared<ExtendedFactory>(standard.get_required<AcceleratorFactory>(),
                                                   std::make_shared<ReplicaTestDevice>());
  ServiceCollection services;
  services.add_instance<AcceleratorFactory>(factory);
  add_dotcompute_runtime(services, [registry](RuntimeOptions& options) { options.registry = registry; });
  return Runtime::from_services(services.build());
}

}  // namespace dotcompute::test
