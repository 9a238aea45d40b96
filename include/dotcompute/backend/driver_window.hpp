// How many commands a backend with a driver queue (OpenCL, CUDA) hands the
// driver at a time. Work in the driver can no longer be cancelled, so the
// driver is given about kQueuedWorkBudget of it: the window follows the
// measured duration of recent commands. Tiny kernels get a wide window (the
// driver never runs dry), long ones a narrow one (a cancel still reaches all
// but the next couple of them).
//
// A measurement is wall time, so a stall inflates it: a driver thread
// preempted mid-command, a sleeping driver woken for a burst's first command.
// Pipelining empty kernels on PoCL with 2 vCPUs, one marker in ten measured
// over 2.5x the median time per command and one in a hundred over 20x; moved
// a quarter of the way by each, the window (about 1600 commands at the
// median) spent half the run below 1000, and launches queued in software
// behind it. So a faster measurement counts at once, a slower one only once
// kRisesToConfirm in a row say so: each counts as the fastest of itself and
// the ones before it.
#pragma once

#include <algorithm>
#include <array>
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
  /// Measurements in a row that must find commands slower before the window shrinks.
  static constexpr std::size_t kRisesToConfirm = 3;

  /// Commands the driver may hold now. Any thread.
  [[nodiscard]] std::size_t size() const noexcept { return size_.load(std::memory_order_relaxed); }

  /// `count` commands ran back to back in `busy`. Callers serialise their calls.
  void measured(std::chrono::duration<double> busy, std::size_t count) noexcept {
    if (count == 0) return;
    const double per_command = std::max(busy.count(), 1e-9) / static_cast<double>(count);
    std::rotate(recent_.rbegin(), recent_.rbegin() + 1, recent_.rend());
    recent_.front() = per_command;
    ++measurements_;
    const std::size_t known = std::min<std::size_t>(measurements_, recent_.size());
    const double confirmed = *std::min_element(recent_.begin(), recent_.begin() + static_cast<std::ptrdiff_t>(known));
    // A moving average: a confirmed change moves it a quarter of the way.
    seconds_per_command_ = measurements_ == 1 ? confirmed : 0.75 * seconds_per_command_ + 0.25 * confirmed;
    const double budget = std::chrono::duration<double>(kQueuedWorkBudget).count();
    const double commands = std::clamp(budget / seconds_per_command_, double{kMin}, double{kMax});
    size_.store(static_cast<std::size_t>(commands), std::memory_order_relaxed);
  }

 private:
  std::array<double, kRisesToConfirm> recent_{};  // seconds per command, the latest first
  std::size_t measurements_ = 0;
  double seconds_per_command_ = 0;
  std::atomic<std::size_t> size_{kInitial};
};

}  // namespace dotcompute
