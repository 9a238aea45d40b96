// RuntimeOptions: the runtime's configuration, validated, from code, the
// environment (DOTCOMPUTE_*) or a JSON file.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "dotcompute/namespace.hpp"
#include "dotcompute/plugin_abi.h"

namespace dotcompute {

class BackendSelector;
class KernelRegistry;

/// Configuration of a runtime. A value type. Sources, from weakest to
/// strongest: the defaults below, the environment (fills only fields still at
/// their default), then code (`configure` callbacks, assignments) and JSON
/// files (which set every key they contain).
struct RuntimeOptions {
  /// Device for calls that name none: "" or "auto" (the selector decides), a
  /// backend ("cpu", "opencl", "cuda": its first device) or a device id
  /// ("cpu:0"). Environment: DOTCOMPUTE_DEVICE. JSON: "default_accelerator".
  std::string default_accelerator;
  /// Re-run executions on a reference backend and compare. Not implemented
  /// yet: true is a validation error. DOTCOMPUTE_DEBUG_VALIDATION.
  bool enable_debug_validation = false;
  /// Learn device choices from measured timings. Not implemented yet: true is
  /// a validation error. DOTCOMPUTE_AUTO_OPTIMIZATION.
  bool enable_auto_optimization = false;
  /// Retry transient failures and fall back to the CPU. Not implemented yet:
  /// true is a validation error. DOTCOMPUTE_RECOVERY.
  bool enable_recovery = false;
  /// Record per-kernel execution statistics (adds the PerformanceMonitor).
  /// DOTCOMPUTE_TELEMETRY.
  bool enable_telemetry = false;
  /// Plugin folders (every *.so in them) and plugin files, searched before the
  /// installed plugin folder; absolute paths only (nothing is loaded from the
  /// current directory implicitly). DOTCOMPUTE_PLUGIN_PATH (':'-separated).
  std::vector<std::string> plugin_paths;
  /// When non-empty, only plugin files whose SHA-256 (64 hex digits) is listed
  /// load. DOTCOMPUTE_PLUGIN_ALLOWLIST (comma-separated).
  std::vector<std::string> plugin_allowlist;
  /// Watch loaded plugin files and swap in a changed one while the runtime
  /// runs (docs/plugins.md). DOTCOMPUTE_PLUGIN_HOT_RELOAD.
  bool plugin_hot_reload = false;
  /// How often the hot-reload watcher looks at the files, in milliseconds (>= 10).
  /// DOTCOMPUTE_PLUGIN_RELOAD_INTERVAL_MS.
  std::size_t plugin_reload_interval_ms = 250;
  /// A plugin selector to choose devices, by name ("" = the built-in default).
  /// DOTCOMPUTE_SELECTOR.
  std::string backend_selector;
  /// A plugin memory manager, by name ("" = the built-in one). DOTCOMPUTE_MEMORY_MANAGER.
  std::string memory_manager;
  /// Cap on the bytes each memory pool keeps cached after frees. The host pool
  /// is shared by the whole process: the runtime created last sets its cap.
  /// DOTCOMPUTE_POOL_MAX_CACHED_BYTES.
  std::size_t pool_max_cached_bytes = std::size_t{1} << 30;
  /// Directory of the compiled-program cache of JIT backends (OpenCL); must be
  /// absolute. Empty: $XDG_CACHE_HOME/dotcompute or ~/.cache/dotcompute.
  /// DOTCOMPUTE_CACHE_DIR.
  std::string cache_directory;
  /// "trace", "debug", "info", "warning", "error" or "off"; messages go to
  /// stderr. DOTCOMPUTE_LOG_LEVEL.
  std::string log_level = "warning";
  /// CPU backend threads; 0 = every CPU this process may use. DOTCOMPUTE_CPU_THREADS.
  std::size_t cpu_threads = 0;
  /// Backends to start ("cpu", "opencl", "cuda", a plugin's backend); empty =
  /// all. The others are listed as skipped. DOTCOMPUTE_BACKENDS (comma-separated).
  std::vector<std::string> backends;

  // --- in-process only (not from the environment or JSON) -------------------
  /// Selector for calls without a device; null = backend_selector, else FixedPrioritySelector.
  /// (Registering a BackendSelector service does the same.)
  std::shared_ptr<BackendSelector> selector;
  /// Kernels to run; null = KernelRegistry::global().
  KernelRegistry* registry = nullptr;
  /// Plugins linked into the process: entry points like dotcompute_plugin_entry
  /// (e.g. dotcompute::plugin::table<MyPlugin>), loaded before any file.
  std::vector<dc_plugin_entry_fn> in_process_plugins;

  /// Throws ArgumentError listing every invalid field at once.
  void validate() const;

  /// `base` with its still-default fields filled from DOTCOMPUTE_* variables.
  /// A malformed variable is an ArgumentError naming it.
  [[nodiscard]] static RuntimeOptions from_environment(RuntimeOptions base);
  [[nodiscard]] static RuntimeOptions from_environment();

  /// `base` with every key of the JSON object in `path` applied. Unknown keys,
  /// wrong types and unreadable or malformed files are an ArgumentError listing
  /// every problem.
  [[nodiscard]] static RuntimeOptions from_json_file(const std::string& path, RuntimeOptions base);
  [[nodiscard]] static RuntimeOptions from_json_file(const std::string& path);
};

}  // namespace dotcompute
