#include "plugin_module.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "../component_name.hpp"
#include "../log.hpp"
#include "dotcompute/backend/device_lifetime.hpp"
#include "plugin_file_checks.hpp"
#include "sha256.hpp"

namespace dotcompute::runtime {

namespace {

constexpr std::uint32_t kMaxContributions = 64;
constexpr const char* kRuntimeVersion = "0.1.0";

bool is_name(const char* name) { return name != nullptr && is_component_name(name); }

std::string quoted(const char* text) { return text != nullptr ? "'" + std::string(text) + "'" : "(null)"; }

template <class Item>
std::string array_problem(const char* what, std::uint32_t count, const Item* items) {
  if (count > kMaxContributions) {
    return std::string(what) + " count " + std::to_string(count) + " is implausible (at most " +
           std::to_string(kMaxContributions) + ")";
  }
  if (count > 0 && items == nullptr)
    return std::string(what) + " count is " + std::to_string(count) + " but the array is null";
  return {};
}

// Reads `count` items laid out with the element size the plugin declared in
// the first one's struct_size (at least `minimum`, the item's first ABI 1
// layout), each into a zeroed item of this runtime's layout.
template <class Item>
std::string read_items(const char* what, const Item* items, std::uint32_t count, std::size_t minimum,
                       std::vector<Item>& out) {
  static_assert(offsetof(Item, struct_size) == 0 && sizeof(Item::struct_size) == sizeof(std::uint32_t));
  if (std::string why = array_problem(what, count, items); !why.empty()) return why;
  const auto* bytes = reinterpret_cast<const unsigned char*>(items);
  std::uint32_t stride = 0;
  if (count > 0) std::memcpy(&stride, bytes, sizeof stride);
  if (count > 0 && stride < minimum) {
    return std::string(what) + " table declares " + std::to_string(stride) + " bytes, fewer than the " +
           std::to_string(minimum) + " of ABI version " + std::to_string(DC_PLUGIN_ABI_VERSION);
  }
  for (std::uint32_t i = 0; i < count; ++i) {
    const unsigned char* at = bytes + std::size_t{i} * stride;
    std::uint32_t size = 0;
    std::memcpy(&size, at, sizeof size);
    if (size != stride) {
      return std::string(what) + " table " + std::to_string(i) + " declares " + std::to_string(size) +
             " bytes, unlike the first one's " + std::to_string(stride);
    }
    Item item{};
    std::memcpy(static_cast<void*>(&item), at, std::min<std::size_t>(stride, sizeof(Item)));
    item.struct_size = sizeof(Item);  // every field is now readable (the undeclared ones zero)
    out.push_back(item);
  }
  return {};
}

std::string backend_problem(const dc_backend_t& backend) {
  if (!is_name(backend.name)) return "backend name " + quoted(backend.name) + " is not [a-z0-9_]+";
  const std::string name = backend.name;
  if (name == "cpu") return "backend name '" + name + "' is reserved";
  const std::pair<const char*, bool> required[] = {{"device_count", backend.device_count != nullptr},
                                                   {"device_info", backend.device_info != nullptr},
                                                   {"prepare_kernel", backend.prepare_kernel != nullptr},
                                                   {"release_kernel", backend.release_kernel != nullptr},
                                                   {"launch", backend.launch != nullptr},
                                                   {"synchronize", backend.synchronize != nullptr}};
  for (const auto& [function, present] : required) {
    if (!present) return "backend '" + name + "' has no " + function + " function";
  }
  const int memory_functions = (backend.allocate != nullptr) + (backend.release != nullptr) +
                               (backend.upload != nullptr) + (backend.download != nullptr);
  if (memory_functions != 0 && memory_functions != 4) {
    return "backend '" + name + "' has some of allocate/release/upload/download but not all four";
  }
  if ((backend.pin_host == nullptr) != (backend.unpin_host == nullptr)) {
    return "backend '" + name + "' has one of pin_host/unpin_host but not both";
  }
  return {};
}

// Re-reads the contribution arrays of `raw` into `normalized` (see
// NormalizedTable); why they are malformed, or "".
std::string normalize_contributions(const dc_plugin_t& raw, NormalizedTable& normalized) {
  if (std::string why = array_problem("kernel source", raw.kernel_source_count, raw.kernel_sources); !why.empty())
    return why;
  // dc_backend_t gained `features` within ABI 1: a table without it is still version 1.
  if (std::string why =
          read_items("backend", raw.backends, raw.backend_count, offsetof(dc_backend_t, features), normalized.backends);
      !why.empty())
    return why;
  if (std::string why =
          read_items("selector", raw.selectors, raw.selector_count, sizeof(dc_selector_t), normalized.selectors);
      !why.empty())
    return why;
  if (std::string why = read_items("memory manager", raw.memory_managers, raw.memory_manager_count,
                                   sizeof(dc_memory_manager_t), normalized.memory_managers);
      !why.empty())
    return why;
  if (std::string why = read_items("telemetry sink", raw.telemetry_sinks, raw.telemetry_sink_count,
                                   sizeof(dc_telemetry_sink_t), normalized.telemetry_sinks);
      !why.empty())
    return why;
  normalized.table.backends = normalized.backends.data();
  normalized.table.selectors = normalized.selectors.data();
  normalized.table.memory_managers = normalized.memory_managers.data();
  normalized.table.telemetry_sinks = normalized.telemetry_sinks.data();
  return {};
}

std::string contributions_problem(const dc_plugin_t& table) {
  for (std::uint32_t i = 0; i < table.backend_count; ++i) {
    if (std::string why = backend_problem(table.backends[i]); !why.empty()) return why;
  }
  for (std::uint32_t i = 0; i < table.selector_count; ++i) {
    const dc_selector_t& selector = table.selectors[i];
    if (!is_name(selector.name) || selector.select == nullptr) {
      return "selector " + quoted(selector.name) + " needs a [a-z0-9_]+ name and a select function";
    }
  }
  for (std::uint32_t i = 0; i < table.memory_manager_count; ++i) {
    const dc_memory_manager_t& manager = table.memory_managers[i];
    if (!is_name(manager.name) || manager.review == nullptr || manager.interval_ms == 0) {
      return "memory manager " + quoted(manager.name) +
             " needs a [a-z0-9_]+ name, a review function and an interval of at least 1 ms";
    }
  }
  for (std::uint32_t i = 0; i < table.telemetry_sink_count; ++i) {
    const dc_telemetry_sink_t& sink = table.telemetry_sinks[i];
    if (!is_name(sink.name) || sink.execution_finished == nullptr) {
      return "telemetry sink " + quoted(sink.name) + " needs a [a-z0-9_]+ name and an execution_finished function";
    }
  }
  for (std::uint32_t i = 0; i < table.kernel_source_count; ++i) {
    if (table.kernel_sources[i].source == nullptr || table.kernel_sources[i].path == nullptr) {
      return "kernel source " + std::to_string(i) + " has no text or no path";
    }
  }
  return {};
}

// `table` (not null) in this runtime's layout, or null with why it is
// malformed (ABI version, sizes, names, missing functions) in `problem`.
std::unique_ptr<NormalizedTable> normalize_table(const dc_plugin_t* table, std::string& problem) {
  if (table->abi_version != DC_PLUGIN_ABI_VERSION) {
    problem = "wrong ABI version " + std::to_string(table->abi_version) + " (this runtime speaks version " +
              std::to_string(DC_PLUGIN_ABI_VERSION) + ")";
    return nullptr;
  }
  if (table->struct_size < sizeof(dc_plugin_t)) {
    problem = "its table declares " + std::to_string(table->struct_size) + " bytes, fewer than the " +
              std::to_string(sizeof(dc_plugin_t)) + " of ABI version " + std::to_string(DC_PLUGIN_ABI_VERSION);
    return nullptr;
  }
  if (!is_name(table->name)) {
    problem = "plugin name " + quoted(table->name) + " is not [a-z0-9_]+";
    return nullptr;
  }
  auto normalized = std::make_unique<NormalizedTable>();
  normalized->table = *table;  // nothing was appended to dc_plugin_t yet: its layout is this runtime's
  normalized->table.struct_size = sizeof(dc_plugin_t);
  problem = normalize_contributions(*table, *normalized);
  if (problem.empty()) problem = contributions_problem(normalized->table);
  if (!problem.empty()) return nullptr;
  return normalized;
}

// A folder only this process's user can enter (mkdtemp: mode 0700), for
// private copies of plugin files; removed when the process exits.
const std::filesystem::path& private_folder() {
  struct Folder {
    Folder() {
      const char* tmp = std::getenv("TMPDIR");
      std::string pattern = std::string(tmp != nullptr && *tmp == '/' ? tmp : "/tmp") + "/dotcompute-plugins-XXXXXX";
      if (mkdtemp(pattern.data()) != nullptr) path = pattern;
    }
    ~Folder() {
      std::error_code ignored;
      if (!path.empty()) std::filesystem::remove_all(path, ignored);  // mapped copies stay valid once unlinked
    }
    std::filesystem::path path;
  };
  static const Folder folder;
  return folder.path;
}

std::filesystem::path make_private_copy(const std::filesystem::path& file, std::string& reason) {
  static std::atomic<unsigned> counter{0};
  const std::filesystem::path& folder = private_folder();
  if (folder.empty()) {
    reason = "cannot create a private folder for plugin copies under $TMPDIR or /tmp";
    return {};
  }
  const std::filesystem::path copy = folder / (std::to_string(counter.fetch_add(1)) + "-" + file.filename().string());
  std::error_code error;
  std::filesystem::copy_file(file, copy, std::filesystem::copy_options::overwrite_existing, error);
  if (error) {
    reason = "cannot copy it to " + copy.string() + ": " + error.message();
    return {};
  }
  return copy;
}

// Calls the table's init; the module on success, else the reason.
PluginLoad initialise(const dc_plugin_t* table, void* library, const std::string& path,
                      const std::filesystem::path& private_copy, const PluginLoadSettings& settings) {
  PluginLoad load;
  const auto discard = [&](std::string reason) {
    if (library != nullptr) dlclose(library);
    if (!private_copy.empty()) std::filesystem::remove(private_copy);
    load.reason = std::move(reason);
    return load;
  };
  if (table == nullptr) return discard("its entry point returned no table");
  // Read what can be read before judging the table, to name it in the record.
  if (table->abi_version == DC_PLUGIN_ABI_VERSION && table->struct_size >= sizeof(dc_plugin_t)) {
    load.name = table->name != nullptr ? table->name : "";
    load.version = table->version != nullptr ? table->version : "";
    load.description = table->description != nullptr ? table->description : "";
  }
  std::string problem;
  std::unique_ptr<NormalizedTable> normalized = normalize_table(table, problem);
  if (normalized == nullptr) return discard(problem);
  const std::string plugin_path = path;
  const dc_host_t host{sizeof(dc_host_t), DC_PLUGIN_ABI_VERSION, kRuntimeVersion, plugin_path.c_str(),
                       settings.cache_directory.c_str()};
  void* state = nullptr;
  if (normalized->table.init != nullptr) {
    dc_message_t message{};
    dc_status_t status = DC_STATUS_OK;
    try {
      status = normalized->table.init(&host, &state, &message);
    } catch (const std::exception& error) {
      return discard("init threw an exception across the C ABI: " + std::string(error.what()));
    } catch (...) {
      return discard("init threw an exception across the C ABI");
    }
    if (status != DC_STATUS_OK) {
      return discard("init failed (status " + std::to_string(status) + "): " + message_text(message, "no message"));
    }
  }
  // Its last user may be a command completing on one of the plugin's own
  // threads: unloading must then happen elsewhere.
  load.module = make_shared_device(new PluginModule(std::move(normalized), state, library, path, private_copy));
  return load;
}

}  // namespace

PluginModule::PluginModule(std::unique_ptr<const NormalizedTable> table, void* state, void* library, std::string path,
                           std::filesystem::path private_copy)
    : table_(std::move(table)),
      state_(state),
      library_(library),
      name_(table_->table.name),
      path_(std::move(path)),
      private_copy_(std::move(private_copy)) {}

PluginModule::~PluginModule() {
  if (table_->table.shutdown != nullptr) table_->table.shutdown(state_);
  if (library_ != nullptr) dlclose(library_);
  if (!private_copy_.empty()) {
    std::error_code ignored;
    std::filesystem::remove(private_copy_, ignored);
  }
  log(LogLevel::debug, "plugin " + name_ + ": unloaded the version from " + path_);
}

std::string message_text(dc_message_t& message, const char* fallback) {
  message.text[DC_MESSAGE_CAPACITY - 1] = '\0';
  return message.text[0] != '\0' ? std::string(message.text) : std::string(fallback);
}

PluginLoad load_plugin_file(const std::filesystem::path& file, const PluginLoadSettings& settings) {
  PluginLoad load;
  if (std::string why = plugin_file_refusal(file); !why.empty()) {
    load.reason = "refused: " + why;
    return load;
  }
  std::filesystem::path open_path = file;
  std::filesystem::path private_copy;
  if (settings.private_copy) {
    private_copy = make_private_copy(file, load.reason);
    if (private_copy.empty()) return load;
    open_path = private_copy;
  }
  const auto discard_copy = [&] {
    if (!private_copy.empty()) std::filesystem::remove(private_copy);
  };
  try {
    load.sha256 = sha256_hex_of_file(open_path);  // the bytes that will be loaded
  } catch (const std::exception& error) {
    discard_copy();
    load.reason = error.what();
    return load;
  }
  if (!settings.allowlist.empty() &&
      std::find(settings.allowlist.begin(), settings.allowlist.end(), load.sha256) == settings.allowlist.end()) {
    discard_copy();
    load.reason = "refused: SHA-256 " + load.sha256 + " is not on the plugin allow-list";
    return load;
  }
  void* library = dlopen(open_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* why = dlerror();
    discard_copy();
    load.reason = "not a plugin: cannot load it as a shared library (" + std::string(why != nullptr ? why : "?") + ")";
    return load;
  }
  auto* entry = reinterpret_cast<dc_plugin_entry_fn>(dlsym(library, DC_PLUGIN_ENTRY_SYMBOL));
  if (entry == nullptr) {
    dlclose(library);
    discard_copy();
    load.reason = std::string("missing entry point ") + DC_PLUGIN_ENTRY_SYMBOL + " (not a dotcompute plugin)";
    return load;
  }
  const dc_plugin_t* table = nullptr;
  try {
    table = entry();
  } catch (...) {
    dlclose(library);
    discard_copy();
    load.reason = "its entry point threw an exception";
    return load;
  }
  PluginLoad result = initialise(table, library, file.string(), private_copy, settings);
  result.sha256 = load.sha256;
  return result;
}

PluginLoad load_in_process_plugin(dc_plugin_entry_fn entry, const PluginLoadSettings& settings) {
  const dc_plugin_t* table = nullptr;
  try {
    table = entry();
  } catch (...) {
    PluginLoad load;
    load.reason = "its entry point threw an exception";
    return load;
  }
  return initialise(table, nullptr, "<in-process>", {}, settings);
}

}  // namespace dotcompute::runtime
