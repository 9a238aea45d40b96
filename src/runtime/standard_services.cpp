#include "standard_services.hpp"

#include <algorithm>

#include "argument_binding.hpp"
#include "dotcompute/backend/cpu_backend.hpp"
#include "log.hpp"

namespace dotcompute::runtime {

StandardAcceleratorFactory::StandardAcceleratorFactory(const std::shared_ptr<RuntimeOptions>& options) {
  // A backend that cannot start is skipped with its reason; it never takes the others down.
  try {
    auto provider = make_cpu_provider(CpuBackendOptions{.threads = options->cpu_threads});
    devices_ = provider->devices();
  } catch (const ArgumentError&) {
    throw;  // a malformed DOTCOMPUTE_CPU_* variable is the caller's to fix
  } catch (const std::exception& error) {
    skipped_.push_back({"cpu", error.what()});
  }
  skipped_.push_back({"opencl", "not available: the OpenCL backend is not implemented in this version"});
  skipped_.push_back({"cuda", "not available: the CUDA backend is not implemented in this version"});
  for (const auto& skipped : skipped_)
    log(LogLevel::info, "skipped backend " + skipped.backend + ": " + skipped.reason);
  for (const auto& device : devices_) {
    log(LogLevel::debug, "device " + device->info().id + ": " + device->info().name);
  }
}

Execution StandardKernelExecutionService::launch(std::shared_ptr<const KernelDefinition> kernel, Accelerator& device,
                                                 const Range& range, std::span<const KernelArg> args,
                                                 const ExecutionOptions& options, std::string selection_reason,
                                                 std::stop_token stop) {
  LaunchRequest request;
  request.local = resolve_local_size(*kernel, range, options.local_size);
  request.arguments = bind_arguments(*kernel, range, args);
  request.global = range;
  request.result.kernel = kernel->name;
  request.result.device = device.info().id;
  request.result.selection_reason = std::move(selection_reason);
  request.result.range = range;
  request.stop = std::move(stop);
  request.kernel = std::move(kernel);
  return Execution(device.launch(std::move(request)));
}

StandardMemoryManager::StandardMemoryManager(const std::shared_ptr<AcceleratorFactory>& factory,
                                             const std::shared_ptr<RuntimeOptions>& options)
    : factory_(factory) {
  for (const auto& device : factory->devices()) {
    MemoryPool* pool = &device->memory_pool();
    const auto existing =
        std::find_if(pools_.begin(), pools_.end(), [&](const PoolEntry& entry) { return entry.pool == pool; });
    if (existing != pools_.end()) {
      existing->devices += "," + device->info().id;
    } else {
      pools_.push_back({pool, device->info().id});
    }
  }
  for (const auto& entry : pools_) entry.pool->set_max_cached_bytes(options->pool_max_cached_bytes);
}

std::vector<MemoryPoolReport> StandardMemoryManager::report() const {
  std::vector<MemoryPoolReport> result;
  for (const auto& entry : pools_) result.push_back({entry.devices, entry.pool->name(), entry.pool->stats()});
  return result;
}

std::size_t StandardMemoryManager::trim() {
  std::size_t released = 0;
  for (const auto& entry : pools_) released += entry.pool->trim();
  return released;
}

AdvancedMemoryManager::AdvancedMemoryManager(const std::shared_ptr<AcceleratorFactory>& factory,
                                             const std::shared_ptr<RuntimeOptions>& options,
                                             AdvancedMemoryOptions advanced)
    : StandardMemoryManager(factory, options),
      advanced_(advanced),
      thread_([this](std::stop_token stop) { run(std::move(stop)); }) {}

AdvancedMemoryManager::~AdvancedMemoryManager() {
  thread_.request_stop();
  wake_.notify_all();
}

void AdvancedMemoryManager::run(std::stop_token stop) {
  using Clock = std::chrono::steady_clock;
  struct Seen {
    std::uint64_t allocations;
    Clock::time_point since;
  };
  std::vector<Seen> seen(pools_.size(), Seen{0, Clock::now()});
  std::unique_lock lock(mutex_);
  while (!stop.stop_requested()) {
    wake_.wait_for(lock, stop, advanced_.check_interval, [] { return false; });
    const auto now = Clock::now();
    for (std::size_t i = 0; i < pools_.size(); ++i) {
      const MemoryPoolStats stats = pools_[i].pool->stats();
      if (stats.allocations != seen[i].allocations) {
        seen[i] = {stats.allocations, now};  // in use: not idle
      } else if (stats.bytes_cached > 0 && now - seen[i].since >= advanced_.idle_trim_after) {
        const std::size_t released = pools_[i].pool->trim();
        background_trims_.fetch_add(1);
        seen[i].since = now;
        log(LogLevel::debug, "memory: trimmed idle pool '" + pools_[i].pool->name() + "', released " +
                                 std::to_string(released) + " bytes");
      }
    }
  }
}

}  // namespace dotcompute::runtime
