#include "plugin_services.hpp"

#include <algorithm>

#include "../log.hpp"
#include "dotcompute/errors.hpp"

namespace dotcompute::runtime {

namespace {

// The plugin providing contribution `name` (selectors: `Member` = selectors), or "" listing `available`.
template <class Item>
std::string provider_of(const StandardPluginManager& plugins, const std::string& name,
                        std::uint32_t dc_plugin_t::*count, const Item* dc_plugin_t::*items, std::string& available) {
  for (const auto& module : plugins.modules()) {
    const dc_plugin_t& table = module->table();
    for (std::uint32_t i = 0; i < table.*count; ++i) {
      const std::string item_name = (table.*items)[i].name;
      if (item_name == name) return module->name();
      available += (available.empty() ? "" : ", ") + item_name;
    }
  }
  return {};
}

template <class Item>
const Item* find_item(const PluginModule& module, const std::string& name, std::uint32_t dc_plugin_t::*count,
                      const Item* dc_plugin_t::*items) {
  const dc_plugin_t& table = module.table();
  for (std::uint32_t i = 0; i < table.*count; ++i) {
    if (name == (table.*items)[i].name) return &(table.*items)[i];
  }
  return nullptr;
}

std::int32_t device_type_code(DeviceType type) {
  switch (type) {
    case DeviceType::cpu:
      return DC_DEVICE_CPU;
    case DeviceType::gpu:
      return DC_DEVICE_GPU;
    case DeviceType::accelerator:
      return DC_DEVICE_ACCELERATOR;
    case DeviceType::other:
      break;
  }
  return DC_DEVICE_OTHER;
}

std::int32_t execution_code(ExecutionStatus status) {
  return status == ExecutionStatus::succeeded   ? DC_EXECUTION_SUCCEEDED
         : status == ExecutionStatus::cancelled ? DC_EXECUTION_CANCELLED
                                                : DC_EXECUTION_FAILED;
}

std::uint64_t nanoseconds(std::chrono::nanoseconds duration) {
  return static_cast<std::uint64_t>(std::max<std::int64_t>(0, duration.count()));
}

}  // namespace

PluginSelector::PluginSelector(std::shared_ptr<StandardPluginManager> plugins, std::string name)
    : plugins_(std::move(plugins)), name_(std::move(name)) {
  std::string available;
  plugin_ = provider_of(*plugins_, name_, &dc_plugin_t::selector_count, &dc_plugin_t::selectors, available);
  if (plugin_.empty()) {
    throw ArgumentError("backend_selector '" + name_ + "' (RuntimeOptions or DOTCOMPUTE_SELECTOR): no loaded plugin " +
                        "provides it (plugin selectors: " + (available.empty() ? "none" : available) + ")");
  }
}

Selection PluginSelector::select(const SelectionRequest& request) {
  const std::shared_ptr<PluginModule> module = plugins_->module(plugin_);
  const dc_selector_t* selector =
      module ? find_item(*module, name_, &dc_plugin_t::selector_count, &dc_plugin_t::selectors) : nullptr;
  if (selector == nullptr) {
    throw DeviceUnavailableError("selector '" + name_ + "' is gone: plugin '" + plugin_ +
                                 "' is not loaded or no longer provides it");
  }
  std::vector<dc_candidate_t> candidates;
  candidates.reserve(request.candidates.size());
  for (const auto& device : request.candidates) {
    const DeviceInfo& info = device->info();
    candidates.push_back({info.id.c_str(), info.backend.c_str(), info.name.c_str(), device_type_code(info.type),
                          info.compute_units, info.global_memory_bytes});
  }
  dc_selection_request_t raw{};
  raw.struct_size = sizeof(raw);
  raw.kernel = request.kernel.name.c_str();
  for (int d = 0; d < 3; ++d) raw.global[d] = request.range[d];
  raw.candidate_count = static_cast<std::uint32_t>(candidates.size());
  raw.candidates = candidates.data();
  std::uint32_t chosen = 0;
  dc_message_t reason{};
  const dc_status_t status = selector->select(module->state(), &raw, &chosen, &reason);
  if (status != DC_STATUS_OK) {
    throw DeviceUnavailableError("selector '" + name_ + "' of plugin '" + plugin_ + "' failed for kernel '" +
                                 request.kernel.name + "': " + message_text(reason, "no message"));
  }
  if (chosen >= candidates.size()) {
    throw DeviceUnavailableError("selector '" + name_ + "' of plugin '" + plugin_ + "' chose candidate " +
                                 std::to_string(chosen) + " of " + std::to_string(candidates.size()));
  }
  return {request.candidates[chosen].get(),
          "plugin selector '" + name_ + "': " + message_text(reason, "no reason given")};
}

PluginTelemetrySinks::PluginTelemetrySinks(std::shared_ptr<StandardPluginManager> plugins)
    : plugins_(std::move(plugins)) {
  for (const auto& module : plugins_->modules()) enabled_ = enabled_ || module->table().telemetry_sink_count > 0;
}

void PluginTelemetrySinks::execution_finished(const KernelResult& result, ExecutionStatus status) noexcept {
  try {
    dc_execution_record_t record{};
    record.struct_size = sizeof(record);
    record.kernel = result.kernel.c_str();
    record.device = result.device.c_str();
    record.selection_reason = result.selection_reason.c_str();
    record.status = execution_code(status);
    record.queued_ns = nanoseconds(result.timings.queued);
    record.transfer_ns = nanoseconds(result.timings.transfer);
    record.compute_ns = nanoseconds(result.timings.compute);
    record.total_ns = nanoseconds(result.timings.total);
    for (const auto& module : plugins_->modules()) {
      const dc_plugin_t& table = module->table();
      for (std::uint32_t i = 0; i < table.telemetry_sink_count; ++i) {
        table.telemetry_sinks[i].execution_finished(module->state(), &record);
      }
    }
  } catch (...) {
    // A sink must never fail an execution.
  }
}

PluginMemoryManager::PluginMemoryManager(std::shared_ptr<AcceleratorFactory> factory,
                                         std::shared_ptr<StandardPluginManager> plugins, std::string name)
    : StandardMemoryManager(std::move(factory)), plugins_(std::move(plugins)), name_(std::move(name)) {
  std::string available;
  plugin_ = provider_of(*plugins_, name_, &dc_plugin_t::memory_manager_count, &dc_plugin_t::memory_managers, available);
  if (plugin_.empty()) {
    throw ArgumentError("memory_manager '" + name_ + "' (RuntimeOptions or DOTCOMPUTE_MEMORY_MANAGER): no loaded " +
                        "plugin provides it (plugin memory managers: " + (available.empty() ? "none" : available) +
                        ")");
  }
  interval_ms_ =
      find_item(*plugins_->module(plugin_), name_, &dc_plugin_t::memory_manager_count, &dc_plugin_t::memory_managers)
          ->interval_ms;
  thread_ = std::jthread([this](std::stop_token stop) { run(std::move(stop)); });
}

PluginMemoryManager::~PluginMemoryManager() {
  thread_.request_stop();
  wake_.notify_all();
}

void PluginMemoryManager::review_once() {
  const std::shared_ptr<PluginModule> module = plugins_->module(plugin_);
  const dc_memory_manager_t* manager =
      module ? find_item(*module, name_, &dc_plugin_t::memory_manager_count, &dc_plugin_t::memory_managers) : nullptr;
  if (manager == nullptr) return;  // gone with a reload: nothing to review
  const std::vector<PoolEntry> entries = pools();
  std::vector<std::string> names;
  std::vector<dc_pool_report_t> reports;
  names.reserve(entries.size());
  for (const auto& entry : entries) {
    const MemoryPoolStats stats = entry.pool->stats();
    names.push_back(entry.pool->name());
    reports.push_back({names.back().c_str(), entry.devices.c_str(), stats.allocations, stats.bytes_in_use,
                       stats.bytes_cached, stats.peak_bytes_held});
  }
  std::vector<std::uint8_t> trim(reports.size(), 0);
  manager->review(module->state(), reports.data(), static_cast<std::uint32_t>(reports.size()), trim.data());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (trim[i] == 0) continue;
    const std::size_t released = entries[i].pool->trim();
    log(LogLevel::debug, "memory manager " + name_ + ": trimmed pool '" + names[i] + "', released " +
                             std::to_string(released) + " bytes");
  }
}

void PluginMemoryManager::run(std::stop_token stop) {
  std::unique_lock lock(mutex_);
  while (!stop.stop_requested()) {
    wake_.wait_for(lock, stop, std::chrono::milliseconds(interval_ms_), [] { return false; });
    if (stop.stop_requested()) return;
    review_once();
  }
}

}  // namespace dotcompute::runtime
