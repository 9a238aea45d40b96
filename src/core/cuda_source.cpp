#include "dotcompute/backend/cuda_source.hpp"

#include <sstream>

namespace dotcompute::cuda {

namespace {

// Maps the dialect onto CUDA C++. Kernels become device functions called by
// generated entry points, which launch whole blocks and drop the work items
// past the range (CUDA, unlike OpenCL 1.2, has no exact global size).
constexpr const char* kPrelude = R"CUDA(
#define DC_KERNEL __device__ __forceinline__
#define DC_FUNC __device__ inline
#define DC_GLOBAL
#define DC_CONSTANT __device__ constexpr
#define DC_WRITE_ONLY
#define DC_RESTRICT __restrict__
#define DC_SIZE(...)
typedef unsigned int uint;
typedef unsigned long ulong;
typedef unsigned long dc_size_t;

// The launch range, for dc_global_size(); set by the entry point of kernels that use it.
__shared__ unsigned long long dc_global_size_[3];

__device__ __forceinline__ dc_size_t dc_global_id(int d) {
  return d == 0   ? (dc_size_t)blockIdx.x * blockDim.x + threadIdx.x
         : d == 1 ? (dc_size_t)blockIdx.y * blockDim.y + threadIdx.y
                  : (dc_size_t)blockIdx.z * blockDim.z + threadIdx.z;
}
__device__ __forceinline__ dc_size_t dc_global_size(int d) { return dc_global_size_[d]; }
__device__ __forceinline__ dc_size_t dc_local_id(int d) {
  return d == 0 ? threadIdx.x : d == 1 ? threadIdx.y : threadIdx.z;
}
__device__ __forceinline__ dc_size_t dc_local_size(int d) {
  return d == 0 ? blockDim.x : d == 1 ? blockDim.y : blockDim.z;
}
__device__ __forceinline__ dc_size_t dc_group_id(int d) {
  return d == 0 ? blockIdx.x : d == 1 ? blockIdx.y : blockIdx.z;
}
__device__ __forceinline__ dc_size_t dc_num_groups(int d) {
  return d == 0 ? gridDim.x : d == 1 ? gridDim.y : gridDim.z;
}

#define DC_CUDA_UNARY(name, f32, f64)                                      \
  __device__ __forceinline__ float name(float x) { return f32(x); } \
  __device__ __forceinline__ double name(double x) { return f64(x); }
#define DC_CUDA_BINARY(name, f32, f64)                                                \
  __device__ __forceinline__ float name(float x, float y) { return f32(x, y); } \
  __device__ __forceinline__ double name(double x, double y) { return f64(x, y); }
DC_CUDA_UNARY(dc_sqrt, sqrtf, sqrt)
DC_CUDA_UNARY(dc_rsqrt, rsqrtf, rsqrt)
DC_CUDA_UNARY(dc_exp, expf, exp)
DC_CUDA_UNARY(dc_exp2, exp2f, exp2)
DC_CUDA_UNARY(dc_log, logf, log)
DC_CUDA_UNARY(dc_log2, log2f, log2)
DC_CUDA_UNARY(dc_log10, log10f, log10)
DC_CUDA_UNARY(dc_sin, sinf, sin)
DC_CUDA_UNARY(dc_cos, cosf, cos)
DC_CUDA_UNARY(dc_tan, tanf, tan)
DC_CUDA_UNARY(dc_asin, asinf, asin)
DC_CUDA_UNARY(dc_acos, acosf, acos)
DC_CUDA_UNARY(dc_atan, atanf, atan)
DC_CUDA_UNARY(dc_sinh, sinhf, sinh)
DC_CUDA_UNARY(dc_cosh, coshf, cosh)
DC_CUDA_UNARY(dc_tanh, tanhf, tanh)
DC_CUDA_UNARY(dc_fabs, fabsf, fabs)
DC_CUDA_UNARY(dc_floor, floorf, floor)
DC_CUDA_UNARY(dc_ceil, ceilf, ceil)
DC_CUDA_UNARY(dc_round, roundf, round)
DC_CUDA_UNARY(dc_trunc, truncf, trunc)
DC_CUDA_BINARY(dc_pow, powf, pow)
DC_CUDA_BINARY(dc_atan2, atan2f, atan2)
DC_CUDA_BINARY(dc_fmin, fminf, fmin)
DC_CUDA_BINARY(dc_fmax, fmaxf, fmax)
DC_CUDA_BINARY(dc_fmod, fmodf, fmod)
DC_CUDA_BINARY(dc_hypot, hypotf, hypot)
DC_CUDA_BINARY(dc_copysign, copysignf, copysign)
#undef DC_CUDA_UNARY
#undef DC_CUDA_BINARY
__device__ __forceinline__ float dc_fma(float x, float y, float z) { return fmaf(x, y, z); }
__device__ __forceinline__ double dc_fma(double x, double y, double z) { return fma(x, y, z); }
template <class T> __device__ __forceinline__ T dc_min(T a, T b) { return b < a ? b : a; }
template <class T> __device__ __forceinline__ T dc_max(T a, T b) { return a < b ? b : a; }
template <class T> __device__ __forceinline__ T dc_clamp(T x, T low, T high) { return dc_min(dc_max(x, low), high); }
template <class T> __device__ __forceinline__ T dc_abs(T x) { return x < T(0) ? -x : x; }

struct dc_geometry { unsigned long long global[3]; };
)CUDA";

std::string escaped(std::string_view path) {
  std::string result;
  for (const char c : path) {
    if (c == '"' || c == '\\') result += '\\';
    result += c;
  }
  return result;
}

}  // namespace

std::string entry_name(std::string_view kernel) { return "dc_entry_" + std::string(kernel); }

std::string translation_unit(const KernelSource& source, std::span<const KernelDefinition* const> kernels) {
  std::ostringstream out;
  out << kPrelude << "#line 1 \"" << escaped(source.path) << "\"\n" << source.text;
  if (!source.text.empty() && source.text.back() != '\n') out << '\n';
  out << "#line 1 \"<dotcompute entry points>\"\n";
  // Only kernels whose source asks for dc_global_size pay for publishing the range to shared memory.
  const bool publishes_size = source.text.find("dc_global_size") != std::string::npos;
  for (const KernelDefinition* kernel : kernels) {
    out << "extern \"C\" __global__ void " << entry_name(kernel->name) << "(dc_geometry dc_g";
    for (const KernelParameter& parameter : kernel->parameters) {
      out << ", ";
      if (parameter.kind == ParameterKind::buffer && parameter.access == Access::read_only) out << "const ";
      out << dialect_name(parameter.type) << (parameter.kind == ParameterKind::buffer ? "* " : " ") << parameter.name;
    }
    out << ") {\n";
    if (publishes_size) {
      out << "  if (threadIdx.x + threadIdx.y + threadIdx.z == 0) {\n"
             "    dc_global_size_[0] = dc_g.global[0];\n"
             "    dc_global_size_[1] = dc_g.global[1];\n"
             "    dc_global_size_[2] = dc_g.global[2];\n"
             "  }\n"
             "  __syncthreads();\n";
    }
    out << "  if (dc_global_id(0) >= dc_g.global[0] || dc_global_id(1) >= dc_g.global[1] ||\n"
           "      dc_global_id(2) >= dc_g.global[2]) return;\n"
        << "  " << kernel->name << "(";
    for (std::size_t i = 0; i < kernel->parameters.size(); ++i) {
      out << (i == 0 ? "" : ", ") << kernel->parameters[i].name;
    }
    out << ");\n}\n";
  }
  return out.str();
}

}  // namespace dotcompute::cuda
