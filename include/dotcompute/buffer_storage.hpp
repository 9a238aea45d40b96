// The type-erased storage behind Buffer<T>: the host replica plus the record
// of which executions read or write it.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "dotcompute/memory_pool.hpp"
#include "dotcompute/scalar_type.hpp"

namespace dotcompute {

class ExecutionState;

/// Storage of one buffer. Owned through shared_ptr by its Buffer and by every
/// command that uses it, so memory stays valid while work is in flight.
/// Thread-safe. Devices that share host memory (the CPU backend) use the host
/// replica directly; other devices keep their own replicas (OpenCL, CUDA).
class BufferStorage {
 public:
  /// Allocates `count` elements of `type` from `pool`. Throws OutOfMemoryError.
  BufferStorage(std::shared_ptr<MemoryPool> pool, ScalarType type, std::size_t count);
  ~BufferStorage();
  BufferStorage(const BufferStorage&) = delete;
  BufferStorage& operator=(const BufferStorage&) = delete;

  [[nodiscard]] void* host_data() const noexcept { return host_; }
  [[nodiscard]] std::size_t size() const noexcept { return count_; }
  [[nodiscard]] std::size_t size_bytes() const noexcept { return count_ * size_of(type_); }
  [[nodiscard]] ScalarType element_type() const noexcept { return type_; }

  /// Records that `execution` will access this buffer (before it is submitted).
  void record_access(const std::shared_ptr<ExecutionState>& execution, bool writes);
  /// Blocks until every recorded writer has finished (before a host read).
  void wait_for_writers() const;
  /// Blocks until every recorded reader and writer has finished (before a host write).
  void wait_for_all_access() const;

 private:
  std::shared_ptr<MemoryPool> pool_;
  ScalarType type_;
  std::size_t count_;
  void* host_;
  mutable std::mutex mutex_;
  // Weak: a finished and released execution needs no waiting, and strong
  // references would form a cycle (commands own their buffers).
  std::weak_ptr<ExecutionState> last_writer_;
  std::vector<std::weak_ptr<ExecutionState>> readers_;
};

}  // namespace dotcompute
