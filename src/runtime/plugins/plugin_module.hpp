// One loaded version of a plugin: its shared library (or in-process table),
// the state its init returned, and the checks a table must pass first.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "dotcompute/plugin_abi.h"

namespace dotcompute::runtime {

/// A plugin that passed every check and whose init succeeded. Everything
/// obtained from it (devices, replicas, programs, commands, selector, sinks)
/// holds a shared_ptr to it, so that it is shut down and unloaded only once
/// nothing uses it. Immutable; thread-safe.
class PluginModule {
 public:
  /// Takes ownership of `library` (dlclose) and of `private_copy` (deleted), either may be empty.
  PluginModule(const dc_plugin_t& table, void* state, void* library, std::string path,
               std::filesystem::path private_copy);
  ~PluginModule();
  PluginModule(const PluginModule&) = delete;
  PluginModule& operator=(const PluginModule&) = delete;

  [[nodiscard]] const dc_plugin_t& table() const noexcept { return table_; }
  [[nodiscard]] void* state() const noexcept { return state_; }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  const dc_plugin_t& table_;
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
