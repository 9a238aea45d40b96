// The CUDA backend module's entry point: loads the driver, enumerates every
// GPU, and pins the host pool's large blocks so that transfers run by DMA.
#include <filesystem>
#include <mutex>
#include <vector>

#include "cuda_device.hpp"
#include "cuda_driver.hpp"
#include "dotcompute/backend/device_lifetime.hpp"
#include "dotcompute/errors.hpp"
#include "dotcompute/memory_pool.hpp"

namespace dotcompute::cuda {

namespace {

// Registers host blocks with the driver (portable: pinned for every context).
class DriverPinner final : public HostMemoryPinner {
 public:
  explicit DriverPinner(std::shared_ptr<Context> context) : context_(std::move(context)) {}
  bool pin(void* block, std::size_t bytes) noexcept override {
    return context_->driver->cuCtxSetCurrent(context_->context) == CUDA_SUCCESS &&
           context_->driver->cuMemHostRegister(block, bytes, CU_MEMHOSTREGISTER_PORTABLE) == CUDA_SUCCESS;
  }
  void unpin(void* block) noexcept override {
    context_->driver->cuCtxSetCurrent(context_->context);
    context_->driver->cuMemHostUnregister(block);
  }

 private:
  std::shared_ptr<Context> context_;
};

// Primary contexts are retained once per process and never released: device
// memory and pinned host blocks may outlive any runtime.
std::shared_ptr<Context> primary_context(const Driver& driver, int ordinal) {
  static std::mutex mutex;
  static std::vector<std::shared_ptr<Context>> contexts;
  std::lock_guard lock(mutex);
  for (const auto& context : contexts) {
    if (context->device == ordinal) return context;
  }
  CUdevice device = 0;
  check(driver.cuDeviceGet(&device, ordinal), "cuDeviceGet(" + std::to_string(ordinal) + ")");
  CUcontext context = nullptr;
  check(driver.cuDevicePrimaryCtxRetain(&context, device), "cuDevicePrimaryCtxRetain(" + std::to_string(ordinal) + ")");
  contexts.push_back(std::make_shared<Context>(Context{&driver, device, context}));
  return contexts.back();
}

class CudaProvider final : public AcceleratorProvider {
 public:
  explicit CudaProvider(std::filesystem::path cache_directory) : cache_directory_(std::move(cache_directory)) {}

  [[nodiscard]] std::string_view backend() const noexcept override { return "cuda"; }

  [[nodiscard]] std::vector<std::shared_ptr<Accelerator>> devices() override {
    const Driver& d = driver();  // DeviceUnavailableError: no driver, or cuInit's reason
    int count = 0;
    check(d.cuDeviceGetCount(&count), "cuDeviceGetCount");
    if (count == 0) throw DeviceUnavailableError("the CUDA driver reports no device");
    std::vector<std::shared_ptr<Accelerator>> result;
    std::shared_ptr<Context> first;
    for (int ordinal = 0; ordinal < count; ++ordinal) {
      try {
        auto context = primary_context(d, ordinal);
        result.push_back(make_shared_device(new CudaDevice(context, result.size(), cache_directory_)));
        if (!first) first = context;
      } catch (const std::exception& error) {
        skipped_.push_back("device " + std::to_string(ordinal) + ": " + error.what());
      }
    }
    if (result.empty()) {
      std::string reasons;
      for (const auto& reason : skipped_) reasons += (reasons.empty() ? "" : "; ") + reason;
      throw DeviceUnavailableError("no usable CUDA device: " + reasons);
    }
    static std::once_flag pinner_installed;
    std::call_once(pinner_installed, [&] { set_host_memory_pinner(std::make_shared<DriverPinner>(first)); });
    return result;
  }

  [[nodiscard]] std::vector<std::string> skipped() const override { return skipped_; }

 private:
  std::filesystem::path cache_directory_;
  std::vector<std::string> skipped_;
};

}  // namespace

}  // namespace dotcompute::cuda

/// The module's entry point, found by the runtime with dlsym. `cache_directory`:
/// where compiled programs are cached ("" = ProgramCache::default_directory()).
extern "C" __attribute__((visibility("default"))) dotcompute::AcceleratorProvider*
dotcompute_backend_cuda_create_provider(const char* cache_directory) {
  return new dotcompute::cuda::CudaProvider(dotcompute::ProgramCache::directory_or_default(cache_directory));
}
