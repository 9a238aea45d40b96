#include "cpu_command.hpp"

#include <algorithm>

#include "cpu_thread_pool.hpp"

namespace dotcompute::cpu {

CpuCommand::CpuCommand(LaunchRequest&& request, CpuThreadPool& pool, std::size_t chunk_items)
    : ExecutionState(std::move(request.result), std::move(request.stop)),
      pool_(pool),
      entry_(request.kernel->cpu_entry),
      arguments_(std::move(request.arguments)),
      total_items_(request.global.total()),
      chunk_items_(std::max<std::size_t>(chunk_items, 1)),
      // An empty range still gets one (empty) chunk so that it completes in queue order.
      chunk_count_(std::max<std::size_t>(1, (total_items_ + chunk_items_ - 1) / chunk_items_)) {
  values_.reserve(arguments_.size());
  for (LaunchArgument& argument : arguments_) {
    values_.push_back(argument.kind == ParameterKind::scalar ? static_cast<const void*>(argument.scalar)
                                                             : static_cast<const void*>(&argument.host_pointer));
  }
  launch_args_.values = values_.data();
  for (int d = 0; d < 3; ++d) {
    launch_args_.geometry.global[d] = request.global[d];
    launch_args_.geometry.local[d] = request.local[d];
  }
}

bool CpuCommand::run_chunks() noexcept {
  for (;;) {
    const std::size_t chunk = next_chunk_.fetch_add(1, std::memory_order_relaxed);
    if (chunk >= chunk_count_) return false;
    if (cancel_requested()) {
      skipped_chunk_.store(true, std::memory_order_relaxed);
    } else {
      if (!started_.load(std::memory_order_relaxed) && !started_.exchange(true, std::memory_order_relaxed)) {
        if (!start_marked_) mark_started();
      }
      const std::size_t begin = chunk * chunk_items_;
      entry_(launch_args_, WorkChunk{begin, std::min(total_items_, begin + chunk_items_)});
    }
    // acq_rel: the finisher sees every chunk's writes and the start time.
    if (chunks_done_.fetch_add(1, std::memory_order_acq_rel) + 1 == chunk_count_) return true;
  }
}

void CpuCommand::starts_as_submitted() noexcept {
  start_marked_ = true;
  mark_started(submitted_at());
}

void CpuCommand::finish() noexcept {
  if (skipped_chunk_.load(std::memory_order_relaxed)) {
    // Whether a chunk ran, not whether a start was marked (starts_as_submitted).
    if (started_.load(std::memory_order_relaxed)) {
      finish_cancelled();
    } else {
      finish_dropped();
    }
  } else {
    finish_succeeded();
  }
}

void CpuCommand::help_while_waiting() noexcept { pool_.help_until(*this); }

}  // namespace dotcompute::cpu
