// A backend plugin for measuring the runtime alone: one device sharing host
// memory that runs each kernel's native host code inside launch(), on the
// calling thread, and completes it before returning. A launch through the
// runtime then costs the runtime's whole per-launch work, submission and
// completion, on one thread (dotcompute_plugin_bench).
#include <array>

#include <dotcompute/plugin.hpp>

namespace {

using dotcompute::plugin::Error;

class InlineBackend {
 public:
  static constexpr const char* name = "inline";

  std::uint32_t device_count() { return 1; }

  dc_device_info_t device_info(std::uint32_t) {
    dc_device_info_t info{};
    info.struct_size = sizeof info;
    info.name = "inline device (benchmark plugin)";
    info.vendor = "dotcompute benchmarks";
    info.driver_version = "1.0.0";
    info.type = DC_DEVICE_CPU;
    info.compute_units = 1;
    info.global_memory_bytes = std::uint64_t{1} << 30;
    info.max_work_group_size = 1024;
    info.shares_host_memory = 1;
    return info;
  }

  void* prepare_kernel(std::uint32_t, const dc_kernel_t& kernel) {
    if (kernel.run_host_chunk == nullptr) throw Error(DC_STATUS_UNSUPPORTED, "it has no native host code");
    return const_cast<dc_kernel_t*>(&kernel);  // valid until release_kernel
  }
  void release_kernel(std::uint32_t, void*) noexcept {}

  void launch(std::uint32_t, const dc_launch_t& launch) {
    const auto& kernel = *static_cast<const dc_kernel_t*>(launch.program);
    std::array<const void*, 32> values{};
    if (launch.argument_count > values.size()) throw Error(DC_STATUS_INVALID_ARGUMENT, "too many arguments");
    for (std::uint32_t i = 0; i < launch.argument_count; ++i) {
      const dc_launch_argument_t& argument = launch.arguments[i];
      values[i] = argument.kind == DC_PARAMETER_BUFFER ? static_cast<const void*>(&argument.memory)
                                                       : static_cast<const void*>(argument.scalar);
    }
    const std::uint64_t items = launch.geometry.global[0] * launch.geometry.global[1] * launch.geometry.global[2];
    kernel.run_host_chunk(kernel.host_code, values.data(), &launch.geometry, 0, items);
    launch.complete(launch.completion_context, DC_STATUS_OK, nullptr);
  }
  void synchronize(std::uint32_t) {}  // nothing is ever queued
};

struct InlinePlugin {
  static constexpr const char* name = "inline";
  static constexpr const char* version = "1.0.0";
  static constexpr const char* description = "runs kernels inside launch(), for measuring the runtime alone";
  explicit InlinePlugin(const dc_host_t&) {}
  InlineBackend& backend() { return backend_; }

 private:
  InlineBackend backend_;
};

}  // namespace

DOTCOMPUTE_PLUGIN(InlinePlugin)
