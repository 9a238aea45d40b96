// ProgramCache: compiled device programs on disk, shared by the JIT backends
// (OpenCL program binaries, CUDA cubins) and by processes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dotcompute/namespace.hpp"

namespace dotcompute {

/// What a compiled program depends on; any change means a different entry.
struct ProgramCacheKey {
  std::string backend;        ///< "opencl", "cuda"
  std::string device;         ///< device name (and compute capability, ...)
  std::string driver;         ///< driver / compiler version
  std::string build_options;  ///< compiler flags
  std::string source;         ///< the full source compiled (prelude included)

  /// Every field, in a form stored inside each entry to rule out hash collisions.
  [[nodiscard]] std::string canonical() const;
};

struct ProgramCacheInfo {
  std::filesystem::path directory;
  std::size_t entries = 0;
  std::uint64_t bytes = 0;
  std::uint64_t max_bytes = 0;
};

/// A directory of entries, one file per key: a header (magic, format version,
/// the canonical key, payload size and checksum) and the payload. Entries are
/// written to a temporary file and renamed into place, so concurrent processes
/// never see a partial entry; a corrupt, truncated or mismatching entry is
/// treated as a miss and removed. After each store the least recently used
/// entries are evicted until the directory is under `max_bytes`.
/// Thread-safe and process-safe; I/O errors never throw from load/store (a
/// cache that cannot be written is a cache that misses).
class ProgramCache {
 public:
  ProgramCache(std::filesystem::path directory, std::uint64_t max_bytes = std::uint64_t{256} << 20);

  /// $DOTCOMPUTE_CACHE_DIR, else $XDG_CACHE_HOME/dotcompute, else $HOME/.cache/dotcompute.
  [[nodiscard]] static std::filesystem::path default_directory();
  /// `chosen` (a RuntimeOptions::cache_directory; may be null) when non-empty, else default_directory().
  [[nodiscard]] static std::filesystem::path directory_or_default(const char* chosen);

  [[nodiscard]] std::optional<std::vector<std::byte>> load(const ProgramCacheKey& key) const;
  /// Stores `payload`; false when the directory cannot be written.
  bool store(const ProgramCacheKey& key, std::span<const std::byte> payload) const;
  [[nodiscard]] ProgramCacheInfo info() const;
  /// Removes every entry; the number removed.
  std::size_t clear() const;

  [[nodiscard]] const std::filesystem::path& directory() const noexcept { return directory_; }
  /// The file an entry for `key` lives in.
  [[nodiscard]] std::filesystem::path entry_path(const ProgramCacheKey& key) const;

 private:
  void evict_to_cap() const;
  std::filesystem::path directory_;
  std::uint64_t max_bytes_;
};

}  // namespace dotcompute
