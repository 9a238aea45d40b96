#include "raw_vector_add.hpp"

namespace dotcompute::bench {

void raw_vector_add(RawSpinTeam& team, std::size_t n, const float* a, const float* b, float* c) {
  team.run([=](unsigned index, unsigned threads) {
    const std::size_t begin = n * index / threads;
    const std::size_t end = n * (index + 1) / threads;
    for (std::size_t i = begin; i < end; ++i) c[i] = a[i] + b[i];
  });
}

}  // namespace dotcompute::bench
