// SHA-256 (FIPS 180-4), for the plugin allow-list.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>

namespace dotcompute::runtime {

/// The digest of `data` as 64 lowercase hex digits.
[[nodiscard]] std::string sha256_hex(std::span<const std::byte> data);

/// The digest of the file's contents; throws std::runtime_error naming the
/// file when it cannot be read.
[[nodiscard]] std::string sha256_hex_of_file(const std::filesystem::path& path);

}  // namespace dotcompute::runtime
