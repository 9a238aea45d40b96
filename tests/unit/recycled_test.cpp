// Recycled memory for objects made on one thread and released on another:
// blocks come back most recent first, the cache is bounded, and objects
// created and released concurrently keep their contents.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <dotcompute/backend/recycled.hpp>
#include <mutex>
#include <thread>
#include <vector>

namespace dotcompute {
namespace {

TEST(RecycledMemory, TheMostRecentlyReleasedBlockComesBackFirst) {
  auto& cache = BlockCache<72, 64>::instance();  // a shape nothing else in this test uses
  void* first = cache.allocate();
  void* second = cache.allocate();
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(first) % 64, 0u);
  cache.deallocate(first);
  cache.deallocate(second);
  EXPECT_EQ(cache.cached(), 2u);
  EXPECT_EQ(cache.allocate(), second);
  EXPECT_EQ(cache.allocate(), first);
  EXPECT_EQ(cache.cached(), 0u);
  cache.deallocate(first);
  cache.deallocate(second);
}

TEST(RecycledMemory, TheCacheKeepsABoundedNumberOfBlocks) {
  auto& cache = BlockCache<24, 8>::instance();
  constexpr std::size_t kMax = BlockCache<24, 8>::kMaxCached;
  std::vector<void*> blocks;
  for (std::size_t i = 0; i < kMax + 10; ++i) blocks.push_back(cache.allocate());
  for (void* block : blocks) cache.deallocate(block);
  EXPECT_EQ(cache.cached(), kMax);  // the rest went back to the general allocator
  for (std::size_t i = 0; i < kMax; ++i) blocks[i] = cache.allocate();
  EXPECT_EQ(cache.cached(), 0u);
  for (std::size_t i = 0; i < kMax; ++i) cache.deallocate(blocks[i]);
}

struct Payload {
  explicit Payload(int seed) {
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = seed + static_cast<int>(i);
  }
  ~Payload() { ++destroyed; }
  [[nodiscard]] bool intact(int seed) const {
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (values[i] != seed + static_cast<int>(i)) return false;
    }
    return true;
  }
  std::array<int, 30> values{};
  static inline std::atomic<long> destroyed{0};
};

// One thread makes objects and hands them to two others, which check and
// release them (the last reference drops there), as a backend's completion
// threads do; the maker's next objects reuse the released memory.
TEST(RecycledMemory, ObjectsMadeOnOneThreadAndReleasedOnOthersKeepTheirContents) {
  constexpr int kObjects = 60000;
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<std::pair<int, std::shared_ptr<Payload>>> handed;
  bool done = false;
  std::atomic<int> corrupted{0};
  const long destroyed_before = Payload::destroyed.load();
  const auto release = [&] {
    for (;;) {
      std::unique_lock lock(mutex);
      ready.wait(lock, [&] { return done || !handed.empty(); });
      if (handed.empty()) return;
      auto [seed, object] = std::move(handed.front());
      handed.pop_front();
      lock.unlock();
      if (!object->intact(seed)) corrupted.fetch_add(1);
    }
  };
  std::thread first(release);
  std::thread second(release);
  for (int i = 0; i < kObjects; ++i) {
    auto object = std::allocate_shared<Payload>(Recycled<Payload>{}, i);
    std::lock_guard lock(mutex);
    handed.emplace_back(i, std::move(object));
    ready.notify_one();
  }
  {
    std::lock_guard lock(mutex);
    done = true;
  }
  ready.notify_all();
  first.join();
  second.join();
  EXPECT_EQ(corrupted.load(), 0);
  EXPECT_EQ(Payload::destroyed.load() - destroyed_before, kObjects);
}

}  // namespace
}  // namespace dotcompute
