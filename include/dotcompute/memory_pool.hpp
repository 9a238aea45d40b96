// Caching memory pools with size classes, statistics and trim.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "dotcompute/namespace.hpp"

namespace dotcompute {

/// Where a pool gets its memory from (host heap, device memory, ...).
/// Implementations must be thread-safe.
class MemoryAllocator {
 public:
  virtual ~MemoryAllocator() = default;
  /// Returns `bytes` of memory (64-byte aligned at least) or nullptr when exhausted.
  virtual void* allocate(std::size_t bytes) noexcept = 0;
  /// Releases a block returned by allocate(bytes) with the same `bytes`.
  virtual void deallocate(void* block, std::size_t bytes) noexcept = 0;
  [[nodiscard]] virtual std::string_view name() const noexcept = 0;
};

/// Host memory: 64-byte aligned heap blocks below 2 MiB; 2 MiB-aligned
/// anonymous mappings advised for transparent huge pages from 2 MiB up.
[[nodiscard]] std::unique_ptr<MemoryAllocator> make_host_allocator();

/// Counters of a pool. `bytes_held` = bytes_in_use + bytes_cached.
struct MemoryPoolStats {
  std::uint64_t allocations = 0;  ///< successful allocate() calls with bytes > 0
  std::uint64_t hits = 0;         ///< served from the cache
  std::uint64_t misses = 0;       ///< went to the upstream allocator
  std::uint64_t trims = 0;        ///< trim() calls plus automatic trims on exhaustion
  std::uint64_t bytes_in_use = 0;
  std::uint64_t bytes_cached = 0;
  std::uint64_t bytes_held = 0;
  std::uint64_t peak_bytes_held = 0;
};

struct MemoryPoolOptions {
  /// Freed blocks are cached up to this many bytes; beyond it they go back upstream.
  std::size_t max_cached_bytes = std::size_t{1} << 30;
  /// Blocks larger than this are never cached (and not rounded to a size class).
  std::size_t max_cached_block = std::size_t{1} << 30;
};

/// A caching pool over an upstream allocator. Requests are rounded up to a size
/// class (64 B, then four classes per power of two, so at most 25 % waste);
/// freed blocks wait in per-class free lists for the next request of that class.
/// When upstream is exhausted the pool trims its cache and retries once, then
/// throws OutOfMemoryError. Thread-safe. A pool must outlive its blocks
/// (buffers keep their pool alive through a shared_ptr).
class MemoryPool {
 public:
  MemoryPool(std::unique_ptr<MemoryAllocator> upstream, std::string name, MemoryPoolOptions options = {});
  ~MemoryPool();
  MemoryPool(const MemoryPool&) = delete;
  MemoryPool& operator=(const MemoryPool&) = delete;

  /// A block of at least `bytes` (nullptr for 0). Throws OutOfMemoryError naming the pool.
  [[nodiscard]] void* allocate(std::size_t bytes);
  /// Returns a block obtained from allocate(bytes) with the same `bytes`.
  void deallocate(void* block, std::size_t bytes) noexcept;
  /// Returns every cached block upstream; the number of bytes released.
  std::size_t trim() noexcept;

  /// Changes the cap on cached bytes; a cache above the new cap is trimmed now.
  void set_max_cached_bytes(std::size_t bytes) noexcept;

  [[nodiscard]] MemoryPoolStats stats() const;
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] MemoryPoolOptions options() const;

  /// The size class `bytes` is rounded up to (bytes itself above max_cached_block).
  [[nodiscard]] std::size_t block_size(std::size_t bytes) const noexcept;

 private:
  static constexpr std::size_t kClassCount = 4 * 64;
  [[nodiscard]] static std::size_t class_index(std::size_t block_bytes) noexcept;
  [[nodiscard]] static std::size_t class_block_size(std::size_t index) noexcept;
  std::size_t trim_locked() noexcept;

  std::unique_ptr<MemoryAllocator> upstream_;
  std::string name_;
  mutable std::mutex mutex_;
  MemoryPoolOptions options_;  // max_cached_bytes may change (under mutex_)
  std::array<std::vector<void*>, kClassCount> free_lists_;
  MemoryPoolStats stats_;  // bytes_held is derived in stats()
};

/// The process-wide host pool: host replicas of buffers and the CPU backend's
/// memory (the CPU backend is zero-copy). Created on first use.
[[nodiscard]] const std::shared_ptr<MemoryPool>& host_memory_pool();

/// Page-locks host memory so that a device can copy it by DMA at full speed.
/// A GPU backend installs one; implementations must be thread-safe.
class HostMemoryPinner {
 public:
  virtual ~HostMemoryPinner() = default;
  /// Pins [block, block + bytes); false when it cannot (the block stays pageable).
  virtual bool pin(void* block, std::size_t bytes) noexcept = 0;
  /// Unpins a block pin() succeeded on, before its memory is unmapped.
  virtual void unpin(void* block) noexcept = 0;
};

/// Installs `pinner` (null: none): from now on the host allocator pins every
/// block of 2 MiB or more that it maps, and unpins it (with the pinner that
/// pinned it) before unmapping. The host pool's cached blocks are released so
/// that new buffers get pinned memory; blocks in use stay as they are.
void set_host_memory_pinner(std::shared_ptr<HostMemoryPinner> pinner);

/// Whether [pointer, pointer + bytes) lies inside one pinned host block. Thread-safe.
[[nodiscard]] bool is_pinned_host_memory(const void* pointer, std::size_t bytes) noexcept;

}  // namespace dotcompute
