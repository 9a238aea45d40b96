#include "dotcompute/runtime.hpp"

#include <cstdlib>

#include "dotcompute/backend/cpu_backend.hpp"
#include "dotcompute/errors.hpp"
#include "standard_orchestrator.hpp"

namespace dotcompute {

struct Runtime::Impl {
  KernelRegistry* registry = nullptr;
  std::vector<std::shared_ptr<Accelerator>> devices;
  std::vector<SkippedBackend> skipped;
  std::unique_ptr<ComputeOrchestrator> orchestrator;
};

Runtime Runtime::create(RuntimeOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->registry = options.registry != nullptr ? options.registry : &KernelRegistry::global();

  // A backend that cannot start is skipped with its reason; it never takes the others down.
  try {
    auto provider = make_cpu_provider(CpuBackendOptions{.threads = options.cpu_threads});
    auto devices = provider->devices();
    impl->devices.insert(impl->devices.end(), devices.begin(), devices.end());
  } catch (const ArgumentError&) {
    throw;  // a malformed DOTCOMPUTE_CPU_* variable is the caller's to fix
  } catch (const std::exception& error) {
    impl->skipped.push_back({"cpu", error.what()});
  }
  impl->skipped.push_back({"opencl", "not available: the OpenCL backend is not implemented in this version"});
  impl->skipped.push_back({"cuda", "not available: the CUDA backend is not implemented in this version"});

  std::string default_device = options.default_device;
  std::string origin = "RuntimeOptions::default_device";
  if (default_device.empty()) {
    if (const char* environment = std::getenv("DOTCOMPUTE_DEVICE"); environment != nullptr) {
      default_device = environment;
      origin = "DOTCOMPUTE_DEVICE";
    }
  }
  auto selector = options.selector ? options.selector : std::make_shared<FixedPrioritySelector>();
  impl->orchestrator = std::make_unique<runtime::StandardOrchestrator>(*impl->registry, impl->devices,
                                                                       std::move(selector), default_device, origin);
  return Runtime(std::move(impl));
}

Runtime::Runtime(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
Runtime::Runtime(Runtime&&) noexcept = default;
Runtime& Runtime::operator=(Runtime&&) noexcept = default;
Runtime::~Runtime() = default;

ComputeOrchestrator& Runtime::orchestrator() noexcept { return *impl_->orchestrator; }
std::vector<std::shared_ptr<Accelerator>> Runtime::devices() const { return impl_->devices; }
const std::vector<SkippedBackend>& Runtime::skipped_backends() const noexcept { return impl_->skipped; }
KernelRegistry& Runtime::registry() noexcept { return *impl_->registry; }

}  // namespace dotcompute
