// The CPU backend's persistent thread pool and in-order command queue.
#pragma once

#include <atomic>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "cpu_command.hpp"

namespace dotcompute::cpu {

/// Runs CpuCommands in submission order; all threads work on the command at
/// the head of the queue, claiming chunks dynamically. `threads - 1` workers
/// (one when `threads` is 1) are started lazily on the first submit; the
/// remaining thread is whichever thread waits on a result, which helps. Idle
/// workers spin for a bounded time before sleeping on a futex. Thread-safe.
class CpuThreadPool {
 public:
  CpuThreadPool(std::size_t threads, std::chrono::microseconds spin, std::size_t inline_items);
  ~CpuThreadPool();  // waits for queued work, then stops the workers
  CpuThreadPool(const CpuThreadPool&) = delete;
  CpuThreadPool& operator=(const CpuThreadPool&) = delete;

  [[nodiscard]] std::size_t threads() const noexcept { return threads_; }
  /// Work items per chunk for a launch of `total_items`.
  [[nodiscard]] std::size_t chunk_items(std::size_t total_items) const noexcept;

  /// Enqueues `command`. A tiny command arriving at an idle queue runs to
  /// completion on the calling thread before this returns.
  void submit(const std::shared_ptr<CpuCommand>& command);
  /// Runs chunks on the calling thread until `command` finishes or there is
  /// nothing to claim for a while.
  void help_until(const CpuCommand& command) noexcept;
  /// Blocks until every submitted command has finished.
  void synchronize() noexcept;

  /// Called by CpuCommand when its last chunk is done.
  void complete_head(CpuCommand& command) noexcept;

 private:
  void start_workers();
  void worker_main() noexcept;
  std::shared_ptr<CpuCommand> head() const;
  void announce_change() noexcept;
  /// Spins until epoch_ != seen or `target` (if any) has finished, or the spin
  /// budget is spent; true unless the budget ran out.
  bool spin_for_change(std::uint32_t seen, const CpuCommand* target) const noexcept;

  const std::size_t threads_;
  const std::chrono::microseconds spin_;
  const std::size_t inline_items_;
  mutable std::mutex mutex_;
  std::deque<std::shared_ptr<CpuCommand>> queue_;
  bool stopping_ = false;
  std::once_flag started_;
  std::vector<std::thread> workers_;
  // Bumped when work appears: a non-inline submit, or a new head after a pop.
  std::atomic<std::uint32_t> epoch_{0};
  std::atomic<int> sleepers_{0};
};

}  // namespace dotcompute::cpu
