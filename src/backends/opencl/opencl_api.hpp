// The OpenCL 1.2 API as the backend uses it, and its error handling.
#pragma once

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>

#include <string>

namespace dotcompute::opencl {

/// "CL_OUT_OF_RESOURCES (-5)".
[[nodiscard]] std::string error_name(cl_int code);

/// Throws plugin::Error(DC_STATUS_DEVICE_ERROR, "<what>: <error name>")
/// unless `code` is CL_SUCCESS; DC_STATUS_OUT_OF_MEMORY for the out-of-memory codes.
void check(cl_int code, const std::string& what);

/// A string-valued clGetDeviceInfo / clGetPlatformInfo query.
[[nodiscard]] std::string device_string(cl_device_id device, cl_device_info what);
[[nodiscard]] std::string platform_string(cl_platform_id platform, cl_platform_info what);

}  // namespace dotcompute::opencl
