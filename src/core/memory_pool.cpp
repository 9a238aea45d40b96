#include "dotcompute/memory_pool.hpp"

#include <algorithm>
#include <bit>

#include "dotcompute/errors.hpp"

namespace dotcompute {

namespace {
constexpr std::size_t kMinBlock = 64;
}

MemoryPool::MemoryPool(std::unique_ptr<MemoryAllocator> upstream, std::string name, MemoryPoolOptions options)
    : upstream_(std::move(upstream)), name_(std::move(name)), options_(options) {}

void MemoryPool::set_max_cached_bytes(std::size_t bytes) noexcept {
  std::lock_guard lock(mutex_);
  options_.max_cached_bytes = bytes;
  if (stats_.bytes_cached > bytes) {
    ++stats_.trims;
    trim_locked();
  }
}

MemoryPoolOptions MemoryPool::options() const {
  std::lock_guard lock(mutex_);
  return options_;
}

MemoryPool::~MemoryPool() { trim(); }

std::size_t MemoryPool::block_size(std::size_t bytes) const noexcept {
  if (bytes <= kMinBlock) return kMinBlock;
  if (bytes > options_.max_cached_block) return bytes;
  // bytes lies in (2^k, 2^(k+1)]: round up to a multiple of 2^k / 4.
  const int k = 63 - std::countl_zero(bytes - 1);
  const std::size_t step = (std::size_t{1} << k) / 4;
  return (bytes + step - 1) / step * step;
}

std::size_t MemoryPool::class_index(std::size_t block_bytes) noexcept {
  if (block_bytes <= kMinBlock) return 0;
  const int k = 63 - std::countl_zero(block_bytes - 1);
  const std::size_t step = (std::size_t{1} << k) / 4;
  const std::size_t multiple = block_bytes / step;  // 5, 6, 7 or 8
  return static_cast<std::size_t>(k - 6) * 4 + (multiple - 5) + 1;
}

std::size_t MemoryPool::class_block_size(std::size_t index) noexcept {
  if (index == 0) return kMinBlock;
  const std::size_t k = (index - 1) / 4 + 6;
  const std::size_t multiple = (index - 1) % 4 + 5;
  return (std::size_t{1} << k) / 4 * multiple;
}

void* MemoryPool::allocate(std::size_t bytes) {
  if (bytes == 0) return nullptr;
  const std::size_t block = block_size(bytes);
  const bool cacheable = block <= options_.max_cached_block;
  {
    std::lock_guard lock(mutex_);
    ++stats_.allocations;
    if (cacheable) {
      auto& list = free_lists_[class_index(block)];
      if (!list.empty()) {
        void* result = list.back();
        list.pop_back();
        ++stats_.hits;
        stats_.bytes_cached -= block;
        stats_.bytes_in_use += block;
        return result;
      }
    }
    ++stats_.misses;
  }
  void* result = upstream_->allocate(block);
  if (result == nullptr) {
    // Exhausted: give the cache back and try once more before failing.
    {
      std::lock_guard lock(mutex_);
      ++stats_.trims;
      trim_locked();
    }
    result = upstream_->allocate(block);
    if (result == nullptr) {
      std::lock_guard lock(mutex_);
      --stats_.allocations;
      throw OutOfMemoryError("memory pool '" + name_ + "': cannot allocate " + std::to_string(bytes) + " bytes (" +
                             std::to_string(stats_.bytes_in_use) + " bytes in use)");
    }
  }
  std::lock_guard lock(mutex_);
  stats_.bytes_in_use += block;
  stats_.peak_bytes_held = std::max(stats_.peak_bytes_held, stats_.bytes_in_use + stats_.bytes_cached);
  return result;
}

void MemoryPool::deallocate(void* block_pointer, std::size_t bytes) noexcept {
  if (block_pointer == nullptr) return;
  const std::size_t block = block_size(bytes);
  {
    std::lock_guard lock(mutex_);
    stats_.bytes_in_use -= block;
    if (block <= options_.max_cached_block && stats_.bytes_cached + block <= options_.max_cached_bytes) {
      auto& list = free_lists_[class_index(block)];
      // push_back may allocate; if it cannot, the block goes upstream below.
      try {
        list.push_back(block_pointer);
        stats_.bytes_cached += block;
        return;
      } catch (...) {
      }
    }
  }
  upstream_->deallocate(block_pointer, block);
}

std::size_t MemoryPool::trim() noexcept {
  std::lock_guard lock(mutex_);
  ++stats_.trims;
  return trim_locked();
}

std::size_t MemoryPool::trim_locked() noexcept {
  std::size_t released = 0;
  for (std::size_t index = 0; index < free_lists_.size(); ++index) {
    auto& list = free_lists_[index];
    if (list.empty()) continue;
    const std::size_t block = class_block_size(index);
    for (void* pointer : list) upstream_->deallocate(pointer, block);
    released += block * list.size();
    list.clear();
  }
  stats_.bytes_cached = 0;
  return released;
}

MemoryPoolStats MemoryPool::stats() const {
  std::lock_guard lock(mutex_);
  MemoryPoolStats result = stats_;
  result.bytes_held = result.bytes_in_use + result.bytes_cached;
  return result;
}

const std::shared_ptr<MemoryPool>& host_memory_pool() {
  static const std::shared_ptr<MemoryPool> pool = std::make_shared<MemoryPool>(make_host_allocator(), "host");
  return pool;
}

}  // namespace dotcompute
