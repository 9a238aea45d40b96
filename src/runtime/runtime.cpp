#include "dotcompute/runtime.hpp"

namespace dotcompute {

struct Runtime::Impl {
  explicit Impl(ServiceProvider services)
      : provider(std::move(services)),
        options(provider.get_required<RuntimeOptions>()),
        discovery(provider.get_required<KernelDiscovery>()),
        factory(provider.get_required<AcceleratorFactory>()),
        // Resolved now so that pool limits apply (and a background trimmer runs) from the start.
        memory(provider.get_required<MemoryManager>()),
        orchestrator(provider.get_required<ComputeOrchestrator>()) {}
  ~Impl() {
    // Release what this facade holds first, so that the provider's disposal
    // (reverse creation order) really ends each service.
    orchestrator.reset();
    memory.reset();
    factory.reset();
    discovery.reset();
    options.reset();
  }
  ServiceProvider provider;
  std::shared_ptr<RuntimeOptions> options;
  std::shared_ptr<KernelDiscovery> discovery;
  std::shared_ptr<AcceleratorFactory> factory;
  std::shared_ptr<MemoryManager> memory;
  std::shared_ptr<ComputeOrchestrator> orchestrator;
};

Runtime Runtime::create() { return create(std::function<void(RuntimeOptions&)>{}); }

Runtime Runtime::create(RuntimeOptions options) {
  return create([&options](RuntimeOptions& target) { target = std::move(options); });
}

Runtime Runtime::create(const std::function<void(RuntimeOptions&)>& configure) {
  ServiceCollection services;
  add_dotcompute_runtime(services, configure);
  return from_services(services.build());
}

Runtime Runtime::from_services(ServiceProvider provider) {
  return Runtime(std::make_unique<Impl>(std::move(provider)));
}

Runtime::Runtime(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
Runtime::Runtime(Runtime&&) noexcept = default;
Runtime& Runtime::operator=(Runtime&&) noexcept = default;
Runtime::~Runtime() = default;

ComputeOrchestrator& Runtime::orchestrator() noexcept { return *impl_->orchestrator; }
std::vector<std::shared_ptr<Accelerator>> Runtime::devices() const { return impl_->factory->devices(); }
const std::vector<SkippedBackend>& Runtime::skipped_backends() const { return impl_->factory->skipped(); }
KernelRegistry& Runtime::registry() noexcept { return impl_->discovery->registry(); }
const RuntimeOptions& Runtime::options() const noexcept { return *impl_->options; }
ServiceProvider& Runtime::services() noexcept { return impl_->provider; }

}  // namespace dotcompute
