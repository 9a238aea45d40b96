#include "dotcompute/runtime_options.hpp"

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "component_name.hpp"
#include "dotcompute/errors.hpp"

namespace dotcompute {

namespace {

const std::set<std::string> kLogLevels = {"trace", "debug", "info", "warning", "error", "off"};

bool is_sha256_hex(const std::string& digest) {
  return digest.size() == 64 && digest.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
}

bool is_default_accelerator_syntax(const std::string& value) {
  const auto colon = value.find(':');
  if (colon == std::string::npos) return true;  // "auto", a backend, or a device name
  const std::string index = value.substr(colon + 1);
  return colon > 0 && !index.empty() && index.find_first_not_of("0123456789") == std::string::npos;
}

const char* environment(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : nullptr;
}

std::size_t parse_size(const char* name, const std::string& text) {
  std::size_t used = 0;
  unsigned long long value = 0;
  try {
    value = std::stoull(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || text[0] == '-') {
    throw ArgumentError(std::string(name) + "='" + text + "' is not a non-negative integer");
  }
  return static_cast<std::size_t>(value);
}

bool parse_flag(const char* name, const std::string& text) {
  if (text == "1" || text == "true" || text == "on" || text == "yes") return true;
  if (text == "0" || text == "false" || text == "off" || text == "no") return false;
  throw ArgumentError(std::string(name) + "='" + text + "' is not a boolean (1/0, true/false, on/off, yes/no)");
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> paths;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(separator, start), text.size());
    if (end > start) paths.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return paths;
}

}  // namespace

void RuntimeOptions::validate() const {
  std::vector<std::string> problems;
  if (!is_default_accelerator_syntax(default_accelerator)) {
    problems.push_back("default_accelerator '" + default_accelerator +
                       "' is malformed (expected auto, a backend such as cpu, or an id such as cpu:0)");
  }
  if (enable_debug_validation)
    problems.emplace_back("enable_debug_validation: debug validation is not implemented yet");
  if (enable_auto_optimization) {
    problems.emplace_back("enable_auto_optimization: adaptive device selection is not implemented yet");
  }
  if (enable_recovery) problems.emplace_back("enable_recovery: retries and fallback are not implemented yet");
  for (const auto& path : plugin_paths) {
    if (path.empty() || path.front() != '/') {
      problems.push_back("plugin_paths: '" + path +
                         "' is not an absolute path (plugins are never loaded from the current directory implicitly)");
    }
  }
  for (const auto& digest : plugin_allowlist) {
    if (!is_sha256_hex(digest)) problems.push_back("plugin_allowlist: '" + digest + "' is not a SHA-256 hex digest");
  }
  if (plugin_reload_interval_ms < 10) {
    problems.push_back("plugin_reload_interval_ms " + std::to_string(plugin_reload_interval_ms) + " is below 10");
  }
  if (!backend_selector.empty() && !runtime::is_component_name(backend_selector)) {
    problems.push_back("backend_selector '" + backend_selector + "' is not a name ([a-z0-9_]+)");
  }
  if (!memory_manager.empty() && !runtime::is_component_name(memory_manager)) {
    problems.push_back("memory_manager '" + memory_manager + "' is not a name ([a-z0-9_]+)");
  }
  for (const auto entry : in_process_plugins) {
    if (entry == nullptr) problems.emplace_back("in_process_plugins: a null entry point");
  }
  if (!cache_directory.empty() && cache_directory.front() != '/') {
    problems.push_back("cache_directory '" + cache_directory + "' must be an absolute path");
  }
  if (!kLogLevels.contains(log_level)) {
    problems.push_back("log_level '" + log_level + "' is not one of trace, debug, info, warning, error, off");
  }
  for (const auto& backend : backends) {
    if (!runtime::is_component_name(backend)) {
      problems.push_back("backends: '" + backend +
                         "' is not a backend name (cpu, opencl, cuda or a plugin's, [a-z0-9_]+)");
    }
  }
  if (cpu_threads > 4096) problems.push_back("cpu_threads " + std::to_string(cpu_threads) + " is more than 4096");
  if (problems.empty()) return;
  std::string message = "invalid runtime options:";
  for (const auto& problem : problems) message += "\n  " + problem;
  throw ArgumentError(message);
}

RuntimeOptions RuntimeOptions::from_environment(RuntimeOptions base) {
  const RuntimeOptions defaults;
  if (const char* v = environment("DOTCOMPUTE_DEVICE"); v && base.default_accelerator.empty()) {
    base.default_accelerator = v;
  }
  if (const char* v = environment("DOTCOMPUTE_DEBUG_VALIDATION"); v && !base.enable_debug_validation) {
    base.enable_debug_validation = parse_flag("DOTCOMPUTE_DEBUG_VALIDATION", v);
  }
  if (const char* v = environment("DOTCOMPUTE_AUTO_OPTIMIZATION"); v && !base.enable_auto_optimization) {
    base.enable_auto_optimization = parse_flag("DOTCOMPUTE_AUTO_OPTIMIZATION", v);
  }
  if (const char* v = environment("DOTCOMPUTE_RECOVERY"); v && !base.enable_recovery) {
    base.enable_recovery = parse_flag("DOTCOMPUTE_RECOVERY", v);
  }
  if (const char* v = environment("DOTCOMPUTE_TELEMETRY"); v && !base.enable_telemetry) {
    base.enable_telemetry = parse_flag("DOTCOMPUTE_TELEMETRY", v);
  }
  if (const char* v = environment("DOTCOMPUTE_PLUGIN_PATH"); v && base.plugin_paths.empty()) {
    base.plugin_paths = split(v, ':');
  }
  if (const char* v = environment("DOTCOMPUTE_PLUGIN_ALLOWLIST"); v && base.plugin_allowlist.empty()) {
    base.plugin_allowlist = split(v, ',');
  }
  if (const char* v = environment("DOTCOMPUTE_PLUGIN_HOT_RELOAD"); v && !base.plugin_hot_reload) {
    base.plugin_hot_reload = parse_flag("DOTCOMPUTE_PLUGIN_HOT_RELOAD", v);
  }
  if (const char* v = environment("DOTCOMPUTE_PLUGIN_RELOAD_INTERVAL_MS");
      v && base.plugin_reload_interval_ms == defaults.plugin_reload_interval_ms) {
    base.plugin_reload_interval_ms = parse_size("DOTCOMPUTE_PLUGIN_RELOAD_INTERVAL_MS", v);
  }
  if (const char* v = environment("DOTCOMPUTE_SELECTOR"); v && base.backend_selector.empty()) {
    base.backend_selector = v;
  }
  if (const char* v = environment("DOTCOMPUTE_MEMORY_MANAGER"); v && base.memory_manager.empty()) {
    base.memory_manager = v;
  }
  if (const char* v = environment("DOTCOMPUTE_POOL_MAX_CACHED_BYTES");
      v && base.pool_max_cached_bytes == defaults.pool_max_cached_bytes) {
    base.pool_max_cached_bytes = parse_size("DOTCOMPUTE_POOL_MAX_CACHED_BYTES", v);
  }
  if (const char* v = environment("DOTCOMPUTE_CACHE_DIR"); v && base.cache_directory.empty()) {
    base.cache_directory = v;
  }
  if (const char* v = environment("DOTCOMPUTE_LOG_LEVEL"); v && base.log_level == defaults.log_level) {
    base.log_level = v;
  }
  if (const char* v = environment("DOTCOMPUTE_BACKENDS"); v && base.backends.empty()) base.backends = split(v, ',');
  if (const char* v = environment("DOTCOMPUTE_CPU_THREADS"); v && base.cpu_threads == 0) {
    base.cpu_threads = parse_size("DOTCOMPUTE_CPU_THREADS", v);
  }
  return base;
}

RuntimeOptions RuntimeOptions::from_environment() { return from_environment(RuntimeOptions{}); }

RuntimeOptions RuntimeOptions::from_json_file(const std::string& path) {
  return from_json_file(path, RuntimeOptions{});
}

RuntimeOptions RuntimeOptions::from_json_file(const std::string& path, RuntimeOptions base) {
  std::ifstream in(path);
  if (!in) throw ArgumentError("runtime options file '" + path + "' cannot be read");
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& error) {
    throw ArgumentError("runtime options file '" + path + "' is not valid JSON: " + error.what());
  }
  if (!document.is_object()) throw ArgumentError("runtime options file '" + path + "' must hold a JSON object");
  std::vector<std::string> problems;
  const auto expect = [&](const std::string& key, const nlohmann::json& value, bool ok, const char* type) {
    if (!ok) problems.push_back("'" + key + "' must be " + type + ", got " + value.dump());
    return ok;
  };
  for (const auto& [key, value] : document.items()) {
    if (key == "default_accelerator" || key == "cache_directory" || key == "log_level" || key == "backend_selector" ||
        key == "memory_manager") {
      if (!expect(key, value, value.is_string(), "a string")) continue;
      std::string& field = key == "default_accelerator" ? base.default_accelerator
                           : key == "cache_directory"   ? base.cache_directory
                           : key == "backend_selector"  ? base.backend_selector
                           : key == "memory_manager"    ? base.memory_manager
                                                        : base.log_level;
      field = value.get<std::string>();
    } else if (key == "enable_debug_validation" || key == "enable_auto_optimization" || key == "enable_recovery" ||
               key == "enable_telemetry" || key == "plugin_hot_reload") {
      if (!expect(key, value, value.is_boolean(), "true or false")) continue;
      bool& field = key == "enable_debug_validation"    ? base.enable_debug_validation
                    : key == "enable_auto_optimization" ? base.enable_auto_optimization
                    : key == "enable_recovery"          ? base.enable_recovery
                    : key == "plugin_hot_reload"        ? base.plugin_hot_reload
                                                        : base.enable_telemetry;
      field = value.get<bool>();
    } else if (key == "pool_max_cached_bytes" || key == "cpu_threads" || key == "plugin_reload_interval_ms") {
      if (!expect(key, value, value.is_number_unsigned(), "a non-negative integer")) continue;
      (key == "cpu_threads"                 ? base.cpu_threads
       : key == "plugin_reload_interval_ms" ? base.plugin_reload_interval_ms
                                            : base.pool_max_cached_bytes) = value.get<std::size_t>();
    } else if (key == "plugin_paths" || key == "backends" || key == "plugin_allowlist") {
      bool ok = value.is_array();
      for (const auto& item : value) ok = ok && item.is_string();
      if (!expect(key, value, ok, "an array of strings")) continue;
      (key == "backends"       ? base.backends
       : key == "plugin_paths" ? base.plugin_paths
                               : base.plugin_allowlist) = value.get<std::vector<std::string>>();
    } else {
      problems.push_back("unknown option '" + key + "'");
    }
  }
  if (!problems.empty()) {
    std::string message = "runtime options file '" + path + "':";
    for (const auto& problem : problems) message += "\n  " + problem;
    throw ArgumentError(message);
  }
  return base;
}

}  // namespace dotcompute
