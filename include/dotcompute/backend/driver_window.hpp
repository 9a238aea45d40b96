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
// behind it. So each measurement counts as the time per command over the last
// kMeasurementsKept of them, the slowest left out: one stall changes nothing,
// a lasting change takes over within a few measurements, and a mix of short
// and long commands counts as a little less than its mean.
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
  /// Measurements the window follows (the slowest of them left out).
  static constexpr std::size_t kMeasurementsKept = 4;

  /// Commands the driver may hold now. Any thread.
  [[nodiscard]] std::size_t size() const noexcept { return size_.load(std::memory_order_relaxed); }

  /// `count` commands ran back to back in `busy`. Callers serialise their calls.
  void measured(std::chrono::duration<double> busy, std::size_t count) noexcept {
    if (count == 0) return;
    recent_[measurements_ % kMeasurementsKept] = {std::max(busy.count(), 1e-9), count};
    ++measurements_;
    const std::size_t kept = std::min(measurements_, kMeasurementsKept);
    std::size_t slowest = kept;  // none left out while only one is known
    if (kept > 1) {
      const auto per_command = [](const Measurement& m) { return m.busy / static_cast<double>(m.count); };
      slowest = 0;
      for (std::size_t i = 1; i < kept; ++i) {
        if (per_command(recent_[i]) > per_command(recent_[slowest])) slowest = i;
      }
    }
    double busy_total = 0;
    double count_total = 0;
    for (std::size_t i = 0; i < kept; ++i) {
      if (i == slowest) continue;
      busy_total += recent_[i].busy;
      count_total += static_cast<double>(recent_[i].count);
    }
    const double typical = busy_total / count_total;
    // A moving average: a change moves it a quarter of the way per measurement.
    seconds_per_command_ = measurements_ == 1 ? typical : 0.75 * seconds_per_command_ + 0.25 * typical;
    const double budget = std::chrono::duration<double>(kQueuedWorkBudget).count();
    const double commands = std::clamp(budget / seconds_per_command_, double{kMin}, double{kMax});
    size_.store(static_cast<std::size_t>(commands), std::memory_order_relaxed);
  }

 private:
  struct Measurement {
    double busy = 0;  // seconds
    std::size_t count = 0;
  };
  std::array<Measurement, kMeasurementsKept> recent_{};
  std::size_t measurements_ = 0;
  double seconds_per_command_ = 0;
  std::atomic<std::size_t> size_{kInitial};
};

}  // namespace dotcompute
