// Buffer<T>: a typed array usable by kernels on any device.
#pragma once

#include <algorithm>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

#include "dotcompute/buffer_storage.hpp"
#include "dotcompute/errors.hpp"

namespace dotcompute {

/// Tag: construct a Buffer without zero-filling it.
struct Uninitialized {};
inline constexpr Uninitialized uninitialized{};

/// A typed buffer of `size()` elements with a host replica (from the host
/// memory pool) and, on devices that need them, device replicas kept coherent
/// by the runtime. Move-only; moving leaves an empty buffer (size 0).
///
/// Host access (host_read/host_write/copy_*) first waits for the executions
/// that must finish before it: readers wait for pending writers, writers for
/// every pending access. A Buffer may be destroyed while executions still use
/// it; its memory returns to the pool when the last of them finishes.
///
/// Thread-safety: concurrent host_read() calls are safe; anything concurrent
/// with host_write()/copy_from()/fill() on the same buffer must be synchronised
/// by the caller, like for std::vector.
template <KernelElement T>
class Buffer {
 public:
  using value_type = T;

  Buffer() = default;
  /// `count` zero-filled elements. Throws OutOfMemoryError.
  explicit Buffer(std::size_t count) : Buffer(count, uninitialized) {
    if (count != 0) std::memset(storage_->host_data(), 0, storage_->size_bytes());
  }
  /// `count` elements with unspecified contents.
  Buffer(std::size_t count, Uninitialized)
      : storage_(std::make_shared<BufferStorage>(host_memory_pool(), scalar_type_v<T>, count)) {}
  /// A copy of `values`. (There is deliberately no initializer_list
  /// constructor: `Buffer<float> b{64}` means 64 elements, not one.)
  explicit Buffer(std::span<const T> values) : Buffer(values.size(), uninitialized) {
    if (!values.empty()) std::memcpy(storage_->host_data(), values.data(), values.size_bytes());
  }

  Buffer(Buffer&&) noexcept = default;
  Buffer& operator=(Buffer&&) noexcept = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  [[nodiscard]] std::size_t size() const noexcept { return storage_ ? storage_->size() : 0; }
  [[nodiscard]] std::size_t size_bytes() const noexcept { return size() * sizeof(T); }
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }

  /// The host replica for reading, after pending writers have finished.
  [[nodiscard]] std::span<const T> host_read() const {
    if (!storage_) return {};
    storage_->prepare_host_read();
    return {static_cast<const T*>(storage_->host_data()), storage_->size()};
  }
  /// The host replica for writing, after every pending access has finished.
  /// Finish writing before launching work that uses this buffer.
  [[nodiscard]] std::span<T> host_write() {
    if (!storage_) return {};
    storage_->prepare_host_write();
    return {static_cast<T*>(storage_->host_data()), storage_->size()};
  }

  /// Copies `values` in; sizes must match (MemoryError otherwise).
  void copy_from(std::span<const T> values) {
    check_size(values.size(), "copy_from");
    auto target = host_write();
    std::copy(values.begin(), values.end(), target.begin());
  }
  /// Copies the contents out; sizes must match (MemoryError otherwise).
  void copy_to(std::span<T> values) const {
    check_size(values.size(), "copy_to");
    auto source = host_read();
    std::copy(source.begin(), source.end(), values.begin());
  }
  [[nodiscard]] std::vector<T> to_vector() const {
    auto source = host_read();
    return {source.begin(), source.end()};
  }
  void fill(T value) {
    auto target = host_write();
    std::fill(target.begin(), target.end(), value);
  }

  /// The shared storage (null for an empty or moved-from buffer).
  [[nodiscard]] const std::shared_ptr<BufferStorage>& storage() const noexcept { return storage_; }

 private:
  void check_size(std::size_t other, const char* operation) const {
    if (other != size()) {
      throw MemoryError(std::string("Buffer::") + operation + ": buffer has " + std::to_string(size()) +
                        " elements, span has " + std::to_string(other));
    }
  }

  std::shared_ptr<BufferStorage> storage_;
};

}  // namespace dotcompute
