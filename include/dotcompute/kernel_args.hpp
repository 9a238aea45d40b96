// KernelArg: one argument of a kernel call, as given by the caller, before it
// is checked against the kernel's signature.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <type_traits>
#include <vector>

#include "dotcompute/buffer.hpp"
#include "dotcompute/scalar_type.hpp"

namespace dotcompute {

/// A non-owning view of one call argument: a Buffer<T> (writable when passed as
/// a non-const lvalue), a host span or vector (writable unless const), or a
/// scalar. Referenced objects must outlive the call that takes the KernelArg;
/// host spans must stay alive until the execution has finished.
class KernelArg {
 public:
  enum class Kind : std::uint8_t { scalar, buffer, host_span };

  template <KernelElement T>
  KernelArg(Buffer<T>& buffer) noexcept  // NOLINT(google-explicit-constructor)
      : kind_(Kind::buffer), type_(scalar_type_v<T>), writable_(true), storage_(&buffer.storage()) {}
  template <KernelElement T>
  KernelArg(const Buffer<T>& buffer) noexcept  // NOLINT(google-explicit-constructor)
      : kind_(Kind::buffer), type_(scalar_type_v<T>), writable_(false), storage_(&buffer.storage()) {}
  template <KernelElement T>
  KernelArg(std::span<T> values) noexcept  // NOLINT(google-explicit-constructor)
      : kind_(Kind::host_span),
        type_(scalar_type_v<T>),
        writable_(!std::is_const_v<T>),
        data_(const_cast<std::remove_const_t<T>*>(values.data())),
        count_(values.size()) {}
  template <KernelElement T>
  KernelArg(std::vector<T>& values) noexcept : KernelArg(std::span<T>(values)) {}  // NOLINT
  template <KernelElement T>
  KernelArg(const std::vector<T>& values) noexcept : KernelArg(std::span<const T>(values)) {}  // NOLINT
  template <KernelElement T>
  KernelArg(T value) noexcept : kind_(Kind::scalar), type_(scalar_type_v<T>) {  // NOLINT
    if constexpr (std::is_floating_point_v<T>) {
      float_value_ = value;
    } else if constexpr (std::is_signed_v<T>) {
      signed_value_ = value;
    } else {
      unsigned_value_ = value;
    }
  }

  [[nodiscard]] Kind kind() const noexcept { return kind_; }
  /// Scalar type of the value, or element type of the buffer/span.
  [[nodiscard]] ScalarType type() const noexcept { return type_; }
  /// Whether the kernel may write through this argument.
  [[nodiscard]] bool writable() const noexcept { return writable_; }

  [[nodiscard]] std::int64_t signed_value() const noexcept { return signed_value_; }
  [[nodiscard]] std::uint64_t unsigned_value() const noexcept { return unsigned_value_; }
  [[nodiscard]] double float_value() const noexcept { return float_value_; }

  /// Buffers: the storage (null for an empty or moved-from Buffer).
  [[nodiscard]] const std::shared_ptr<BufferStorage>& storage() const noexcept { return *storage_; }
  /// Buffers and spans: first element and element count.
  [[nodiscard]] void* data() const noexcept {
    return kind_ == Kind::buffer ? (storage() ? storage()->host_data() : nullptr) : data_;
  }
  [[nodiscard]] std::size_t count() const noexcept {
    return kind_ == Kind::buffer ? (storage() ? storage()->size() : 0) : count_;
  }

 private:
  Kind kind_;
  ScalarType type_;
  bool writable_ = false;
  union {
    std::int64_t signed_value_ = 0;
    std::uint64_t unsigned_value_;
    double float_value_;
  };
  const std::shared_ptr<BufferStorage>* storage_ = nullptr;
  void* data_ = nullptr;
  std::size_t count_ = 0;
};

}  // namespace dotcompute
