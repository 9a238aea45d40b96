// What the suite's stand-in CUDA driver (stand_in_driver.cpp) counts, read by
// tests through its exported stand_in_cuda_counters().
#pragma once

#include <atomic>

struct StandInCounters {
  std::atomic<int> launches{0};
  std::atomic<int> event_records{0};
  std::atomic<int> host_registers{0};
  std::atomic<int> host_unregisters{0};
  std::atomic<int> pinned_copies{0};    // copies from or to registered host memory
  std::atomic<int> pageable_copies{0};  // copies from or to any other host memory
  std::atomic<int> staging_allocations{0};
};
