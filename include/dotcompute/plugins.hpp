// The runtime's view of plugins: what was found, loaded or refused, and why
// (docs/plugins.md). Plugins themselves are written against plugin_abi.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dotcompute/namespace.hpp"

namespace dotcompute {

/// One plugin candidate: a file found on the plugin path, or a plugin linked
/// into the process (RuntimeOptions::in_process_plugins).
struct PluginRecord {
  std::string path;     ///< the file, or "<in-process>"
  bool loaded = false;  ///< false: skipped, see `reason`
  std::string reason;   ///< why it was skipped ("" when loaded)
  std::string name;     ///< from its table ("" when it was never read)
  std::string version;  ///< of the version serving now
  std::string description;
  std::string sha256;  ///< of the file ("" for in-process plugins and files refused before hashing)
  /// "backend example", "selector round_robin", "telemetry_sink counter",
  /// "memory_manager idle_trim", "kernels filters.dck (2)".
  std::vector<std::string> contributions;
  /// Loads of this plugin so far: 1 after the first, +1 per hot reload.
  std::uint64_t generation = 0;
  /// The last hot reload that failed and why (the previous version keeps serving).
  std::string reload_error;
};

/// Finds, checks and loads plugins; with hot reload on, swaps a plugin whose
/// file changed (docs/plugins.md, "Hot reload"). A runtime service. Thread-safe.
class PluginManager {
 public:
  virtual ~PluginManager() = default;
  /// Every candidate in search order: in-process plugins, then
  /// RuntimeOptions::plugin_paths (DOTCOMPUTE_PLUGIN_PATH), then the installed plugin folder.
  [[nodiscard]] virtual std::vector<PluginRecord> records() const = 0;
  /// Reloads every loaded plugin whose file changed since it was loaded (what
  /// the hot-reload watcher does on its own); the number reloaded. A failed
  /// reload keeps the old version and records why in `reload_error`.
  virtual std::size_t reload_changed() = 0;
};

}  // namespace dotcompute
