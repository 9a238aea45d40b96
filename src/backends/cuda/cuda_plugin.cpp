// The CUDA backend, a plugin of the C ABI (plugin_abi.h) installed with the
// runtime: loads the driver and enumerates every GPU when the runtime first
// needs them (a GPU that fails is skipped with its reason), and page-locks the
// runtime's large host blocks so that transfers run by DMA.
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cuda_device.hpp"
#include "cuda_driver.hpp"
#include "dotcompute/errors.hpp"
#include "dotcompute/plugin.hpp"
#include "dotcompute/plugin_devices.hpp"
#include "host_pins.hpp"

namespace dotcompute::cuda {

namespace {

// Runs `body`, turning the runtime's error types that the driver wrapper,
// NVRTC and the device throw into the plugin statuses they stand for.
template <class Body>
decltype(auto) with_statuses(Body&& body) {
  try {
    return body();
  } catch (const OutOfMemoryError& error) {
    throw plugin::Error(DC_STATUS_OUT_OF_MEMORY, error.what());
  } catch (const DeviceUnavailableError& error) {
    throw plugin::Error(DC_STATUS_UNAVAILABLE, error.what());
  } catch (const CompilationError& error) {
    throw plugin::Error(DC_STATUS_COMPILATION_ERROR, error.what());
  } catch (const ArgumentError& error) {
    throw plugin::Error(DC_STATUS_INVALID_ARGUMENT, error.what());
  }
}

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

class CudaBackend {
 public:
  static constexpr const char* name = "cuda";
  // Writable host spans are copied back in the stream, right after the kernel.
  static constexpr std::uint32_t features = DC_BACKEND_WRITES_BACK;

  explicit CudaBackend(std::filesystem::path cache_directory) : cache_directory_(std::move(cache_directory)) {}

  std::uint32_t device_count() {
    return devices_.count([this](plugin::Devices<CudaDevice>& found) { enumerate(found); });
  }
  [[nodiscard]] const std::vector<std::string>& skipped_parts() const { return devices_.skipped(); }

  dc_device_info_t device_info(std::uint32_t device) { return devices_.at(device).info(); }
  void* prepare_kernel(std::uint32_t device, const dc_kernel_t& kernel) {
    return with_statuses([&] { return devices_.at(device).prepare(kernel); });
  }
  void release_kernel(std::uint32_t device, void* program) noexcept {
    devices_[device].release(static_cast<PreparedKernel*>(program));
  }
  void* allocate(std::uint32_t device, std::uint64_t bytes) {
    return with_statuses([&] { return devices_.at(device).allocate(bytes); });
  }
  void release(std::uint32_t device, void* memory) noexcept { devices_[device].release_memory(memory); }
  void upload(std::uint32_t device, void* memory, const void* host, std::uint64_t bytes) {
    with_statuses([&] { devices_.at(device).upload(memory, host, bytes); });
  }
  void download(std::uint32_t device, void* memory, void* host, std::uint64_t bytes) {
    with_statuses([&] { devices_.at(device).download(memory, host, bytes); });
  }
  void launch(std::uint32_t device, const dc_launch_t& launch) {
    with_statuses([&] { devices_.at(device).launch(launch); });
  }
  void synchronize(std::uint32_t device) {
    with_statuses([&] { devices_.at(device).synchronize(); });
  }
  // Pinned through the first GPU's context; portable, so every context sees it.
  void pin_host(void* host, std::uint64_t bytes) {
    if (!first_) throw plugin::Error(DC_STATUS_UNAVAILABLE, "no CUDA device to pin host memory with");
    with_statuses([&] { HostPins::instance().pin(*first_->driver, first_->context, host, bytes); });
  }
  void unpin_host(void* host) noexcept {
    if (first_) HostPins::instance().unpin(*first_->driver, first_->context, host);
  }

 private:
  void enumerate(plugin::Devices<CudaDevice>& found) {
    const Driver& d = driver();  // no driver, or cuInit's reason (thrown: the backend is unavailable)
    int count = 0;
    check(d.cuDeviceGetCount(&count), "cuDeviceGetCount");
    if (count == 0) {
      found.unavailable("the CUDA driver reports no device");
      return;
    }
    for (int ordinal = 0; ordinal < count; ++ordinal) {
      try {
        auto context = primary_context(d, ordinal);
        found.add(std::make_unique<CudaDevice>(context, found.next_index(), cache_directory_));
        if (!first_) first_ = std::move(context);
      } catch (const std::exception& error) {
        found.skip("GPU " + std::to_string(ordinal), error.what());
      }
    }
  }

  std::filesystem::path cache_directory_;
  plugin::Devices<CudaDevice> devices_{"CUDA device"};
  std::shared_ptr<Context> first_;  // of the first usable GPU; set once, by enumerate()
};

class CudaPlugin {
 public:
  static constexpr const char* name = "cuda";
  static constexpr const char* version = DOTCOMPUTE_VERSION;  // the runtime's, from CMake
  static constexpr const char* description =
      "NVIDIA GPUs through the CUDA driver API, kernels by NVRTC or ahead-of-time fatbins";

  explicit CudaPlugin(const dc_host_t& host) : backend_(ProgramCache::directory_or_default(host.cache_directory)) {}
  CudaBackend& backend() { return backend_; }

 private:
  CudaBackend backend_;
};

}  // namespace

}  // namespace dotcompute::cuda

DOTCOMPUTE_PLUGIN(dotcompute::cuda::CudaPlugin)
