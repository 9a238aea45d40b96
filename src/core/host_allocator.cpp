// Host memory for pools: small blocks from the heap; large blocks as 2 MiB
// aligned anonymous mappings advised for transparent huge pages, which cut TLB
// misses on streaming kernels (the machine runs THP in `madvise` mode).
#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>

#include "dotcompute/memory_pool.hpp"

namespace dotcompute {

namespace {

constexpr std::size_t kHugePage = std::size_t{2} << 20;
constexpr std::size_t kAlignment = 64;

class HostAllocator final : public MemoryAllocator {
 public:
  void* allocate(std::size_t bytes) noexcept override {
    if (bytes < kHugePage) {
      return std::aligned_alloc(kAlignment, (bytes + kAlignment - 1) / kAlignment * kAlignment);
    }
    const std::size_t length = round_up(bytes);
    // Over-map by one huge page, then unmap the unaligned head and tail.
    void* mapping = mmap(nullptr, length + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapping == MAP_FAILED) return nullptr;
    const auto start = reinterpret_cast<std::uintptr_t>(mapping);
    const std::uintptr_t aligned = (start + kHugePage - 1) & ~(std::uintptr_t{kHugePage} - 1);
    if (aligned > start) munmap(mapping, aligned - start);
    const std::uintptr_t tail = aligned + length;
    const std::uintptr_t end = start + length + kHugePage;
    if (end > tail) munmap(reinterpret_cast<void*>(tail), end - tail);
    madvise(reinterpret_cast<void*>(aligned), length, MADV_HUGEPAGE);
    return reinterpret_cast<void*>(aligned);
  }

  void deallocate(void* block, std::size_t bytes) noexcept override {
    if (bytes < kHugePage) {
      std::free(block);
    } else {
      munmap(block, round_up(bytes));
    }
  }

  [[nodiscard]] std::string_view name() const noexcept override { return "host"; }

 private:
  static std::size_t round_up(std::size_t bytes) noexcept { return (bytes + kHugePage - 1) / kHugePage * kHugePage; }
};

}  // namespace

std::unique_ptr<MemoryAllocator> make_host_allocator() { return std::make_unique<HostAllocator>(); }

}  // namespace dotcompute
