// The runtime's plugin manager: search, checks, loading, records, and hot reload.
#pragma once

#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "dotcompute/kernel_registry.hpp"
#include "dotcompute/plugins.hpp"
#include "dotcompute/runtime_options.hpp"
#include "dotcompute/runtime_services.hpp"
#include "plugin_accelerator.hpp"
#include "plugin_module.hpp"

namespace dotcompute::runtime {

/// A backend a loaded plugin contributes.
struct PluginBackendSource {
  std::string plugin;
  std::string backend;
};

/// Loads every plugin when constructed (see PluginManager). Thread-safe.
class StandardPluginManager final : public PluginManager {
 public:
  using dependencies = Dependencies<RuntimeOptions, KernelDiscovery>;
  StandardPluginManager(const std::shared_ptr<RuntimeOptions>& options,
                        const std::shared_ptr<KernelDiscovery>& discovery);
  ~StandardPluginManager() override;

  [[nodiscard]] std::vector<PluginRecord> records() const override;
  std::size_t reload_changed() override;

  /// The backends of the loaded plugins, in load order.
  [[nodiscard]] std::vector<PluginBackendSource> backends() const;
  /// Enumerates a plugin backend's devices (once per backend; the factory
  /// calls it lazily); `skipped` receives the parts it left out, one reason
  /// each. Throws DeviceUnavailableError with the plugin's reason.
  [[nodiscard]] std::vector<std::shared_ptr<Accelerator>> start_backend(const PluginBackendSource& source,
                                                                        std::vector<std::string>& skipped);
  /// The version of `plugin` serving now (null when it is not loaded).
  [[nodiscard]] std::shared_ptr<PluginModule> module(const std::string& plugin) const;
  /// Every loaded plugin's current version.
  [[nodiscard]] std::vector<std::shared_ptr<PluginModule>> modules() const;

 private:
  struct FileSignature {
    std::int64_t modified_ns = 0;
    std::uintmax_t size = 0;
    std::uint64_t inode = 0;
    bool operator==(const FileSignature&) const = default;
  };
  struct Entry {
    PluginRecord record;
    std::filesystem::path file;  // empty for in-process plugins
    FileSignature loaded_signature;
    FileSignature pending_signature;  // a change seen once: reloaded when seen again unchanged
    std::shared_ptr<PluginModule> module;
    std::map<std::string, std::vector<std::string>> kernels;                       // source path -> kernel names
    std::map<std::string, std::vector<std::weak_ptr<PluginAccelerator>>> devices;  // backend -> started devices
  };

  void load_all(const RuntimeOptions& options);
  void add_candidate(const std::filesystem::path& file);
  void add_loaded(Entry& entry, PluginLoad load);
  // Why `module` cannot join the loaded plugins (a name taken), or "".
  [[nodiscard]] std::string clash(const PluginModule& module, const Entry* self) const;
  // Registers the module's kernel sources, replacing `entry.kernels`; throws on a bad source.
  void register_kernels(Entry& entry, const PluginModule& module);
  [[nodiscard]] static std::vector<std::string> contributions(const PluginModule& module);
  [[nodiscard]] static FileSignature signature_of(const std::filesystem::path& file);
  std::size_t reload(bool wait_until_stable);
  void reload_entry(Entry& entry, const FileSignature& signature);
  void watch(std::stop_token stop, std::chrono::milliseconds interval);

  KernelRegistry& registry_;
  PluginLoadSettings settings_;
  mutable std::mutex mutex_;  // entries_ and what they hold
  std::mutex reload_mutex_;   // one reload at a time
  std::vector<std::unique_ptr<Entry>> entries_;
  std::condition_variable_any wake_;
  std::jthread watcher_;  // last: started once everything else exists
};

}  // namespace dotcompute::runtime
