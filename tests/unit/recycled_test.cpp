// Recycled memory for objects made on one thread and released on another:
// blocks come back most recent first, the cache is bounded, and objects
// created and released concurrently keep their contents.
#include <gtest/gtest.h>

#include <algorithm>
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
template <Reuse Mode>
void objects_made_on_one_thread_and_released_on_others_keep_their_contents() {
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
    auto object = std::allocate_shared<Payload>(Recycled<Payload, Mode>{}, i);
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

TEST(RecycledMemory, ObjectsMadeOnOneThreadAndReleasedOnOthersKeepTheirContents) {
  objects_made_on_one_thread_and_released_on_others_keep_their_contents<Reuse::shared>();
}

TEST(RecycledMemory, ObjectsMadeOnOneThreadAndReleasedOnOthersKeepTheirContentsWithThreadFirstReuse) {
  objects_made_on_one_thread_and_released_on_others_keep_their_contents<Reuse::thread_first>();
}

// Reuse::thread_first: what a thread releases, it takes back first, without
// the shared stack, up to kMaxPerThread blocks; the rest is shared.
TEST(RecycledMemory, AThreadTakesBackWhatItReleasedBeforeTheSharedBlocks) {
  using Cache = BlockCache<88, 8, Reuse::thread_first>;  // a shape nothing else in this test uses
  auto& cache = Cache::instance();
  std::vector<void*> blocks;
  for (std::size_t i = 0; i < Cache::kMaxPerThread + 5; ++i) blocks.push_back(cache.allocate());
  for (void* block : blocks) cache.deallocate(block);
  EXPECT_EQ(cache.cached(), 5u);                                  // this thread keeps kMaxPerThread of them
  EXPECT_EQ(cache.allocate(), blocks[Cache::kMaxPerThread - 1]);  // the last it kept, first
  EXPECT_EQ(cache.cached(), 5u);
  for (std::size_t i = 1; i < Cache::kMaxPerThread; ++i)
    EXPECT_EQ(cache.allocate(), blocks[Cache::kMaxPerThread - 1 - i]);
  EXPECT_EQ(cache.allocate(), blocks.back());  // then the shared ones, most recent first
  EXPECT_EQ(cache.cached(), 4u);
  // What was taken goes back: kept here again, and the last one shared.
  for (std::size_t i = 0; i < Cache::kMaxPerThread; ++i) cache.deallocate(blocks[i]);
  cache.deallocate(blocks.back());
  EXPECT_EQ(cache.cached(), 5u);
}

// A thread's kept blocks become shared when it exits, and so do blocks it
// releases while it exits (a thread_local object destroyed after the hand-over).
TEST(RecycledMemory, AnExitingThreadSharesTheBlocksItKept) {
  using Cache = BlockCache<104, 8, Reuse::thread_first>;
  auto& cache = Cache::instance();
  const std::size_t shared_before = cache.cached();
  void* released_at_exit = nullptr;
  std::vector<void*> kept;
  std::thread([&] {
    struct ReleasesAtExit {
      void* block = nullptr;
      ~ReleasesAtExit() { Cache::instance().deallocate(block); }
    };
    // Constructed before the thread's first release registers the hand-over,
    // so destroyed after it.
    static thread_local ReleasesAtExit releases_at_exit;
    releases_at_exit.block = Cache::instance().allocate();
    released_at_exit = releases_at_exit.block;
    for (int i = 0; i < 3; ++i) kept.push_back(Cache::instance().allocate());
    for (void* block : kept) Cache::instance().deallocate(block);
    EXPECT_EQ(Cache::instance().cached(), shared_before);  // kept by this thread so far
  }).join();
  EXPECT_EQ(cache.cached(), shared_before + 4);
  std::vector<void*> taken;
  for (int i = 0; i < 4; ++i) taken.push_back(cache.allocate());
  EXPECT_EQ(taken[0], released_at_exit);  // shared last
  EXPECT_TRUE(std::is_permutation(kept.begin(), kept.end(), taken.begin() + 1));
  for (void* block : taken) cache.deallocate(block);
}

}  // namespace
}  // namespace dotcompute
