// Where the continuations (Execution::then) of a plugin device's launches run.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dotcompute::runtime {

/// Runs the continuations of one plugin device's launches, in the order the
/// launches finished, on a thread of its own (started by the first post).
/// A plugin reports completions on its own threads, where a continuation must
/// not run: it may block (reading a buffer, waiting for another execution),
/// and a driver's callback thread must not (OpenCL leaves blocking calls there
/// undefined, and PoCL then runs nothing queued behind), nor may the thread
/// that reports the completion the continuation waits for (the CUDA plugin's).
/// Thread-safe.
class ContinuationThread {
 public:
  /// `device`: its id, for log messages.
  explicit ContinuationThread(std::string device) : device_(std::move(device)) {}
  ~ContinuationThread() { stop(); }
  ContinuationThread(const ContinuationThread&) = delete;
  ContinuationThread& operator=(const ContinuationThread&) = delete;

  /// Queues `continuations`, to run in order after those posted before. When
  /// the thread cannot start, runs them here instead, and logs why.
  void post(std::vector<std::function<void()>> continuations) noexcept;
  /// Runs what was posted, then ends the thread. Posts after it run on the
  /// posting thread. Never from a continuation it runs: a device whose last
  /// reference drops there is destroyed on another thread (device_lifetime.hpp).
  void stop() noexcept;

 private:
  void main() noexcept;

  const std::string device_;
  std::mutex mutex_;
  std::condition_variable posted_;
  std::deque<std::function<void()>> queue_;  // guarded by mutex_, as are the two below
  bool stopped_ = false;
  std::thread thread_;
};

}  // namespace dotcompute::runtime
