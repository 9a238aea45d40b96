// The raw CPU side of `dotcompute bench`'s vector_add: a plain loop split over
// a hand-written thread team. Its own file, compiled like the generated
// kernels (-O3 -march=...), so that the comparison is like for like.
#pragma once

#include <cstddef>

#include "raw_spin_team.hpp"

namespace dotcompute::cli {

/// c = a + b over n floats, on every thread of `team`; returns once done.
void raw_vector_add(bench::RawSpinTeam& team, std::size_t n, const float* a, const float* b, float* c);

}  // namespace dotcompute::cli
