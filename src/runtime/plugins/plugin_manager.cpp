#include "plugin_manager.hpp"

#include <dlfcn.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>

#include "../log.hpp"
#include "dotcompute/errors.hpp"
#include "plugin_host_pinner.hpp"

namespace dotcompute::runtime {

namespace {

constexpr std::uint32_t kMaxDevicesPerBackend = 256;

// The folder the runtime library was loaded from (installed plugins lie in
// dotcompute/plugins under it).
std::filesystem::path runtime_library_directory() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&runtime_library_directory), &info) == 0 || info.dli_fname == nullptr) return {};
  return std::filesystem::path(info.dli_fname).parent_path();
}

bool looks_like_shared_library(const std::filesystem::path& file) {
  const std::string name = file.filename().string();
  return name.ends_with(".so") || name.find(".so.") != std::string::npos;
}

// A name contributions of `mine` and `theirs` (the arrays at `count`/`items`) share, or "".
template <class Item>
std::string shared_name(const dc_plugin_t& mine, const dc_plugin_t& theirs, std::uint32_t dc_plugin_t::*count,
                        const Item* dc_plugin_t::*items) {
  for (std::uint32_t i = 0; i < mine.*count; ++i) {
    for (std::uint32_t j = 0; j < theirs.*count; ++j) {
      if (std::string_view((mine.*items)[i].name) == (theirs.*items)[j].name) return (mine.*items)[i].name;
    }
  }
  return {};
}

std::string lowercase(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

StandardPluginManager::StandardPluginManager(const std::shared_ptr<RuntimeOptions>& options,
                                             const std::shared_ptr<KernelDiscovery>& discovery)
    : registry_(discovery->registry()) {
  for (const auto& digest : options->plugin_allowlist) settings_.allowlist.push_back(lowercase(digest));
  settings_.cache_directory = options->cache_directory;
  settings_.private_copy = options->plugin_hot_reload;
  load_all(*options);
  if (options->plugin_hot_reload) {
    const std::chrono::milliseconds interval(options->plugin_reload_interval_ms);
    watcher_ = std::jthread([this, interval](std::stop_token stop) { watch(std::move(stop), interval); });
  }
}

StandardPluginManager::~StandardPluginManager() {
  if (watcher_.joinable()) {
    watcher_.request_stop();
    wake_.notify_all();
    watcher_.join();
  }
}

void StandardPluginManager::load_all(const RuntimeOptions& options) {
  for (const dc_plugin_entry_fn entry_point : options.in_process_plugins) {
    auto entry = std::make_unique<Entry>();
    entry->record.path = "<in-process>";
    Entry& added = *entries_.emplace_back(std::move(entry));
    add_loaded(added, load_in_process_plugin(entry_point, settings_));
  }
  std::vector<std::filesystem::path> places(options.plugin_paths.begin(), options.plugin_paths.end());
  if (const auto installed = runtime_library_directory() / "dotcompute" / "plugins";
      std::filesystem::exists(installed)) {
    places.push_back(installed);
  }
  for (const auto& place : places) {
    std::error_code error;
    if (std::filesystem::is_directory(place, error)) {
      std::vector<std::filesystem::path> files;
      for (const auto& item : std::filesystem::directory_iterator(place, error)) {
        if (looks_like_shared_library(item.path())) files.push_back(item.path());
      }
      std::sort(files.begin(), files.end());
      for (const auto& file : files) add_candidate(file);
    } else if (std::filesystem::exists(place, error)) {
      add_candidate(place);
    } else {
      auto entry = std::make_unique<Entry>();
      entry->record.path = place.string();
      entry->record.reason = "no such file or folder (from the plugin path)";
      entries_.push_back(std::move(entry));
    }
  }
}

void StandardPluginManager::add_candidate(const std::filesystem::path& file) {
  std::error_code error;
  const std::filesystem::path real = std::filesystem::canonical(file, error);
  const std::filesystem::path path = error ? file : real;  // checks apply to the real file and its real folder
  for (const auto& entry : entries_) {
    if (entry->file == path) return;  // listed twice on the path
  }
  auto entry = std::make_unique<Entry>();
  entry->record.path = path.string();
  entry->file = path;
  entry->loaded_signature = signature_of(path);
  Entry& added = *entries_.emplace_back(std::move(entry));
  add_loaded(added, load_plugin_file(path, settings_));
}

void StandardPluginManager::add_loaded(Entry& entry, PluginLoad load) {
  entry.record.name = load.name;
  entry.record.version = load.version;
  entry.record.description = load.description;
  entry.record.sha256 = load.sha256;
  if (load.module && load.reason.empty()) load.reason = clash(*load.module, &entry);
  if (load.module && load.reason.empty()) {
    try {
      register_kernels(entry, *load.module);
    } catch (const std::exception& error) {
      load.reason = std::string("a kernel source it contributes was rejected: ") + error.what();
    }
  }
  if (!load.reason.empty()) {
    entry.record.reason = std::move(load.reason);
    log(LogLevel::info, "plugin " + entry.record.path + " skipped: " + entry.record.reason);
    return;
  }
  entry.module = std::move(load.module);
  entry.record.loaded = true;
  entry.record.generation = 1;
  entry.record.contributions = contributions(*entry.module);
  log(LogLevel::debug,
      "plugin " + entry.module->name() + " " + entry.record.version + " loaded from " + entry.record.path);
}

std::string StandardPluginManager::clash(const PluginModule& module, const Entry* self) const {
  const dc_plugin_t& table = module.table();
  for (const auto& other : entries_) {
    if (other.get() == self || !other->module) continue;
    const dc_plugin_t& taken = other->module->table();
    const std::string where = " (plugin '" + other->module->name() + "' from " + other->record.path + ")";
    if (other->module->name() == module.name())
      return "a plugin named '" + module.name() + "' is already loaded" + where;
    const std::pair<const char*, std::string> shared[] = {
        {"backend", shared_name(table, taken, &dc_plugin_t::backend_count, &dc_plugin_t::backends)},
        {"selector", shared_name(table, taken, &dc_plugin_t::selector_count, &dc_plugin_t::selectors)},
        {"memory manager",
         shared_name(table, taken, &dc_plugin_t::memory_manager_count, &dc_plugin_t::memory_managers)}};
    for (const auto& [kind, name] : shared) {
      if (!name.empty()) return std::string(kind) + " '" + name + "' is already provided" + where;
    }
  }
  return {};
}

void StandardPluginManager::register_kernels(Entry& entry, const PluginModule& module) {
  const dc_plugin_t& table = module.table();
  std::map<std::string, std::vector<std::string>> registered;
  for (std::uint32_t i = 0; i < table.kernel_source_count; ++i) {
    const std::string path = table.kernel_sources[i].path;
    const auto previous = entry.kernels.find(path);
    const std::span<const std::string> replacing = previous != entry.kernels.end()
                                                       ? std::span<const std::string>(previous->second)
                                                       : std::span<const std::string>();
    registered[path] = registry_.add_source(table.kernel_sources[i].source, module.name() + ":" + path, replacing);
  }
  for (const auto& [path, names] : entry.kernels) {
    if (registered.contains(path)) continue;
    for (const auto& name : names) registry_.remove(name);  // a source the new version dropped
  }
  entry.kernels = std::move(registered);
}

std::vector<std::string> StandardPluginManager::contributions(const PluginModule& module) {
  const dc_plugin_t& table = module.table();
  std::vector<std::string> result;
  for (std::uint32_t i = 0; i < table.backend_count; ++i)
    result.push_back("backend " + std::string(table.backends[i].name));
  for (std::uint32_t i = 0; i < table.selector_count; ++i)
    result.push_back("selector " + std::string(table.selectors[i].name));
  for (std::uint32_t i = 0; i < table.memory_manager_count; ++i) {
    result.push_back("memory_manager " + std::string(table.memory_managers[i].name));
  }
  for (std::uint32_t i = 0; i < table.telemetry_sink_count; ++i) {
    result.push_back("telemetry_sink " + std::string(table.telemetry_sinks[i].name));
  }
  for (std::uint32_t i = 0; i < table.kernel_source_count; ++i) {
    result.push_back("kernels " + std::string(table.kernel_sources[i].path));
  }
  return result;
}

std::vector<PluginRecord> StandardPluginManager::records() const {
  std::lock_guard lock(mutex_);
  std::vector<PluginRecord> result;
  for (const auto& entry : entries_) result.push_back(entry->record);
  return result;
}

std::vector<PluginBackendSource> StandardPluginManager::backends() const {
  std::lock_guard lock(mutex_);
  std::vector<PluginBackendSource> result;
  for (const auto& entry : entries_) {
    if (!entry->module) continue;
    const dc_plugin_t& table = entry->module->table();
    for (std::uint32_t i = 0; i < table.backend_count; ++i)
      result.push_back({entry->module->name(), table.backends[i].name});
  }
  return result;
}

std::shared_ptr<PluginModule> StandardPluginManager::module(const std::string& plugin) const {
  std::lock_guard lock(mutex_);
  for (const auto& entry : entries_) {
    if (entry->module && entry->module->name() == plugin) return entry->module;
  }
  return nullptr;
}

std::vector<std::shared_ptr<PluginModule>> StandardPluginManager::modules() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<PluginModule>> result;
  for (const auto& entry : entries_) {
    if (entry->module) result.push_back(entry->module);
  }
  return result;
}

namespace {

// The index of backend `name` in `table`, or backend_count.
std::uint32_t backend_index(const dc_plugin_t& table, const std::string& name) {
  std::uint32_t index = 0;
  while (index < table.backend_count && name != table.backends[index].name) ++index;
  return index;
}

// How many devices backend `index` of `module` has; throws DeviceUnavailableError with its reason.
std::uint32_t device_count(const PluginModule& module, std::uint32_t index) {
  const dc_backend_t& backend = module.table().backends[index];
  std::uint32_t count = 0;
  dc_message_t message{};
  const dc_status_t status = backend.device_count(module.state(), &count, &message);
  if (status != DC_STATUS_OK) {
    throw DeviceUnavailableError(
        "plugin '" + module.name() +
        "': " + (status == DC_STATUS_UNAVAILABLE ? "unusable on this machine: " : "enumeration failed: ") +
        message_text(message, "no reason given"));
  }
  if (count > kMaxDevicesPerBackend) {
    throw DeviceUnavailableError("plugin '" + module.name() + "' reports an implausible " + std::to_string(count) +
                                 " devices");
  }
  return count;
}

// What backend `index` of `module` left out while enumerating, one reason each.
std::vector<std::string> skipped_parts(const PluginModule& module, std::uint32_t index) {
  const dc_backend_t& backend = module.table().backends[index];
  std::vector<std::string> reasons;
  if (backend.skipped_count == nullptr || backend.skipped_reason == nullptr) return reasons;
  const std::uint32_t count = std::min(backend.skipped_count(module.state()), kMaxDevicesPerBackend);
  for (std::uint32_t i = 0; i < count; ++i) {
    dc_message_t reason{};
    backend.skipped_reason(module.state(), i, &reason);
    reasons.push_back(message_text(reason, "no reason given"));
  }
  return reasons;
}

}  // namespace

std::vector<std::shared_ptr<Accelerator>> StandardPluginManager::start_backend(const PluginBackendSource& source,
                                                                               std::vector<std::string>& skipped) {
  std::lock_guard reloading(reload_mutex_);  // a reload must see every started device
  std::shared_ptr<PluginModule> current = module(source.plugin);
  if (!current) throw DeviceUnavailableError("plugin '" + source.plugin + "' is not loaded");
  const std::uint32_t index = backend_index(current->table(), source.backend);
  if (index == current->table().backend_count) {
    throw DeviceUnavailableError("plugin '" + source.plugin + "' no longer provides backend '" + source.backend + "'");
  }
  const std::uint32_t count = device_count(*current, index);
  skipped = skipped_parts(*current, index);
  if (count > 0) install_plugin_host_pinner(current, index);
  std::vector<std::shared_ptr<Accelerator>> devices;
  std::vector<std::weak_ptr<PluginAccelerator>> watched;
  for (std::uint32_t device = 0; device < count; ++device) {
    auto accelerator = make_plugin_device(current, index, device);
    watched.push_back(accelerator);
    devices.push_back(std::move(accelerator));
  }
  std::lock_guard lock(mutex_);
  for (auto& entry : entries_) {
    if (entry->module == current) entry->devices[source.backend] = std::move(watched);
  }
  return devices;
}

StandardPluginManager::FileSignature StandardPluginManager::signature_of(const std::filesystem::path& file) {
  struct stat status {};
  if (stat(file.c_str(), &status) != 0) return {};
  return {static_cast<std::int64_t>(status.st_mtim.tv_sec) * 1'000'000'000 + status.st_mtim.tv_nsec,
          static_cast<std::uintmax_t>(status.st_size), static_cast<std::uint64_t>(status.st_ino)};
}

std::size_t StandardPluginManager::reload_changed() { return reload(false); }

std::size_t StandardPluginManager::reload(bool wait_until_stable) {
  std::lock_guard reloading(reload_mutex_);
  std::size_t reloaded = 0;
  for (auto& entry : entries_) {  // the list itself never changes after construction
    if (!entry->module || entry->file.empty()) continue;
    const FileSignature now = signature_of(entry->file);
    if (now == FileSignature{} || now == entry->loaded_signature) continue;  // gone (being replaced?) or unchanged
    if (wait_until_stable && now != entry->pending_signature) {
      entry->pending_signature = now;  // still being written, perhaps: look again next time
      continue;
    }
    reload_entry(*entry, now);
    ++reloaded;
  }
  return reloaded;
}

void StandardPluginManager::reload_entry(Entry& entry, const FileSignature& signature) {
  entry.loaded_signature = signature;  // a failed version is not retried until the file changes again
  PluginLoadSettings settings = settings_;
  settings.private_copy = true;  // dlopen of the same path would hand back the old library
  PluginLoad load = load_plugin_file(entry.file, settings);
  const std::string name = entry.module->name();
  std::string problem = load.reason;
  if (problem.empty() && load.module->name() != name) {
    problem = "the new file is plugin '" + load.module->name() + "', not '" + name + "'";
  }
  if (problem.empty()) {
    std::lock_guard lock(mutex_);
    problem = clash(*load.module, &entry);
  }
  std::shared_ptr<PluginModule> next = std::move(load.module);
  if (problem.empty()) {
    try {
      register_kernels(entry, *next);
    } catch (const std::exception& error) {
      problem = std::string("a kernel source it contributes was rejected: ") + error.what();
    }
  }
  if (!problem.empty()) {
    std::lock_guard lock(mutex_);
    entry.record.reload_error = std::move(problem);
    log(LogLevel::warning,
        "plugin " + name + ": reload failed, the loaded version keeps serving: " + entry.record.reload_error);
    return;
  }
  // Devices started from the old version move to the new one (or retire).
  std::string device_problem;
  for (auto& [backend_name, devices] : entry.devices) {
    const std::uint32_t index = backend_index(next->table(), backend_name);
    std::uint32_t count = 0;
    std::string missing;
    if (index == next->table().backend_count) {
      missing = "plugin '" + name + "' no longer provides backend '" + backend_name + "'";
    } else {
      try {
        count = device_count(*next, index);
      } catch (const std::exception& error) {
        missing = error.what();
      }
    }
    for (std::uint32_t device = 0; device < devices.size(); ++device) {
      const auto accelerator = devices[device].lock();
      if (!accelerator) continue;
      try {
        if (device < count) {
          accelerator->replace(next, index);
        } else {
          accelerator->retire(!missing.empty() ? missing
                                               : "the new version of plugin '" + name + "' has " +
                                                     std::to_string(count) + " devices");
        }
      } catch (const std::exception& error) {
        device_problem += std::string(device_problem.empty() ? "" : "; ") + error.what();
      }
    }
  }
  std::lock_guard lock(mutex_);
  entry.module = std::move(next);  // the old version unloads once nothing holds it
  entry.record.version = load.version;
  entry.record.description = load.description;
  entry.record.sha256 = load.sha256;
  entry.record.contributions = contributions(*entry.module);
  entry.record.generation += 1;
  entry.record.reload_error = std::move(device_problem);
  log(LogLevel::info, "plugin " + name + " reloaded: version " + entry.record.version);
}

void StandardPluginManager::watch(std::stop_token stop, std::chrono::milliseconds interval) {
  std::mutex mutex;
  std::unique_lock lock(mutex);
  while (!stop.stop_requested()) {
    wake_.wait_for(lock, stop, interval, [] { return false; });
    if (stop.stop_requested()) return;
    try {
      reload(true);
    } catch (const std::exception& error) {
      log(LogLevel::error, std::string("plugin hot reload: ") + error.what());
    }
  }
}

}  // namespace dotcompute::runtime
