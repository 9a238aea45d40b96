#include "opencl_api.hpp"

#include <vector>

#include "dotcompute/plugin.hpp"

namespace dotcompute::opencl {

std::string error_name(cl_int code) {
  const char* name = "unknown OpenCL error";
  switch (code) {
#define DC_CL_ERROR(symbol) \
  case symbol:              \
    name = #symbol;         \
    break;
    DC_CL_ERROR(CL_DEVICE_NOT_FOUND)
    DC_CL_ERROR(CL_DEVICE_NOT_AVAILABLE)
    DC_CL_ERROR(CL_COMPILER_NOT_AVAILABLE)
    DC_CL_ERROR(CL_MEM_OBJECT_ALLOCATION_FAILURE)
    DC_CL_ERROR(CL_OUT_OF_RESOURCES)
    DC_CL_ERROR(CL_OUT_OF_HOST_MEMORY)
    DC_CL_ERROR(CL_BUILD_PROGRAM_FAILURE)
    DC_CL_ERROR(CL_INVALID_VALUE)
    DC_CL_ERROR(CL_INVALID_PLATFORM)
    DC_CL_ERROR(CL_INVALID_DEVICE)
    DC_CL_ERROR(CL_INVALID_CONTEXT)
    DC_CL_ERROR(CL_INVALID_COMMAND_QUEUE)
    DC_CL_ERROR(CL_INVALID_MEM_OBJECT)
    DC_CL_ERROR(CL_INVALID_BINARY)
    DC_CL_ERROR(CL_INVALID_BUILD_OPTIONS)
    DC_CL_ERROR(CL_INVALID_PROGRAM)
    DC_CL_ERROR(CL_INVALID_PROGRAM_EXECUTABLE)
    DC_CL_ERROR(CL_INVALID_KERNEL_NAME)
    DC_CL_ERROR(CL_INVALID_KERNEL)
    DC_CL_ERROR(CL_INVALID_ARG_INDEX)
    DC_CL_ERROR(CL_INVALID_ARG_VALUE)
    DC_CL_ERROR(CL_INVALID_ARG_SIZE)
    DC_CL_ERROR(CL_INVALID_KERNEL_ARGS)
    DC_CL_ERROR(CL_INVALID_WORK_DIMENSION)
    DC_CL_ERROR(CL_INVALID_WORK_GROUP_SIZE)
    DC_CL_ERROR(CL_INVALID_WORK_ITEM_SIZE)
    DC_CL_ERROR(CL_INVALID_GLOBAL_WORK_SIZE)
    DC_CL_ERROR(CL_INVALID_EVENT_WAIT_LIST)
    DC_CL_ERROR(CL_INVALID_EVENT)
    DC_CL_ERROR(CL_INVALID_OPERATION)
    DC_CL_ERROR(CL_INVALID_BUFFER_SIZE)
    DC_CL_ERROR(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST)
#undef DC_CL_ERROR
    default:
      break;
  }
  return std::string(name) + " (" + std::to_string(code) + ")";
}

void check(cl_int code, const std::string& what) {
  if (code == CL_SUCCESS) return;
  const bool out_of_memory =
      code == CL_MEM_OBJECT_ALLOCATION_FAILURE || code == CL_OUT_OF_RESOURCES || code == CL_OUT_OF_HOST_MEMORY;
  throw plugin::Error(out_of_memory ? DC_STATUS_OUT_OF_MEMORY : DC_STATUS_DEVICE_ERROR, what + ": " + error_name(code));
}

namespace {
// A string-valued query of clGetDeviceInfo / clGetPlatformInfo ("" when it fails).
template <class Object, class Query>
std::string info_string(cl_int (*get)(Object, Query, std::size_t, void*, std::size_t*), Object object, Query what) {
  std::size_t size = 0;
  if (get(object, what, 0, nullptr, &size) != CL_SUCCESS || size == 0) return {};
  std::vector<char> text(size);
  if (get(object, what, size, text.data(), nullptr) != CL_SUCCESS) return {};
  return std::string(text.data());
}
}  // namespace

std::string device_string(cl_device_id device, cl_device_info what) {
  return info_string(&clGetDeviceInfo, device, what);
}

std::string platform_string(cl_platform_id platform, cl_platform_info what) {
  return info_string(&clGetPlatformInfo, platform, what);
}

}  // namespace dotcompute::opencl
