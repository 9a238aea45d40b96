#include "standard_services.hpp"

#include <algorithm>
#include <map>

#include "argument_binding.hpp"
#include "dotcompute/backend/cpu_backend.hpp"
#include "log.hpp"
#include "plugins/plugin_manager.hpp"

namespace dotcompute::runtime {

StandardAcceleratorFactory::StandardAcceleratorFactory(const std::shared_ptr<RuntimeOptions>& options,
                                                       const std::shared_ptr<StandardPluginManager>& plugins)
    : pool_max_cached_bytes_(options->pool_max_cached_bytes), enabled_(options->backends) {
  host_memory_pool()->set_max_cached_bytes(pool_max_cached_bytes_);  // host replicas, before any backend starts
  const std::size_t threads = options->cpu_threads;
  const auto add = [this](std::string name, decltype(Backend::start) starter) {
    auto backend = std::make_unique<Backend>();
    backend->name = std::move(name);
    backend->start = std::move(starter);
    backends_.push_back(std::move(backend));
  };
  add("cpu", [threads](std::vector<std::string>&) {
    return make_cpu_provider(CpuBackendOptions{.threads = threads})->devices();
  });
  for (const PluginBackendSource& source : plugins->backends()) {
    add(source.backend, [plugins, source](std::vector<std::string>& partly_skipped) {
      return plugins->start_backend(source, partly_skipped);
    });
  }
}

void StandardAcceleratorFactory::start(Backend& backend) {
  if (backend.done.load(std::memory_order_acquire)) return;  // every launch passes here: no call_once
  std::call_once(backend.started, [&] {
    // A backend that cannot start is skipped with its reason; it never takes the others down.
    try {
      if (!enabled_.empty() && std::find(enabled_.begin(), enabled_.end(), backend.name) == enabled_.end()) {
        throw DeviceUnavailableError("excluded by RuntimeOptions::backends (DOTCOMPUTE_BACKENDS)");
      }
      backend.devices = backend.start(backend.partly_skipped);
      if (backend.devices.empty()) backend.skipped_reason = "no devices";
    } catch (const ArgumentError&) {
      throw;  // a malformed DOTCOMPUTE_* variable is the caller's to fix
    } catch (const std::exception& error) {
      backend.skipped_reason = error.what();
    }
    for (const auto& device : backend.devices) {
      device->memory_pool().set_max_cached_bytes(pool_max_cached_bytes_);
      log(LogLevel::debug, "device " + device->info().id + ": " + device->info().name);
    }
    if (!backend.skipped_reason.empty()) {
      log(LogLevel::info, "skipped backend " + backend.name + ": " + backend.skipped_reason);
    }
    backend.done.store(true, std::memory_order_release);
  });
}

void StandardAcceleratorFactory::start_all() {
  if (all_done_.load(std::memory_order_acquire)) return;
  std::call_once(all_started_, [this] {
    for (auto& backend : backends_) {
      start(*backend);
      all_devices_.insert(all_devices_.end(), backend->devices.begin(), backend->devices.end());
      if (!backend->skipped_reason.empty()) skipped_.push_back({backend->name, backend->skipped_reason});
    }
    for (auto& backend : backends_) {
      for (const auto& reason : backend->partly_skipped) skipped_.push_back({backend->name, reason});
    }
    all_done_.store(true, std::memory_order_release);
  });
}

const std::vector<std::shared_ptr<Accelerator>>& StandardAcceleratorFactory::devices() {
  start_all();
  return all_devices_;
}

std::span<const std::shared_ptr<Accelerator>> StandardAcceleratorFactory::devices_of(std::string_view name) {
  for (auto& backend : backends_) {
    if (backend->name != name) continue;
    start(*backend);
    return backend->devices;
  }
  return {};
}

std::vector<std::shared_ptr<Accelerator>> StandardAcceleratorFactory::started_devices() const {
  std::vector<std::shared_ptr<Accelerator>> result;
  for (const auto& backend : backends_) {
    if (backend->done.load(std::memory_order_acquire)) {
      result.insert(result.end(), backend->devices.begin(), backend->devices.end());
    }
  }
  return result;
}

const std::vector<SkippedBackend>& StandardAcceleratorFactory::skipped() {
  start_all();
  return skipped_;
}

Execution StandardKernelExecutionService::launch(std::shared_ptr<const KernelDefinition> kernel, Accelerator& device,
                                                 const Range& range, std::span<const KernelArg> args,
                                                 const ExecutionOptions& options, SharedText selection_reason,
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

std::vector<StandardMemoryManager::PoolEntry> StandardMemoryManager::pools() const {
  // The host pool always exists (host replicas of every buffer live there).
  std::vector<PoolEntry> result{{host_memory_pool().get(), "host"}};
  for (const auto& device : factory_->started_devices()) {
    MemoryPool* pool = &device->memory_pool();
    const auto existing =
        std::find_if(result.begin(), result.end(), [&](const PoolEntry& entry) { return entry.pool == pool; });
    if (existing != result.end()) {
      existing->devices += "," + device->info().id;
    } else {
      result.push_back({pool, device->info().id});
    }
  }
  return result;
}

std::vector<MemoryPoolReport> StandardMemoryManager::report() const {
  std::vector<MemoryPoolReport> result;
  for (const auto& entry : pools()) result.push_back({entry.devices, entry.pool->name(), entry.pool->stats()});
  return result;
}

std::size_t StandardMemoryManager::trim() {
  std::size_t released = 0;
  for (const auto& entry : pools()) released += entry.pool->trim();
  return released;
}

AdvancedMemoryManager::AdvancedMemoryManager(std::shared_ptr<AcceleratorFactory> factory,
                                             AdvancedMemoryOptions advanced)
    : StandardMemoryManager(std::move(factory)),
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
  std::map<const MemoryPool*, Seen> seen;
  std::unique_lock lock(mutex_);
  while (!stop.stop_requested()) {
    wake_.wait_for(lock, stop, advanced_.check_interval, [] { return false; });
    const auto now = Clock::now();
    for (const auto& entry : pools()) {
      const MemoryPoolStats stats = entry.pool->stats();
      auto [it, inserted] = seen.try_emplace(entry.pool, Seen{stats.allocations, now});
      Seen& pool_seen = it->second;
      if (stats.allocations != pool_seen.allocations) {
        pool_seen = {stats.allocations, now};  // in use: not idle
      } else if (stats.bytes_cached > 0 && now - pool_seen.since >= advanced_.idle_trim_after) {
        const std::size_t released = entry.pool->trim();
        pool_seen.since = now;
        log(LogLevel::debug,
            "memory: trimmed idle pool '" + entry.pool->name() + "', released " + std::to_string(released) + " bytes");
      }
    }
  }
}

}  // namespace dotcompute::runtime
