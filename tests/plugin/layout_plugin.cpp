// A backend plugin whose tables are laid out the way a plugin built against
// another plugin_abi.h of ABI version 1 lays them out. LAYOUT_PLUGIN=1: an
// older header, whose dc_backend_t ends before `features`; 2: a newer one,
// with 16 bytes of fields this runtime does not know after each dc_backend_t
// (filled with 0xff, which the runtime must not read). Two backends, so that
// reading the second one needs the plugin's element size. Each has one device
// sharing host memory, which runs kernels' native code inline. Plain C ABI,
// no helper header: the point is the bytes.
#include <dotcompute/plugin_abi.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

namespace {

#if LAYOUT_PLUGIN == 1
constexpr std::size_t kStride = offsetof(dc_backend_t, features);
constexpr const char* kPluginName = "layout_older";
constexpr const char* kBackendNames[2] = {"older_a", "older_b"};
#else
constexpr std::size_t kStride = sizeof(dc_backend_t) + 16;
constexpr const char* kPluginName = "layout_newer";
constexpr const char* kBackendNames[2] = {"newer_a", "newer_b"};
#endif
static_assert(kStride % alignof(dc_backend_t) == 0);

dc_status_t device_count(void*, std::uint32_t* count, dc_message_t*) {
  *count = 1;
  return DC_STATUS_OK;
}

dc_status_t device_info(void*, std::uint32_t, dc_device_info_t* info, dc_message_t*) {
  *info = dc_device_info_t{};
  info->struct_size = sizeof *info;
  info->name = "layout test device";
  info->vendor = "dotcompute tests";
  info->driver_version = kPluginName;
  info->type = DC_DEVICE_CPU;
  info->compute_units = 1;
  info->global_memory_bytes = std::uint64_t{1} << 30;
  info->max_work_group_size = 1024;
  info->shares_host_memory = 1;
  return DC_STATUS_OK;
}

dc_status_t prepare_kernel(void*, std::uint32_t, const dc_kernel_t* kernel, void** program, dc_message_t* message) {
  if (kernel->run_host_chunk == nullptr) {
    std::snprintf(message->text, sizeof message->text, "it has no native host code");
    return DC_STATUS_UNSUPPORTED;
  }
  *program = const_cast<dc_kernel_t*>(kernel);
  return DC_STATUS_OK;
}

void release_kernel(void*, std::uint32_t, void*) {}

dc_status_t launch(void*, std::uint32_t, const dc_launch_t* launch, dc_message_t*) {
  const auto* kernel = static_cast<const dc_kernel_t*>(launch->program);
  std::vector<const void*> values;
  for (std::uint32_t i = 0; i < launch->argument_count; ++i) {
    const dc_launch_argument_t& argument = launch->arguments[i];
    values.push_back(argument.kind == DC_PARAMETER_BUFFER ? static_cast<const void*>(&argument.memory)
                                                          : static_cast<const void*>(argument.scalar));
  }
  const dc_work_geometry_t& geometry = launch->geometry;
  kernel->run_host_chunk(kernel->host_code, values.data(), &geometry, 0,
                         geometry.global[0] * geometry.global[1] * geometry.global[2]);
  launch->complete(launch->completion_context, DC_STATUS_OK, nullptr);
  return DC_STATUS_OK;
}

dc_status_t synchronize(void*, std::uint32_t, dc_message_t*) { return DC_STATUS_OK; }

alignas(dc_backend_t) unsigned char backend_bytes[2 * kStride];

const dc_plugin_t& table() {
  static const dc_plugin_t plugin = [] {
    std::memset(backend_bytes, 0xff, sizeof backend_bytes);
    for (int i = 0; i < 2; ++i) {
      dc_backend_t backend{};
      backend.struct_size = static_cast<std::uint32_t>(kStride);
      backend.name = kBackendNames[i];
      backend.device_count = &device_count;
      backend.device_info = &device_info;
      backend.prepare_kernel = &prepare_kernel;
      backend.release_kernel = &release_kernel;
      backend.launch = &launch;
      backend.synchronize = &synchronize;
      std::memcpy(backend_bytes + i * kStride, &backend, std::min(kStride, sizeof backend));
    }
    dc_plugin_t result{};
    result.abi_version = DC_PLUGIN_ABI_VERSION;
    result.struct_size = sizeof result;
    result.name = kPluginName;
    result.version = "1.0.0";
    result.description = "tables laid out by another header of ABI 1 (tests)";
    result.backend_count = 2;
    result.backends = reinterpret_cast<const dc_backend_t*>(backend_bytes);
    return result;
  }();
  return plugin;
}

}  // namespace

DC_PLUGIN_EXPORT const dc_plugin_t* dotcompute_plugin_entry(void) { return &table(); }
