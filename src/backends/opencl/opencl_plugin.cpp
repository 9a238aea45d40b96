// The OpenCL backend, a plugin of the C ABI (plugin_abi.h) installed with the
// runtime: enumerates every platform and device when the runtime first needs
// them; a platform that fails is skipped with its reason.
#include <memory>
#include <string>
#include <vector>

#include "dotcompute/plugin.hpp"
#include "dotcompute/plugin_devices.hpp"
#include "opencl_api.hpp"
#include "opencl_device.hpp"

namespace dotcompute::opencl {

namespace {

// CL_PLATFORM_NOT_FOUND_KHR (cl_khr_icd): what the ICD loader returns when no platform is installed.
constexpr cl_int kPlatformNotFound = -1001;

class OpenClBackend {
 public:
  static constexpr const char* name = "opencl";
  static constexpr std::uint32_t features = DC_BACKEND_WRITES_BACK;

  explicit OpenClBackend(std::filesystem::path cache_directory) : cache_directory_(std::move(cache_directory)) {}

  std::uint32_t device_count() {
    return devices_.count([this](plugin::Devices<OpenClDevice>& found) { enumerate(found); });
  }
  [[nodiscard]] const std::vector<std::string>& skipped_parts() const { return devices_.skipped(); }

  dc_device_info_t device_info(std::uint32_t device) { return devices_.at(device).info(); }
  void* prepare_kernel(std::uint32_t device, const dc_kernel_t& kernel) { return devices_.at(device).prepare(kernel); }
  void release_kernel(std::uint32_t device, void* program) noexcept {
    devices_[device].release(static_cast<PreparedKernel*>(program));
  }
  void* allocate(std::uint32_t device, std::uint64_t bytes) { return devices_.at(device).allocate(bytes); }
  void release(std::uint32_t device, void* memory) noexcept { devices_[device].release_memory(memory); }
  void upload(std::uint32_t device, void* memory, const void* host, std::uint64_t bytes) {
    devices_.at(device).upload(memory, host, bytes);
  }
  void download(std::uint32_t device, void* memory, void* host, std::uint64_t bytes) {
    devices_.at(device).download(memory, host, bytes);
  }
  void launch(std::uint32_t device, const dc_launch_t& launch) { devices_.at(device).launch(launch); }
  void synchronize(std::uint32_t device) { devices_.at(device).synchronize(); }
  void waiting(std::uint32_t device, bool begins) noexcept { devices_[device].waiting(begins); }

 private:
  void enumerate(plugin::Devices<OpenClDevice>& found) const {
    cl_uint count = 0;
    const cl_int status = clGetPlatformIDs(0, nullptr, &count);
    if (status == kPlatformNotFound || count == 0) {
      found.unavailable("no OpenCL platform is installed (an ICD such as pocl-opencl-icd is needed)");
      return;
    }
    std::vector<cl_platform_id> platforms(count);
    const cl_int listed = status == CL_SUCCESS ? clGetPlatformIDs(count, platforms.data(), nullptr) : status;
    if (listed != CL_SUCCESS) {
      found.unavailable("clGetPlatformIDs: " + error_name(listed));
      return;
    }
    for (cl_platform_id platform : platforms) {
      const std::string platform_name = platform_string(platform, CL_PLATFORM_NAME);
      try {
        cl_uint device_count = 0;
        check(clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 0, nullptr, &device_count), "clGetDeviceIDs");
        std::vector<cl_device_id> ids(device_count);
        check(clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, device_count, ids.data(), nullptr), "clGetDeviceIDs");
        for (cl_device_id id : ids) {
          found.add(std::make_unique<OpenClDevice>(platform, id, found.next_index(), cache_directory_));
        }
      } catch (const std::exception& error) {
        found.skip("platform '" + platform_name + "'", error.what());
      }
    }
  }

  std::filesystem::path cache_directory_;
  plugin::Devices<OpenClDevice> devices_{"OpenCL device"};
};

class OpenClPlugin {
 public:
  static constexpr const char* name = "opencl";
  static constexpr const char* version = DOTCOMPUTE_VERSION;  // the runtime's, from CMake
  static constexpr const char* description = "OpenCL 1.2+ devices of every installed platform (ICD)";

  explicit OpenClPlugin(const dc_host_t& host) : backend_(ProgramCache::directory_or_default(host.cache_directory)) {}
  OpenClBackend& backend() { return backend_; }

 private:
  OpenClBackend backend_;
};

}  // namespace

}  // namespace dotcompute::opencl

DOTCOMPUTE_PLUGIN(dotcompute::opencl::OpenClPlugin)
