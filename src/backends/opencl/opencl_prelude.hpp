// The OpenCL C prelude that maps the portable kernel dialect onto OpenCL C 1.2.
#pragma once

namespace dotcompute::opencl {

inline constexpr const char* kPrelude = R"CLC(
#ifdef cl_khr_fp64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#endif
#define DC_KERNEL __kernel
#define DC_FUNC
#define DC_GLOBAL __global
#define DC_CONSTANT __constant
#define DC_WRITE_ONLY
#define DC_RESTRICT restrict
#define DC_SIZE(...)
#define dc_global_id(d) get_global_id(d)
#define dc_global_size(d) get_global_size(d)
#define dc_local_id(d) get_local_id(d)
#define dc_local_size(d) get_local_size(d)
#define dc_group_id(d) get_group_id(d)
#define dc_num_groups(d) get_num_groups(d)
#define dc_sqrt sqrt
#define dc_rsqrt rsqrt
#define dc_exp exp
#define dc_exp2 exp2
#define dc_log log
#define dc_log2 log2
#define dc_log10 log10
#define dc_pow pow
#define dc_sin sin
#define dc_cos cos
#define dc_tan tan
#define dc_asin asin
#define dc_acos acos
#define dc_atan atan
#define dc_atan2 atan2
#define dc_sinh sinh
#define dc_cosh cosh
#define dc_tanh tanh
#define dc_fabs fabs
#define dc_floor floor
#define dc_ceil ceil
#define dc_round round
#define dc_trunc trunc
#define dc_fmin fmin
#define dc_fmax fmax
#define dc_fma fma
#define dc_fmod fmod
#define dc_hypot hypot
#define dc_copysign copysign
#define dc_min min
#define dc_max max
#define dc_clamp clamp
#define dc_abs(x) ((x) < 0 ? -(x) : (x))
)CLC";

}  // namespace dotcompute::opencl
