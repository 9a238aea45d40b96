// How many commands a backend with a driver queue (OpenCL, CUDA) hands the
// driver at a time. Work in the driver can no longer be cancelled, so the
// driver is given about kQueuedWorkBudget of it: the window follows the
// measured duration of recent commands. Tiny kernels get a wide window (the
// driver never runs dry), long ones a narrow one (a cancel still reaches all
// but the next couple of them).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>

namespace dotcompute {

class DriverWindow {
 public:
  static constexpr std::chrono::microseconds kQueuedWorkBudget{2000};
  static constexpr std::size_t kMin = 2;     // the driver always has the next command at hand
  static constexpr std::size_t kMax = 4096;  // bounds the driver's own queue
  static constexpr std::size_t kInitial = 64;

  /// Commands the driver may hold now. Any thread.
  [[nodiscard]] std::size_t size() const noexcept { return size_.load(std::memory_order_relaxed); }

  /// `count` commands ran back to back in `busy`. Callers serialise their calls.
  void measured(std::chrono::duration<double> busy, std::size_t count) noexcept {
    if (count == 0) return;
    const double per_command = std::max(busy.count(), 1e-9) / static_cast<double>(count);
    // A moving average: one odd command moves it a quarter of the way.
    seconds_per_command_ = seconds_per_command_ == 0 ? per_command : 0.75 * seconds_per_command_ + 0.25 * per_command;
    const double budget = std::chrono::duration<double>(kQueuedWorkBudget).count();
    const double commands = std::clamp(budget / seconds_per_command_, double{kMin}, double{kMax});
    size_.store(static_cast<std::size_t>(commands), std::memory_order_relaxed);
  }

 private:
  double seconds_per_command_ = 0;  // 0: nothing measured yet
  std::atomic<std::size_t> size_{kInitial};
};

}  // namespace dotcompute
