// add_dotcompute_runtime and the optional service bundles.
#include "dotcompute/backend_selector.hpp"
#include "dotcompute/runtime_services.hpp"
#include "log.hpp"
#include "plugins/plugin_services.hpp"
#include "standard_orchestrator.hpp"
#include "standard_services.hpp"

namespace dotcompute {

void add_dotcompute_runtime(ServiceCollection& services, const std::function<void(RuntimeOptions&)>& configure) {
  RuntimeOptions options;
  if (configure) configure(options);
  options = RuntimeOptions::from_environment(std::move(options));
  options.validate();
  runtime::set_log_level(runtime::parse_log_level(options.log_level));
  const bool telemetry = options.enable_telemetry;
  auto selector = options.selector;
  const std::string plugin_selector = options.backend_selector;
  const std::string plugin_memory_manager = options.memory_manager;

  services.add_instance<RuntimeOptions>(std::make_shared<RuntimeOptions>(std::move(options)));
  services.try_add_singleton<KernelDiscovery, runtime::StandardKernelDiscovery>();
  services.try_add_singleton<runtime::StandardPluginManager>();
  services.try_add_singleton<PluginManager>(
      [](ServiceProvider& provider) { return provider.get_required<runtime::StandardPluginManager>(); },
      depends_on<runtime::StandardPluginManager>);
  services.try_add_singleton<AcceleratorFactory, runtime::StandardAcceleratorFactory>();
  if (selector) {
    services.try_add_instance<BackendSelector>(std::move(selector));
  } else if (!plugin_selector.empty()) {
    services.try_add_singleton<BackendSelector>(
        [plugin_selector](ServiceProvider& provider) {
          return std::make_shared<runtime::PluginSelector>(provider.get_required<runtime::StandardPluginManager>(),
                                                           plugin_selector);
        },
        depends_on<runtime::StandardPluginManager>);
  } else {
    services.try_add_singleton<BackendSelector, FixedPrioritySelector>();
  }
  services.try_add_singleton<KernelExecutionService, runtime::StandardKernelExecutionService>();
  if (!plugin_memory_manager.empty()) {
    services.try_add_singleton<MemoryManager>(
        [plugin_memory_manager](ServiceProvider& provider) {
          return std::make_shared<runtime::PluginMemoryManager>(provider.get_required<AcceleratorFactory>(),
                                                                provider.get_required<runtime::StandardPluginManager>(),
                                                                plugin_memory_manager);
        },
        depends_on<AcceleratorFactory, runtime::StandardPluginManager>);
  } else {
    services.try_add_singleton<MemoryManager, runtime::StandardMemoryManager>();
  }
  services.try_add_singleton<TelemetrySink, NullTelemetrySink>();
  services.add_singleton<TelemetrySink>(
      [](ServiceProvider& provider) {
        return std::make_shared<runtime::PluginTelemetrySinks>(provider.get_required<runtime::StandardPluginManager>());
      },
      depends_on<runtime::StandardPluginManager>);
  services.try_add_singleton<ComputeOrchestrator>(
      [](ServiceProvider& provider) {
        // Resolved once, here: the orchestrator holds its collaborators.
        return std::make_shared<runtime::StandardOrchestrator>(
            provider.get_required<KernelDiscovery>()->registry(), provider.get_required<AcceleratorFactory>(),
            provider.get_required<BackendSelector>(), provider.get_required<KernelExecutionService>(),
            provider.get_all<TelemetrySink>(), provider.get_required<RuntimeOptions>()->default_accelerator);
      },
      depends_on<KernelDiscovery, AcceleratorFactory, BackendSelector, KernelExecutionService, TelemetrySink,
                 RuntimeOptions>);
  if (telemetry) add_performance_monitoring(services);
}

void add_performance_monitoring(ServiceCollection& services) {
  services.try_add_singleton<PerformanceMonitor>();
  services.add_singleton<TelemetrySink>(
      [](ServiceProvider& provider) { return provider.get_required<PerformanceMonitor>(); },
      depends_on<PerformanceMonitor>);
}

void add_advanced_memory_management(ServiceCollection& services, AdvancedMemoryOptions advanced) {
  services.add_singleton<MemoryManager>(
      [advanced](ServiceProvider& provider) {
        return std::make_shared<runtime::AdvancedMemoryManager>(provider.get_required<AcceleratorFactory>(), advanced);
      },
      depends_on<AcceleratorFactory>);
}

}  // namespace dotcompute
