// A hand-written OpenCL baseline: the first device of the first platform, an
// in-order queue and a program built from plain OpenCL C.
#pragma once

#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>

#include <stdexcept>
#include <string>

namespace dotcompute::bench {

class RawOpenCl {
 public:
  RawOpenCl() {
    cl_platform_id platform = nullptr;
    cl_uint count = 0;
    if (clGetPlatformIDs(1, &platform, &count) != CL_SUCCESS || count == 0) throw std::runtime_error("no OpenCL");
    if (clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 1, &device_, &count) != CL_SUCCESS) {
      throw std::runtime_error("no OpenCL device");
    }
    cl_int error = CL_SUCCESS;
    context_ = clCreateContext(nullptr, 1, &device_, nullptr, nullptr, &error);
    queue_ = clCreateCommandQueue(context_, device_, 0, &error);
    const char* source =
        "__kernel void empty() {}\n"
        "__kernel void vector_add(int n, __global const float* a, __global const float* b, __global float* c) {\n"
        "  int i = get_global_id(0);\n"
        "  if (i < n) c[i] = a[i] + b[i];\n"
        "}\n";
    program_ = clCreateProgramWithSource(context_, 1, &source, nullptr, &error);
    if (clBuildProgram(program_, 1, &device_, "", nullptr, nullptr) != CL_SUCCESS) {
      throw std::runtime_error("raw OpenCL build failed");
    }
  }
  ~RawOpenCl() {
    clFinish(queue_);
    clReleaseProgram(program_);
    clReleaseCommandQueue(queue_);
    clReleaseContext(context_);
  }
  RawOpenCl(const RawOpenCl&) = delete;
  RawOpenCl& operator=(const RawOpenCl&) = delete;

  [[nodiscard]] cl_kernel kernel(const char* name) const {
    cl_int error = CL_SUCCESS;
    return clCreateKernel(program_, name, &error);
  }
  [[nodiscard]] cl_context context() const { return context_; }
  [[nodiscard]] cl_command_queue queue() const { return queue_; }

 private:
  cl_device_id device_ = nullptr;
  cl_context context_ = nullptr;
  cl_command_queue queue_ = nullptr;
  cl_program program_ = nullptr;
};

}  // namespace dotcompute::bench
