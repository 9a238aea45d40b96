#include "host_pins.hpp"

#include <mutex>

namespace dotcompute::cuda {

HostPins& HostPins::instance() {
  static auto* pins = new HostPins;  // never destroyed: the host pool unpins during static destruction
  return *pins;
}

void HostPins::pin(const Driver& driver, CUcontext context, void* host, std::uint64_t bytes) {
  check(driver.cuCtxSetCurrent(context), "cuCtxSetCurrent");
  check(driver.cuMemHostRegister(host, bytes, CU_MEMHOSTREGISTER_PORTABLE), "cuMemHostRegister");
  try {
    std::unique_lock lock(mutex_);
    blocks_[reinterpret_cast<std::uintptr_t>(host)] = bytes;
  } catch (...) {
    driver.cuMemHostUnregister(host);  // an unrecorded pin could never be undone
    throw;
  }
}

void HostPins::unpin(const Driver& driver, CUcontext context, void* host) noexcept {
  {
    std::unique_lock lock(mutex_);
    if (blocks_.erase(reinterpret_cast<std::uintptr_t>(host)) == 0) return;
  }
  driver.cuCtxSetCurrent(context);
  driver.cuMemHostUnregister(host);
}

bool HostPins::contains(const void* host, std::uint64_t bytes) const noexcept {
  const auto address = reinterpret_cast<std::uintptr_t>(host);
  std::shared_lock lock(mutex_);
  auto found = blocks_.upper_bound(address);
  if (found == blocks_.begin()) return false;
  --found;
  return address + bytes <= found->first + found->second;
}

}  // namespace dotcompute::cuda
