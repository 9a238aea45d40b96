// SHA-256 of plugin files (the allow-list): known answers from FIPS 180-2 for
// each engine this CPU has, and the SHA-extensions engine against the
// portable one on every length around the block and padding boundaries.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/sha256.hpp"

namespace dotcompute::runtime {
namespace {

std::span<const std::byte> bytes_of(std::string_view text) { return std::as_bytes(std::span(text)); }

std::vector<std::byte> pseudo_random_bytes(std::size_t size) {
  std::vector<std::byte> data(size);
  std::uint32_t state = 2463534242u;
  for (auto& byte : data) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    byte = static_cast<std::byte>(state);
  }
  return data;
}

class Sha256EngineTest : public testing::TestWithParam<Sha256Engine> {
 protected:
  void SetUp() override {
    if (!sha256_engine_available(GetParam())) GTEST_SKIP() << "this CPU has no SHA extensions";
  }
};

TEST_P(Sha256EngineTest, KnownAnswers) {
  EXPECT_EQ(sha256_hex(bytes_of(""), GetParam()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex(std::span<const std::byte>(), GetParam()),  // no data at all, not even a pointer
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex(bytes_of("abc"), GetParam()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(bytes_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"), GetParam()),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  const std::string million(1000000, 'a');
  EXPECT_EQ(sha256_hex(bytes_of(million), GetParam()),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

INSTANTIATE_TEST_SUITE_P(Engines, Sha256EngineTest,
                         testing::Values(Sha256Engine::portable, Sha256Engine::sha_extensions),
                         [](const testing::TestParamInfo<Sha256Engine>& engine) {
                           return engine.param == Sha256Engine::portable ? "Portable" : "ShaExtensions";
                         });

TEST(Sha256, TheEnginesAgreeOnEveryLengthAroundTheBlockBoundaries) {
  if (!sha256_engine_available(Sha256Engine::sha_extensions)) GTEST_SKIP() << "this CPU has no SHA extensions";
  const std::vector<std::byte> data = pseudo_random_bytes(4 * 64 + 1);
  for (std::size_t size = 0; size <= data.size(); ++size) {
    const std::span<const std::byte> prefix(data.data(), size);
    EXPECT_EQ(sha256_hex(prefix, Sha256Engine::sha_extensions), sha256_hex(prefix, Sha256Engine::portable))
        << size << " bytes";
  }
}

TEST(Sha256, AFileReadInChunksHashesAsItsBytesDo) {
  // Longer than the 64 KiB the file is read in, and not a whole number of blocks.
  const std::vector<std::byte> data = pseudo_random_bytes(3 * 65536 + 1000 + 7);
  const auto file = std::filesystem::temp_directory_path() / ("dotcompute_sha256_" + std::to_string(getpid()));
  {
    std::ofstream out(file, std::ios::binary);
    out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  }
  EXPECT_EQ(sha256_hex_of_file(file), sha256_hex(data, Sha256Engine::portable));
  std::filesystem::remove(file);
}

TEST(Sha256, AFileThatCannotBeReadIsNamed) {
  try {
    (void)sha256_hex_of_file("/nonexistent/dotcompute/plugin.so");
    FAIL() << "no error";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("/nonexistent/dotcompute/plugin.so"), std::string::npos) << error.what();
  }
}

TEST(Sha256, AnEngineThisCpuLacksIsRefused) {
  if (sha256_engine_available(Sha256Engine::sha_extensions)) GTEST_SKIP() << "this CPU has SHA extensions";
  EXPECT_THROW((void)sha256_hex(bytes_of("abc"), Sha256Engine::sha_extensions), std::invalid_argument);
}

}  // namespace
}  // namespace dotcompute::runtime
