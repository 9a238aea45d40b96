// Runtime services backed by plugin contributions: a selector, the telemetry
// sinks, a memory manager. Each looks up the plugin version serving now on
// every call, so a hot reload takes effect at once.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "../standard_services.hpp"
#include "dotcompute/backend_selector.hpp"
#include "plugin_manager.hpp"

namespace dotcompute::runtime {

/// The selector named `name` of a loaded plugin. Thread-safe.
class PluginSelector final : public BackendSelector {
 public:
  /// Throws ArgumentError listing the plugin selectors when none is called `name`.
  PluginSelector(std::shared_ptr<StandardPluginManager> plugins, std::string name);
  [[nodiscard]] std::string_view name() const noexcept override { return name_; }
  [[nodiscard]] Selection select(const SelectionRequest& request) override;

 private:
  std::shared_ptr<StandardPluginManager> plugins_;
  std::string name_;
  std::string plugin_;
};

/// Forwards every finished execution to the telemetry sinks of the loaded
/// plugins. Disabled (no per-execution cost) when no plugin had a sink at start.
class PluginTelemetrySinks final : public TelemetrySink {
 public:
  explicit PluginTelemetrySinks(std::shared_ptr<StandardPluginManager> plugins);
  [[nodiscard]] bool enabled() const noexcept override { return enabled_; }
  void execution_finished(const KernelResult& result, ExecutionStatus status) noexcept override;

 private:
  std::shared_ptr<StandardPluginManager> plugins_;
  bool enabled_ = false;
};

/// The memory manager named `name` of a loaded plugin: every interval it
/// reviews the pools and the runtime trims those it marks.
class PluginMemoryManager final : public StandardMemoryManager {
 public:
  /// Throws ArgumentError listing the plugin memory managers when none is called `name`.
  PluginMemoryManager(std::shared_ptr<AcceleratorFactory> factory, std::shared_ptr<StandardPluginManager> plugins,
                      std::string name);
  ~PluginMemoryManager() override;

 private:
  void run(std::stop_token stop);
  void review_once();
  std::shared_ptr<StandardPluginManager> plugins_;
  std::string name_;
  std::string plugin_;
  std::uint32_t interval_ms_ = 0;
  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::jthread thread_;  // last: started after everything it uses
};

}  // namespace dotcompute::runtime
