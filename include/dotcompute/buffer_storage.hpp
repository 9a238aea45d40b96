// The type-erased storage behind Buffer<T>: the host replica plus the record
// of which executions read or write it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "dotcompute/memory_pool.hpp"
#include "dotcompute/scalar_type.hpp"

namespace dotcompute {

class Accelerator;
class DeviceReplica;
class ExecutionState;
enum class Access : std::uint8_t;

/// Storage of one buffer: the host replica plus one replica per device that
/// does not share host memory, each valid or stale. Owned through shared_ptr
/// by its Buffer and by every command that uses it, so memory stays valid
/// while work is in flight. Thread-safe.
///
/// Coherence: a launch marks what it writes (that copy becomes the only valid
/// one); a read on the host or on another device copies from a valid replica on
/// demand; copies that are already valid are never made again. Devices that
/// share host memory (the CPU backend) use the host replica directly.
class BufferStorage {
 public:
  /// Allocates `count` elements of `type` from `pool`. Throws OutOfMemoryError.
  BufferStorage(std::shared_ptr<MemoryPool> pool, ScalarType type, std::size_t count);
  ~BufferStorage();
  BufferStorage(const BufferStorage&) = delete;
  BufferStorage& operator=(const BufferStorage&) = delete;

  /// The host replica's memory (not necessarily valid: see prepare_host_read()).
  [[nodiscard]] void* host_data() const noexcept { return host_; }
  [[nodiscard]] std::size_t size() const noexcept { return count_; }
  [[nodiscard]] std::size_t size_bytes() const noexcept { return count_ * size_of(type_); }
  [[nodiscard]] ScalarType element_type() const noexcept { return type_; }

  // --- host access ------------------------------------------------------------
  /// Before a host read: waits for pending writers, then makes the host replica valid.
  void prepare_host_read();
  /// Before a host write: waits for every pending access, makes the host
  /// replica valid and marks every device replica stale.
  void prepare_host_write();

  // --- launches (called by backends while submitting, before the command can start) ---
  /// For a device that shares host memory: makes the host replica valid for a
  /// launch with `access`; a writing launch marks the device replicas stale.
  void prepare_host_device_access(Access access);
  /// For a device with its own memory: the device's replica, allocated on
  /// first use, uploaded when stale unless `access` is write-only; a writing
  /// launch makes it the only valid copy. Returns the time spent copying.
  [[nodiscard]] DeviceReplica& prepare_device_access(Accelerator& device, Access access,
                                                     std::chrono::nanoseconds& transfer_time);
  /// Records that `execution` (on host memory or not) will access this buffer.
  void record_access(const std::shared_ptr<ExecutionState>& execution, bool writes, bool on_host);

  /// Blocks until every recorded writer has finished.
  void wait_for_writers() const;
  /// Blocks until every recorded reader and writer has finished.
  void wait_for_all_access() const;

  /// Whether the host replica holds the current contents (tests, diagnostics).
  [[nodiscard]] bool host_valid() const;

 private:
  struct Replica {
    std::shared_ptr<Accelerator> device;  // kept alive while it may hold the only valid copy
    std::unique_ptr<DeviceReplica> memory;
    bool valid;
  };
  struct RecordedAccess {
    std::weak_ptr<ExecutionState> execution;
    bool on_host;
  };
  void ensure_host_valid_locked(std::chrono::nanoseconds& transfer_time);
  void wait_host_side_locked(bool readers_too) const;
  static void wait(const std::weak_ptr<ExecutionState>& execution);

  std::shared_ptr<MemoryPool> pool_;
  ScalarType type_;
  std::size_t count_;
  void* host_;
  mutable std::mutex mutex_;
  bool host_valid_ = true;
  std::vector<Replica> replicas_;
  // Weak: a finished and released execution needs no waiting, and strong
  // references would form a cycle (commands own their buffers).
  RecordedAccess last_writer_{};
  std::vector<RecordedAccess> readers_;
};

}  // namespace dotcompute
