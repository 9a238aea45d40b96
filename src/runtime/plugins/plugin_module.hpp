// One loaded version of a plugin: its shared library (or in-process table),
// the state its init returned, and the checks a table must pass first.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "dotcompute/plugin_abi.h"

namespace dotcompute::runtime {

/// A plugin's table in this runtime's layout. The plugin may have been built
/// against an older or a newer plugin_abi.h of the same ABI version: its
/// contribution arrays are re-read with the element size it declared, and the
/// fields it did not declare are zero. The table's arrays point into the vectors.
struct NormalizedTable {
  NormalizedTable() = default;
  NormalizedTable(const NormalizedTable&) = delete;
  NormalizedTable& operator=(const NormalizedTable&) = delete;

  dc_plugin_t table{};
  std::vector<dc_backend_t> backends;
  std::vector<dc_selector_t> selectors;
  std::vector<dc_memory_manager_t> memory_managers;
  std::vector<dc_telemetry_sink_t> telemetry_sinks;
};

/// A plugin that passed every check and whose init succeeded. Everything
/// obtained from it (devices, replicas, programs, commands, selector, sinks)
/// holds a shared_ptr to it, so that it is shut down and unloaded only once
/// nothing uses it. Immutable; thread-safe.
class PluginModule {
 public:
  /// Takes ownership of `library` (dlclose) and of `private_copy` (deleted), either may be empty.
  PluginModule(std::unique_ptr<const NormalizedTable> table, void* state, void* library, std::string path,
               std::filesystem::path private_copy);
  ~PluginModule();
  PluginModule(const PluginModule&) = delete;
  PluginModule& operator=(const PluginModule&) = delete;

  /// In this runtime's layout (see NormalizedTable).
  [[nodiscard]] const dc_plugin_t& table() const noexcept { return table_->table; }
  [[nodiscard]] void* state() const noexcept { return state_; }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  std::unique_ptr<const NormalizedTable> table_;
  void* state_;
  void* library_;
  std::string name_;
  std::string path_;
  std::filesystem::path private_copy_;
};

/// What a load attempt produced: a module, or the reason it was skipped
/// (with the table's name/version/description when they could be read).
struct PluginLoad {
  std::shared_ptr<PluginModule> module;
  std::string reason;
  std::string name;
  std::string version;
  std::string description;
  std::string sha256;
};

struct PluginLoadSettings {
  std::vector<std::string> allowlist;  ///< lowercase SHA-256 digests; empty = any
  std::string cache_directory;
  /// Load from a fresh private copy of the file (hot reload: dlopen would
  /// otherwise hand back the old handle, and the original may be overwritten in place).
  bool private_copy = false;
};

/// Checks and loads a plugin file: permissions, allow-list, dlopen, entry
/// point, table, init. Never throws; every failure is a reason.
[[nodiscard]] PluginLoad load_plugin_file(const std::filesystem::path& file, const PluginLoadSettings& settings);

/// Loads a plugin linked into the process from its entry point.
[[nodiscard]] PluginLoad load_in_process_plugin(dc_plugin_entry_fn entry, const PluginLoadSettings& settings);

/// The message a plugin wrote, made safe to read (NUL-terminated), or `fallback` when empty.
[[nodiscard]] std::string message_text(dc_message_t& message, const char* fallback);

}  // namespace dotcompute::runtime
