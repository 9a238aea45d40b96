// One launch on the CPU backend: the kernel entry, its arguments and the
// chunk counters that the pool's threads claim work from.
#pragma once

#include <atomic>
#include <cstddef>
#include <vector>

#include "dotcompute/accelerator.hpp"
#include "dotcompute/backend/execution_state.hpp"
#include "dotcompute/cpu/kernel_abi.hpp"

namespace dotcompute::cpu {

class CpuThreadPool;

class CpuCommand final : public ExecutionState {
 public:
  /// `chunk_items` work items per chunk (the last chunk may be shorter).
  CpuCommand(LaunchRequest&& request, CpuThreadPool& pool, std::size_t chunk_items);

  [[nodiscard]] std::size_t total_items() const noexcept { return total_items_; }
  [[nodiscard]] bool has_unclaimed_chunks() const noexcept {
    return next_chunk_.load(std::memory_order_relaxed) < chunk_count_;
  }

  /// Claims and runs chunks until none is left. Returns true when this call
  /// ran the last outstanding chunk (the caller must then finish the command).
  bool run_chunks() noexcept;
  /// Marks it started when it was submitted, without reading the clock: for
  /// a launch run at once on the submitting thread, before run_chunks(). The
  /// moment between is the runtime's own work on it, as for a plugin launch
  /// handed straight over.
  void starts_as_submitted() noexcept;

  /// Finishes as succeeded, or cancelled when a chunk was skipped.
  void finish() noexcept;

  [[nodiscard]] const std::vector<LaunchArgument>& arguments() const noexcept { return arguments_; }

 protected:
  void help_while_waiting() noexcept override;

 private:
  CpuThreadPool& pool_;
  KernelEntry entry_;
  std::vector<LaunchArgument> arguments_;  // owns scalars and keeps buffers alive
  std::vector<const void*> values_;        // values_[i] points into arguments_[i]
  LaunchArgs launch_args_;
  std::size_t total_items_;
  std::size_t chunk_items_;
  std::size_t chunk_count_;
  std::atomic<std::size_t> next_chunk_{0};
  std::atomic<std::size_t> chunks_done_{0};
  std::atomic<bool> started_{false};  // a chunk began running
  bool start_marked_ = false;         // by starts_as_submitted(), before any thread could claim a chunk
  std::atomic<bool> skipped_chunk_{false};
};

}  // namespace dotcompute::cpu
