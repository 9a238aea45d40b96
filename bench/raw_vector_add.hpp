// The raw side of vector_add on the CPU (dotcompute_bench's BM_VectorAdd16M,
// `dotcompute bench`): a plain loop split over a hand-written thread team. Its
// own file, compiled like the generated kernels (-O3 -march=...), so that the
// comparison is like for like.
#pragma once

#include <cstddef>

#include "raw_spin_team.hpp"

namespace dotcompute::bench {

/// c = a + b over n floats, on every thread of `team`; returns once done.
void raw_vector_add(RawSpinTeam& team, std::size_t n, const float* a, const float* b, float* c);

}  // namespace dotcompute::bench
