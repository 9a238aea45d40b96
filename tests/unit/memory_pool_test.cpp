#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <dotcompute/dotcompute.hpp>

namespace dotcompute {
namespace {

// Heap allocator that can be told to fail, and counts live blocks.
class TestAllocator final : public MemoryAllocator {
 public:
  explicit TestAllocator(std::size_t limit) : limit_(limit) {}
  void* allocate(std::size_t bytes) noexcept override {
    if (live_bytes + bytes > limit_) return nullptr;
    live_bytes += bytes;
    ++live_blocks;
    return std::aligned_alloc(64, (bytes + 63) / 64 * 64);
  }
  void deallocate(void* block, std::size_t bytes) noexcept override {
    live_bytes -= bytes;
    --live_blocks;
    std::free(block);
  }
  std::string_view name() const noexcept override { return "test"; }
  std::size_t live_bytes = 0;
  int live_blocks = 0;

 private:
  std::size_t limit_;
};

TEST(MemoryPool, SizeClassesRoundUpByAtMostAQuarter) {
  MemoryPool pool(std::make_unique<TestAllocator>(1 << 30), "t");
  EXPECT_EQ(pool.block_size(1), 64u);
  EXPECT_EQ(pool.block_size(64), 64u);
  EXPECT_EQ(pool.block_size(65), 80u);
  EXPECT_EQ(pool.block_size(128), 128u);
  EXPECT_EQ(pool.block_size(129), 160u);
  EXPECT_EQ(pool.block_size(1000), 1024u);
  EXPECT_EQ(pool.block_size(1025), 1280u);
  for (std::size_t bytes = 65; bytes < (1 << 22); bytes = bytes * 5 / 4 + 7) {
    const std::size_t block = pool.block_size(bytes);
    EXPECT_GE(block, bytes);
    EXPECT_LE(block, bytes + bytes / 4 + 1) << bytes;
  }
}

TEST(MemoryPool, ReusesFreedBlocksAndCountsHitsAndMisses) {
  auto allocator = std::make_unique<TestAllocator>(1 << 30);
  TestAllocator* upstream = allocator.get();
  MemoryPool pool(std::move(allocator), "t");
  void* a = pool.allocate(1000);
  std::memset(a, 1, 1000);
  pool.deallocate(a, 1000);
  void* b = pool.allocate(1010);  // same class (1024)
  EXPECT_EQ(a, b);
  MemoryPoolStats stats = pool.stats();
  EXPECT_EQ(stats.allocations, 2u);
  EXPECT_EQ(stats.misses, 1u);
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(stats.bytes_in_use, 1024u);
  EXPECT_EQ(stats.bytes_cached, 0u);
  pool.deallocate(b, 1010);
  stats = pool.stats();
  EXPECT_EQ(stats.bytes_cached, 1024u);
  EXPECT_EQ(stats.bytes_held, 1024u);
  EXPECT_EQ(upstream->live_blocks, 1);
  EXPECT_EQ(pool.trim(), 1024u);
  EXPECT_EQ(upstream->live_blocks, 0);
  EXPECT_EQ(pool.stats().bytes_held, 0u);
  EXPECT_EQ(pool.allocate(0), nullptr);
}

TEST(MemoryPool, CapLimitsCachedBytes) {
  auto allocator = std::make_unique<TestAllocator>(1 << 30);
  TestAllocator* upstream = allocator.get();
  MemoryPool pool(std::move(allocator), "t", MemoryPoolOptions{.max_cached_bytes = 4096, .max_cached_block = 1 << 20});
  std::vector<void*> blocks;
  for (int i = 0; i < 8; ++i) blocks.push_back(pool.allocate(1024));
  for (void* block : blocks) pool.deallocate(block, 1024);
  EXPECT_EQ(pool.stats().bytes_cached, 4096u);
  EXPECT_EQ(upstream->live_blocks, 4);
  void* huge = pool.allocate(2 << 20);  // above max_cached_block: exact size, never cached
  pool.deallocate(huge, 2 << 20);
  EXPECT_EQ(upstream->live_blocks, 4);
}

TEST(MemoryPool, ExhaustionTrimsThenThrowsOutOfMemory) {
  auto allocator = std::make_unique<TestAllocator>(4096);
  TestAllocator* upstream = allocator.get();
  MemoryPool pool(std::move(allocator), "small");
  void* a = pool.allocate(2048);
  pool.deallocate(a, 2048);       // cached: upstream still holds 2048
  void* b = pool.allocate(4000);  // needs the cache trimmed first (4096 class)
  ASSERT_NE(b, nullptr);
  EXPECT_GE(pool.stats().trims, 1u);
  try {
    (void)pool.allocate(100);
    FAIL() << "expected OutOfMemoryError";
  } catch (const OutOfMemoryError& e) {
    EXPECT_TRUE(e.is_transient());
    EXPECT_NE(std::string(e.what()).find("'small'"), std::string::npos);
  }
  pool.deallocate(b, 4000);
  pool.trim();
  EXPECT_EQ(upstream->live_bytes, 0u);
}

TEST(MemoryPool, HostAllocatorServesLargeAlignedBlocks) {
  auto host = make_host_allocator();
  for (std::size_t bytes : {std::size_t{100}, std::size_t{3} << 20, std::size_t{64} << 20}) {
    void* block = host->allocate(bytes);
    ASSERT_NE(block, nullptr);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(block) % 64, 0u);
    if (bytes >= (2u << 20)) {
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(block) % (2u << 20), 0u);
    }
    std::memset(block, 7, bytes);
    host->deallocate(block, bytes);
  }
}

TEST(MemoryPool, ConcurrentAllocateAndFree) {
  MemoryPool pool(make_host_allocator(), "concurrent");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&pool, t] {
      for (int i = 0; i < 2000; ++i) {
        const std::size_t bytes = 64 + static_cast<std::size_t>((i * 37 + t) % 5000);
        void* block = pool.allocate(bytes);
        std::memset(block, t, bytes);
        pool.deallocate(block, bytes);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const MemoryPoolStats stats = pool.stats();
  EXPECT_EQ(stats.bytes_in_use, 0u);
  EXPECT_EQ(stats.allocations, 8000u);
  EXPECT_EQ(stats.hits + stats.misses, 8000u);
}

}  // namespace
}  // namespace dotcompute
