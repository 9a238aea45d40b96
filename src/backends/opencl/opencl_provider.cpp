// The OpenCL backend module's entry point: enumerates every platform and
// device; a platform that fails is skipped with its reason.
#include <filesystem>
#include <vector>

#include "dotcompute/backend/device_lifetime.hpp"
#include "dotcompute/errors.hpp"
#include "opencl_api.hpp"
#include "opencl_device.hpp"

namespace dotcompute::opencl {

namespace {

// CL_PLATFORM_NOT_FOUND_KHR (cl_khr_icd): what the ICD loader returns when no platform is installed.
constexpr cl_int kPlatformNotFound = -1001;

class OpenClProvider final : public AcceleratorProvider {
 public:
  explicit OpenClProvider(std::filesystem::path cache_directory) : cache_directory_(std::move(cache_directory)) {}

  [[nodiscard]] std::string_view backend() const noexcept override { return "opencl"; }

  [[nodiscard]] std::vector<std::shared_ptr<Accelerator>> devices() override {
    cl_uint count = 0;
    const cl_int status = clGetPlatformIDs(0, nullptr, &count);
    if (status == kPlatformNotFound || count == 0) {
      throw DeviceUnavailableError("no OpenCL platform is installed (an ICD such as pocl-opencl-icd is needed)");
    }
    check(status, "clGetPlatformIDs");
    std::vector<cl_platform_id> platforms(count);
    check(clGetPlatformIDs(count, platforms.data(), nullptr), "clGetPlatformIDs");
    std::vector<std::shared_ptr<Accelerator>> result;
    for (cl_platform_id platform : platforms) {
      const std::string name = platform_string(platform, CL_PLATFORM_NAME);
      try {
        cl_uint device_count = 0;
        check(clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 0, nullptr, &device_count), "clGetDeviceIDs");
        std::vector<cl_device_id> ids(device_count);
        check(clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, device_count, ids.data(), nullptr), "clGetDeviceIDs");
        for (cl_device_id id : ids) {
          result.push_back(make_shared_device(new OpenClDevice(platform, id, result.size(), cache_directory_)));
        }
      } catch (const std::exception& error) {
        skipped_.push_back("platform '" + name + "': " + error.what());
      }
    }
    if (result.empty()) {
      std::string reasons;
      for (const auto& reason : skipped_) reasons += (reasons.empty() ? "" : "; ") + reason;
      throw DeviceUnavailableError("no usable OpenCL device" + (reasons.empty() ? std::string() : ": " + reasons));
    }
    return result;
  }

  [[nodiscard]] std::vector<std::string> skipped() const override { return skipped_; }

 private:
  std::filesystem::path cache_directory_;
  std::vector<std::string> skipped_;
};

}  // namespace

}  // namespace dotcompute::opencl

/// The module's entry point, found by the runtime with dlsym. `cache_directory`:
/// where compiled programs are cached ("" = ProgramCache::default_directory()).
extern "C" __attribute__((visibility("default"))) dotcompute::AcceleratorProvider*
dotcompute_backend_opencl_create_provider(const char* cache_directory) {
  return new dotcompute::opencl::OpenClProvider(dotcompute::ProgramCache::directory_or_default(cache_directory));
}
