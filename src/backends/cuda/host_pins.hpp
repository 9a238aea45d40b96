// The host blocks the CUDA plugin page-locked for the runtime's host pool
// (dc_backend_t::pin_host), so that transfers from and to them go by DMA
// without staging. One record per loaded copy of the plugin library.
#pragma once

#include <cstdint>
#include <map>
#include <shared_mutex>

#include "cuda_driver.hpp"

namespace dotcompute::cuda {

/// Thread-safe.
class HostPins {
 public:
  /// The record of this copy of the library.
  static HostPins& instance();

  /// Registers [host, host + bytes) with the driver (portable: pinned for
  /// every context), with `context` current. Throws DeviceError when it cannot.
  void pin(const Driver& driver, CUcontext context, void* host, std::uint64_t bytes);
  /// Undoes pin() of the block at `host` (nothing when it was not pinned here).
  void unpin(const Driver& driver, CUcontext context, void* host) noexcept;
  /// Whether [host, host + bytes) lies inside one block pinned here.
  [[nodiscard]] bool contains(const void* host, std::uint64_t bytes) const noexcept;

 private:
  mutable std::shared_mutex mutex_;
  std::map<std::uintptr_t, std::uint64_t> blocks_;  // start -> bytes
};

}  // namespace dotcompute::cuda
