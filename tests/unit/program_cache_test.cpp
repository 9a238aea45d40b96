// The on-disk program cache: round trips, corruption and mismatch detection,
// eviction by size, concurrent writers.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <dotcompute/program_cache.hpp>
#include <fstream>
#include <thread>

namespace dotcompute {
namespace {

namespace fs = std::filesystem;

std::vector<std::byte> bytes(const std::string& text) {
  std::vector<std::byte> out(text.size());
  std::memcpy(out.data(), text.data(), text.size());
  return out;
}

ProgramCacheKey key(const std::string& source) { return {"opencl", "Device X", "driver 1.0", "-O2", source}; }

class ProgramCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = fs::path(::testing::TempDir()) /
                 ("dc_cache_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(directory_);
  }
  void TearDown() override { fs::remove_all(directory_); }
  fs::path directory_;
};

TEST_F(ProgramCacheTest, StoresAndLoads) {
  ProgramCache cache(directory_);
  EXPECT_FALSE(cache.load(key("a")).has_value());
  ASSERT_TRUE(cache.store(key("a"), bytes("binary-a")));
  const auto loaded = cache.load(key("a"));
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(*loaded, bytes("binary-a"));
  // Every part of the key matters.
  ProgramCacheKey other_driver = key("a");
  other_driver.driver = "driver 2.0";
  EXPECT_FALSE(cache.load(other_driver).has_value());
  const ProgramCacheInfo info = cache.info();
  EXPECT_EQ(info.entries, 1u);
  EXPECT_GT(info.bytes, 8u);
  EXPECT_EQ(cache.clear(), 1u);
  EXPECT_FALSE(cache.load(key("a")).has_value());
}

TEST_F(ProgramCacheTest, CorruptOrTruncatedEntriesAreMissesAndRemoved) {
  ProgramCache cache(directory_);
  ASSERT_TRUE(cache.store(key("a"), bytes("0123456789")));
  const fs::path path = cache.entry_path(key("a"));
  {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(-3, std::ios::end);
    file.put('X');  // flip a payload byte: checksum mismatch
  }
  EXPECT_FALSE(cache.load(key("a")).has_value());
  EXPECT_FALSE(fs::exists(path));
  ASSERT_TRUE(cache.store(key("a"), bytes("0123456789")));
  fs::resize_file(path, fs::file_size(path) - 4);  // truncated
  EXPECT_FALSE(cache.load(key("a")).has_value());
  std::ofstream(path, std::ios::binary) << "not a cache entry";
  EXPECT_FALSE(cache.load(key("a")).has_value());
  ASSERT_TRUE(cache.store(key("a"), bytes("fresh")));  // rebuilt
  EXPECT_EQ(*cache.load(key("a")), bytes("fresh"));
}

TEST_F(ProgramCacheTest, AnEntryForAnotherKeyIsAMiss) {
  ProgramCache cache(directory_);
  ASSERT_TRUE(cache.store(key("a"), bytes("binary-a")));
  // Simulate a hash collision: key b's file holds key a's entry.
  fs::copy_file(cache.entry_path(key("a")), cache.entry_path(key("b")));
  EXPECT_FALSE(cache.load(key("b")).has_value());
  EXPECT_TRUE(cache.load(key("a")).has_value());
}

TEST_F(ProgramCacheTest, EvictsLeastRecentlyUsedBeyondTheCap) {
  ProgramCache cache(directory_, 3000);
  const std::vector<std::byte> payload(1000, std::byte{7});
  ASSERT_TRUE(cache.store(key("old"), payload));
  ASSERT_TRUE(cache.store(key("middle"), payload));
  fs::last_write_time(cache.entry_path(key("old")), fs::file_time_type::clock::now() - std::chrono::hours(2));
  fs::last_write_time(cache.entry_path(key("middle")), fs::file_time_type::clock::now() - std::chrono::hours(1));
  ASSERT_TRUE(cache.store(key("new"), payload));  // 3 entries of ~1.1 KB > 3000 bytes
  EXPECT_FALSE(fs::exists(cache.entry_path(key("old"))));
  EXPECT_TRUE(cache.load(key("middle")).has_value());
  EXPECT_TRUE(cache.load(key("new")).has_value());
  EXPECT_LE(cache.info().bytes, 3000u);
}

TEST_F(ProgramCacheTest, ConcurrentWritersNeverLeaveAPartialEntry) {
  ProgramCache cache(directory_);
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&cache, t] {
      const std::vector<std::byte> payload(100000, static_cast<std::byte>(t));
      for (int i = 0; i < 20; ++i) cache.store(key("shared"), payload);
    });
  }
  std::atomic<int> bad{0};
  std::thread reader([&] {
    for (int i = 0; i < 200; ++i) {
      if (auto loaded = cache.load(key("shared"))) {
        const std::byte first = loaded->front();
        if (loaded->size() != 100000 ||
            std::any_of(loaded->begin(), loaded->end(), [&](std::byte b) { return b != first; })) {
          ++bad;
        }
      }
    }
  });
  for (auto& writer : writers) writer.join();
  reader.join();
  EXPECT_EQ(bad, 0);
  EXPECT_EQ(cache.info().entries, 1u);
}

TEST_F(ProgramCacheTest, UnwritableDirectoryIsAMissNotAnError) {
  ProgramCache cache("/proc/dotcompute-cannot-write-here");
  EXPECT_FALSE(cache.store(key("a"), bytes("x")));
  EXPECT_FALSE(cache.load(key("a")).has_value());
  EXPECT_EQ(cache.info().entries, 0u);
}

TEST(ProgramCacheDirectory, FollowsTheEnvironment) {
  ::setenv("DOTCOMPUTE_CACHE_DIR", "/tmp/dc-explicit", 1);
  EXPECT_EQ(ProgramCache::default_directory(), fs::path("/tmp/dc-explicit"));
  ::unsetenv("DOTCOMPUTE_CACHE_DIR");
  ::setenv("XDG_CACHE_HOME", "/tmp/xdg", 1);
  EXPECT_EQ(ProgramCache::default_directory(), fs::path("/tmp/xdg/dotcompute"));
  ::unsetenv("XDG_CACHE_HOME");
}

}  // namespace
}  // namespace dotcompute
