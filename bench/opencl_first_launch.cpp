// One process, one first launch: `raw` builds plain OpenCL C (PoCL serves it
// from its own kernel cache) and runs vector_add once; `dotcompute` does the
// same through the runtime, whose program comes from dotcompute's disk cache.
#include <cstdio>
#include <cstring>
#include <dotcompute/dotcompute.hpp>
#include <vector>

#include "raw_opencl.hpp"
#include "sample_catalog.hpp"

int main(int argc, char** argv) {
  constexpr int n = 1 << 20;
  if (argc == 2 && std::strcmp(argv[1], "raw") == 0) {
    dotcompute::bench::RawOpenCl raw;
    cl_int error = CL_SUCCESS;
    std::vector<float> ones(n, 1.0f);
    cl_mem a = clCreateBuffer(raw.context(), CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, n * 4, ones.data(), &error);
    cl_mem b = clCreateBuffer(raw.context(), CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, n * 4, ones.data(), &error);
    cl_mem c = clCreateBuffer(raw.context(), CL_MEM_READ_WRITE, n * 4, nullptr, &error);
    cl_kernel add = raw.kernel("vector_add");
    clSetKernelArg(add, 0, sizeof(int), &n);
    clSetKernelArg(add, 1, sizeof(cl_mem), &a);
    clSetKernelArg(add, 2, sizeof(cl_mem), &b);
    clSetKernelArg(add, 3, sizeof(cl_mem), &c);
    const std::size_t global = n;
    const std::size_t local = 256;
    clEnqueueNDRangeKernel(raw.queue(), add, 1, nullptr, &global, &local, 0, nullptr, nullptr);
    float first = 0;
    clEnqueueReadBuffer(raw.queue(), c, CL_TRUE, 0, sizeof first, &first, 0, nullptr, nullptr);
    clReleaseKernel(add);
    clReleaseMemObject(a);
    clReleaseMemObject(b);
    clReleaseMemObject(c);
    return first == 2.0f ? 0 : 1;
  }
  if (argc == 2 && std::strcmp(argv[1], "dotcompute") == 0) {
    if (dotcompute::samples::find_sample("vector_add") == nullptr) return 1;
    dotcompute::Runtime runtime =
        dotcompute::Runtime::create([](dotcompute::RuntimeOptions& o) { o.backends = {"opencl"}; });
    dotcompute::Buffer<float> a(n), b(n), c(n);
    a.fill(1.0f);
    b.fill(1.0f);
    runtime.orchestrator().execute("vector_add", dotcompute::Range(n), n, std::as_const(a), std::as_const(b), c).wait();
    return c.host_read()[0] == 2.0f ? 0 : 1;
  }
  std::fprintf(stderr, "usage: opencl_first_launch raw|dotcompute\n");
  return 2;
}
