#include "dotcompute/program_cache.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace dotcompute {

namespace fs = std::filesystem;

namespace {

constexpr char kMagic[8] = {'D', 'C', 'P', 'R', 'O', 'G', '0', '1'};
constexpr const char* kExtension = ".dcprog";

std::uint64_t fnv1a(const void* data, std::size_t size, std::uint64_t hash = 0xcbf29ce484222325ULL) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < size; ++i) {
    hash ^= bytes[i];
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

template <class T>
void put(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

template <class T>
bool get(const std::string& in, std::size_t& offset, T& value) {
  if (in.size() < offset + sizeof value) return false;
  std::memcpy(&value, in.data() + offset, sizeof value);
  offset += sizeof value;
  return true;
}

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

std::string ProgramCacheKey::canonical() const {
  std::string text;
  for (const std::string* field : {&backend, &device, &driver, &build_options, &source}) {
    text += std::to_string(field->size()) + ":" + *field + ";";
  }
  return text;
}

ProgramCache::ProgramCache(fs::path directory, std::uint64_t max_bytes)
    : directory_(std::move(directory)), max_bytes_(max_bytes) {}

fs::path ProgramCache::default_directory() {
  if (const char* dir = std::getenv("DOTCOMPUTE_CACHE_DIR"); dir != nullptr && *dir != '\0') return dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0')
    return fs::path(xdg) / "dotcompute";
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return fs::path(home) / ".cache" / "dotcompute";
  }
  return fs::temp_directory_path() / "dotcompute-cache";
}

fs::path ProgramCache::directory_or_default(const char* chosen) {
  return chosen != nullptr && *chosen != '\0' ? fs::path(chosen) : default_directory();
}

fs::path ProgramCache::entry_path(const ProgramCacheKey& key) const {
  const std::string canonical = key.canonical();
  char name[32];
  std::snprintf(name, sizeof name, "%016llx",
                static_cast<unsigned long long>(fnv1a(canonical.data(), canonical.size())));
  return directory_ / (std::string(name) + kExtension);
}

std::optional<std::vector<std::byte>> ProgramCache::load(const ProgramCacheKey& key) const {
  const fs::path path = entry_path(key);
  const std::string data = read_all(path);
  if (data.empty()) return std::nullopt;
  const std::string canonical = key.canonical();
  std::size_t offset = sizeof kMagic;
  std::uint64_t key_size = 0;
  std::uint64_t payload_size = 0;
  std::uint64_t checksum = 0;
  const bool header_ok = data.size() >= sizeof kMagic && std::memcmp(data.data(), kMagic, sizeof kMagic) == 0 &&
                         get(data, offset, key_size) && data.size() >= offset + key_size &&
                         data.compare(offset, key_size, canonical) == 0 && key_size == canonical.size();
  if (header_ok) offset += key_size;
  const bool ok = header_ok && get(data, offset, payload_size) && get(data, offset, checksum) &&
                  data.size() == offset + payload_size && fnv1a(data.data() + offset, payload_size) == checksum;
  std::error_code ignored;
  if (!ok) {
    // Corrupt, truncated, from another format or another key with the same
    // hash: drop it; the caller rebuilds and stores a fresh entry.
    fs::remove(path, ignored);
    return std::nullopt;
  }
  fs::last_write_time(path, fs::file_time_type::clock::now(), ignored);  // recency for eviction
  std::vector<std::byte> payload(payload_size);
  std::memcpy(payload.data(), data.data() + offset, payload_size);
  return payload;
}

bool ProgramCache::store(const ProgramCacheKey& key, std::span<const std::byte> payload) const {
  std::error_code error;
  fs::create_directories(directory_, error);
  if (error) return false;
  const std::string canonical = key.canonical();
  std::string data(kMagic, sizeof kMagic);
  put(data, static_cast<std::uint64_t>(canonical.size()));
  data += canonical;
  put(data, static_cast<std::uint64_t>(payload.size()));
  put(data, fnv1a(payload.data(), payload.size()));
  data.append(reinterpret_cast<const char*>(payload.data()), payload.size());

  // A name no other thread or process uses, in the same directory (rename is atomic there).
  static std::atomic<unsigned> counter{0};
  const fs::path final_path = entry_path(key);
  const fs::path temporary =
      final_path.string() + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter.fetch_add(1));
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    out.flush();
    if (!out) {
      fs::remove(temporary, error);
      return false;
    }
  }
  fs::rename(temporary, final_path, error);
  if (error) {
    fs::remove(temporary, error);
    return false;
  }
  evict_to_cap();
  return true;
}

void ProgramCache::evict_to_cap() const {
  struct Entry {
    fs::path path;
    fs::file_time_type used;
    std::uint64_t size;
  };
  std::vector<Entry> entries;
  std::uint64_t total = 0;
  std::error_code error;
  for (const auto& item : fs::directory_iterator(directory_, error)) {
    if (item.path().extension() != kExtension) continue;
    std::error_code item_error;
    const auto size = item.file_size(item_error);
    const auto used = item.last_write_time(item_error);
    if (item_error) continue;
    entries.push_back({item.path(), used, size});
    total += size;
  }
  if (total <= max_bytes_) return;
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.used < b.used; });
  for (const auto& entry : entries) {
    if (total <= max_bytes_) break;
    if (fs::remove(entry.path, error)) total -= entry.size;
  }
}

ProgramCacheInfo ProgramCache::info() const {
  ProgramCacheInfo result{directory_, 0, 0, max_bytes_};
  std::error_code error;
  for (const auto& item : fs::directory_iterator(directory_, error)) {
    if (item.path().extension() != kExtension) continue;
    std::error_code item_error;
    const auto size = item.file_size(item_error);
    if (item_error) continue;
    ++result.entries;
    result.bytes += size;
  }
  return result;
}

std::size_t ProgramCache::clear() const {
  std::size_t removed = 0;
  std::error_code error;
  for (const auto& item : fs::directory_iterator(directory_, error)) {
    const std::string name = item.path().filename().string();
    if (item.path().extension() == kExtension || name.find(std::string(kExtension) + ".tmp.") != std::string::npos) {
      std::error_code item_error;
      if (fs::remove(item.path(), item_error)) ++removed;
    }
  }
  return removed;
}

}  // namespace dotcompute
