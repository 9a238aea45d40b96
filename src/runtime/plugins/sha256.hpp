// SHA-256 (FIPS 180-4), for the plugin allow-list.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>

namespace dotcompute::runtime {

/// How the blocks are hashed: portable C++, or the x86 SHA extensions.
enum class Sha256Engine { portable, sha_extensions };

/// Whether this CPU can use `engine` (the portable one: always). Thread-safe.
[[nodiscard]] bool sha256_engine_available(Sha256Engine engine) noexcept;
/// The fastest engine this CPU has.
[[nodiscard]] Sha256Engine fastest_sha256_engine() noexcept;

/// The digest of `data` as 64 lowercase hex digits. Throws
/// std::invalid_argument when this CPU cannot use `engine`.
[[nodiscard]] std::string sha256_hex(std::span<const std::byte> data, Sha256Engine engine = fastest_sha256_engine());

/// The digest of the file's contents, with the fastest engine; throws
/// std::runtime_error naming the file when it cannot be read.
[[nodiscard]] std::string sha256_hex_of_file(const std::filesystem::path& path);

}  // namespace dotcompute::runtime
