#include "cpu_thread_pool.hpp"

#include <algorithm>

#include "dotcompute/spin_pause.hpp"

namespace dotcompute::cpu {

namespace {
// Chunks per thread: enough for dynamic balancing when one thread is slowed
// down (shared VM), few enough that claiming stays negligible.
constexpr std::size_t kChunksPerThread = 8;
constexpr std::size_t kMinChunkItems = 1024;
constexpr std::size_t kChunkAlignment = 64;  // items: keeps chunk starts on cache lines
}  // namespace

CpuThreadPool::CpuThreadPool(std::size_t threads, std::chrono::microseconds spin, std::size_t inline_items)
    : threads_(std::max<std::size_t>(threads, 1)), spin_(spin), inline_items_(inline_items) {}

CpuThreadPool::~CpuThreadPool() {
  synchronize();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  epoch_.fetch_add(1, std::memory_order_seq_cst);
  epoch_.notify_all();
  for (auto& worker : workers_) worker.join();
}

std::size_t CpuThreadPool::chunk_items(std::size_t total_items) const noexcept {
  if (total_items <= inline_items_) return std::max<std::size_t>(total_items, 1);
  const std::size_t target = threads_ * kChunksPerThread;
  std::size_t items = std::max(kMinChunkItems, (total_items + target - 1) / target);
  return (items + kChunkAlignment - 1) / kChunkAlignment * kChunkAlignment;
}

void CpuThreadPool::start_workers() {
  // With a single thread that one thread is a worker, so that executions
  // progress even when nobody waits on them (wait_for polling, fire-and-forget).
  const std::size_t workers = std::max<std::size_t>(threads_ - 1, 1);
  for (std::size_t i = 0; i < workers; ++i) workers_.emplace_back([this] { worker_main(); });
}

void CpuThreadPool::submit(const std::shared_ptr<CpuCommand>& command) {
  bool started_workers = false;
  std::call_once(started_, [&] {
    start_workers();
    started_workers = true;
  });
  const bool tiny = command->total_items() <= inline_items_;
  bool was_idle = false;
  {
    std::lock_guard lock(mutex_);
    was_idle = queue_.empty();
    // It runs here below. Its start is marked now, before a worker can see
    // it: a worker may finish it, and a start marked after that would undo
    // the finish. The first launch reads its start instead: it also started
    // the threads.
    if (was_idle && tiny && !started_workers) command->starts_as_submitted();
    queue_.push_back(command);
  }
  if (was_idle && tiny) {
    // Tiny launch on an idle queue: run it here, without waking anyone. It is
    // the head, so workers that notice it find no chunk left to claim.
    if (command->run_chunks()) complete_head(*command);
    return;
  }
  announce_change();
}

void CpuThreadPool::announce_change() noexcept {
  epoch_.fetch_add(1, std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) > 0) epoch_.notify_all();
}

std::shared_ptr<CpuCommand> CpuThreadPool::head() const {
  std::lock_guard lock(mutex_);
  return queue_.empty() ? nullptr : queue_.front();
}

void CpuThreadPool::complete_head(CpuCommand& command) noexcept {
  std::shared_ptr<CpuCommand> finished;  // released after finishing, outside the lock
  bool more = false;
  {
    std::lock_guard lock(mutex_);
    // Only the head has chunks claimed, so the finishing command is the head.
    finished = std::move(queue_.front());
    queue_.pop_front();
    more = !queue_.empty();
  }
  // Idle workers only need to hear about a new head. Waking them for nothing
  // (a futex call per tiny launch) would triple the cost of inline launches.
  if (more) announce_change();
  command.finish();
}

bool CpuThreadPool::spin_for_change(std::uint32_t seen, const CpuCommand* target) const noexcept {
  const auto deadline = std::chrono::steady_clock::now() + spin_;
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (epoch_.load(std::memory_order_acquire) != seen) return true;
      if (target != nullptr && target->is_finished()) return true;
      spin_pause();
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
  }
}

void CpuThreadPool::worker_main() noexcept {
  for (;;) {
    // Read the epoch before looking at the queue: a change after this read
    // is guaranteed to be noticed below.
    const std::uint32_t seen = epoch_.load(std::memory_order_acquire);
    std::shared_ptr<CpuCommand> command;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      if (!queue_.empty()) command = queue_.front();
    }
    if (command && command->has_unclaimed_chunks()) {
      if (command->run_chunks()) complete_head(*command);
      continue;
    }
    command.reset();
    if (spin_for_change(seen, nullptr)) continue;
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    epoch_.wait(seen, std::memory_order_seq_cst);
    sleepers_.fetch_sub(1, std::memory_order_relaxed);
  }
}

void CpuThreadPool::help_until(const CpuCommand& target) noexcept {
  if (threads_ == 1) return;  // the single worker does all the work
  while (!target.is_finished()) {
    const std::uint32_t seen = epoch_.load(std::memory_order_acquire);
    std::shared_ptr<CpuCommand> command = head();
    if (command && command->has_unclaimed_chunks()) {
      if (command->run_chunks()) complete_head(*command);
      continue;
    }
    command.reset();
    // Nothing to claim: other threads run the last chunks. Let the caller
    // spin and then block on the result if the queue does not move soon.
    if (!spin_for_change(seen, &target)) return;
  }
}

void CpuThreadPool::synchronize() noexcept {
  for (;;) {
    std::shared_ptr<CpuCommand> last;
    {
      std::lock_guard lock(mutex_);
      if (queue_.empty()) return;
      last = queue_.back();
    }
    last->wait();
  }
}

}  // namespace dotcompute::cpu
