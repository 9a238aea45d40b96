#include <bit>

#include "dotcompute/runtime_services.hpp"

namespace dotcompute {

void PerformanceMonitor::execution_finished(const KernelResult& result, ExecutionStatus status) noexcept {
  const auto total = result.timings.total;
  const auto micros = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(total).count());
  const std::size_t bucket = std::min<std::size_t>(static_cast<std::size_t>(std::bit_width(micros)), 31);
  try {
    std::lock_guard lock(mutex_);
    Entry& entry = entries_[result.kernel + "@" + result.device];
    switch (status) {
      case ExecutionStatus::succeeded:
        ++entry.succeeded;
        break;
      case ExecutionStatus::cancelled:
        ++entry.cancelled;
        return;  // no meaningful duration
      default:
        ++entry.failed;
        return;
    }
    entry.total_time += total;
    entry.min_time = std::min(entry.min_time, total);
    entry.max_time = std::max(entry.max_time, total);
    ++entry.histogram[bucket];
  } catch (...) {
    // Allocation failure while recording: the sample is dropped, the execution is unaffected.
  }
}

PerformanceMonitor::Snapshot PerformanceMonitor::snapshot() const {
  std::lock_guard lock(mutex_);
  return entries_;
}

void PerformanceMonitor::reset() {
  std::lock_guard lock(mutex_);
  entries_.clear();
}

}  // namespace dotcompute
