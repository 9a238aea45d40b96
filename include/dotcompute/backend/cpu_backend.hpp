// The CPU backend: a persistent thread pool running kernels compiled natively at build time.
#pragma once

#include <cstddef>
#include <memory>

#include "dotcompute/accelerator.hpp"

namespace dotcompute {

struct CpuBackendOptions {
  /// Threads executing kernels, counting the thread that waits on a result
  /// (it helps): the pool starts threads - 1 workers; with 1, one worker does
  /// everything and waiters only block. 0 = the CPUs in this process's
  /// affinity mask, or DOTCOMPUTE_CPU_THREADS when set.
  std::size_t threads = 0;
  /// Idle workers spin this long before sleeping (waking costs ~50 µs on a VM).
  /// Negative = DOTCOMPUTE_CPU_SPIN_US or 100 µs.
  long spin_microseconds = -1;
  /// Launches of at most this many work items run inline on the submitting
  /// thread when the queue is idle.
  std::size_t inline_items = 1024;
};

/// The provider of the single CPU device "cpu:0". Its thread pool starts on the first launch.
[[nodiscard]] std::unique_ptr<AcceleratorProvider> make_cpu_provider(CpuBackendOptions options = {});

}  // namespace dotcompute
