// Memory pool: allocate + free on a cache hit vs malloc + free of the same size.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <dotcompute/dotcompute.hpp>

#include "paired.hpp"

namespace dotcompute::bench {
namespace {

void BM_PoolAllocateFreeHit(benchmark::State& state) {
  const auto bytes = static_cast<std::size_t>(state.range(0));
  MemoryPool pool(make_host_allocator(), "bench");
  pool.deallocate(pool.allocate(bytes), bytes);  // warm the size class
  constexpr int kBatch = 10000;
  PairedSamples samples;
  for (auto _ : state) {
    const double dc = seconds_taken([&] {
      for (int i = 0; i < kBatch; ++i) {
        void* block = pool.allocate(bytes);
        benchmark::DoNotOptimize(block);
        pool.deallocate(block, bytes);
      }
    });
    const double raw = seconds_taken([&] {
      for (int i = 0; i < kBatch; ++i) {
        void* block = std::malloc(bytes);
        benchmark::DoNotOptimize(block);
        std::free(block);
      }
    });
    samples.add(dc, raw);
  }
  samples.report_latency(state, kBatch);
}
BENCHMARK(BM_PoolAllocateFreeHit)->Arg(4096)->Arg(1 << 20)->Arg(64 << 20)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
}  // namespace dotcompute::bench
