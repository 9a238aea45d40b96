// Host memory for pools: small blocks from the heap; large blocks as 2 MiB
// aligned anonymous mappings advised for transparent huge pages, which cut TLB
// misses on streaming kernels (the machine runs THP in `madvise` mode). With
// a HostMemoryPinner installed (by a GPU backend), large blocks are also pinned.
#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <mutex>
#include <shared_mutex>

#include "dotcompute/memory_pool.hpp"

namespace dotcompute {

namespace {

constexpr std::size_t kHugePage = std::size_t{2} << 20;
constexpr std::size_t kAlignment = 64;

// The installed pinner and the blocks pinned so far (start -> length, pinner).
struct PinnedBlocks {
  std::shared_mutex mutex;
  std::shared_ptr<HostMemoryPinner> pinner;
  std::map<std::uintptr_t, std::pair<std::size_t, std::shared_ptr<HostMemoryPinner>>> blocks;
};

// Never destroyed: the host pool (a static too) releases its blocks during
// static destruction, possibly after this would have been destroyed.
PinnedBlocks& pinned_blocks() {
  static auto* instance = new PinnedBlocks;
  return *instance;
}

void pin_if_wanted(void* block, std::size_t length) noexcept {
  PinnedBlocks& pinned = pinned_blocks();
  std::shared_ptr<HostMemoryPinner> pinner;
  {
    std::shared_lock lock(pinned.mutex);
    pinner = pinned.pinner;
  }
  if (pinner == nullptr || !pinner->pin(block, length)) return;
  try {
    std::unique_lock lock(pinned.mutex);
    pinned.blocks[reinterpret_cast<std::uintptr_t>(block)] = {length, std::move(pinner)};
  } catch (...) {
    pinner->unpin(block);  // unrecorded pins could never be undone
  }
}

void unpin_if_pinned(void* block) noexcept {
  PinnedBlocks& pinned = pinned_blocks();
  std::shared_ptr<HostMemoryPinner> pinner;
  {
    std::unique_lock lock(pinned.mutex);
    const auto found = pinned.blocks.find(reinterpret_cast<std::uintptr_t>(block));
    if (found == pinned.blocks.end()) return;
    pinner = std::move(found->second.second);
    pinned.blocks.erase(found);
  }
  pinner->unpin(block);
}

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
    pin_if_wanted(reinterpret_cast<void*>(aligned), length);
    return reinterpret_cast<void*>(aligned);
  }

  void deallocate(void* block, std::size_t bytes) noexcept override {
    if (bytes < kHugePage) {
      std::free(block);
    } else {
      unpin_if_pinned(block);
      munmap(block, round_up(bytes));
    }
  }

  [[nodiscard]] std::string_view name() const noexcept override { return "host"; }

 private:
  static std::size_t round_up(std::size_t bytes) noexcept { return (bytes + kHugePage - 1) / kHugePage * kHugePage; }
};

}  // namespace

std::unique_ptr<MemoryAllocator> make_host_allocator() { return std::make_unique<HostAllocator>(); }

void set_host_memory_pinner(std::shared_ptr<HostMemoryPinner> pinner) {
  {
    PinnedBlocks& pinned = pinned_blocks();
    std::unique_lock lock(pinned.mutex);
    pinned.pinner = std::move(pinner);
  }
  host_memory_pool()->trim();
}

bool is_pinned_host_memory(const void* pointer, std::size_t bytes) noexcept {
  PinnedBlocks& pinned = pinned_blocks();
  const auto address = reinterpret_cast<std::uintptr_t>(pointer);
  std::shared_lock lock(pinned.mutex);
  auto found = pinned.blocks.upper_bound(address);
  if (found == pinned.blocks.begin()) return false;
  --found;
  return address + bytes <= found->first + found->second.first;
}

}  // namespace dotcompute
