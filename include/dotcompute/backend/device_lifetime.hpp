// Devices are shared: buffers with a replica on a device keep it alive. The
// last reference may therefore drop on one of the device's own threads (a
// completion thread finishing the last command that held a buffer), where the
// device cannot be destroyed (it would join itself, or call the driver from
// inside a driver callback). These helpers move such a destruction elsewhere.
#pragma once

#include <memory>
#include <thread>

namespace dotcompute {

/// Marks the current thread as a backend-internal thread while alive.
class InternalThreadScope {
 public:
  InternalThreadScope() noexcept : previous_(active_) { active_ = true; }
  ~InternalThreadScope() { active_ = previous_; }
  InternalThreadScope(const InternalThreadScope&) = delete;
  InternalThreadScope& operator=(const InternalThreadScope&) = delete;
  [[nodiscard]] static bool active() noexcept { return active_; }

 private:
  static inline thread_local bool active_ = false;
  bool previous_;
};

/// Owns `device`; when the last reference drops on a backend-internal thread,
/// the device is destroyed on a new detached thread instead.
template <class Device>
[[nodiscard]] std::shared_ptr<Device> make_shared_device(Device* device) {
  return std::shared_ptr<Device>(device, [](Device* doomed) {
    if (!InternalThreadScope::active()) {
      delete doomed;
      return;
    }
    std::thread([doomed] { delete doomed; }).detach();
  });
}

}  // namespace dotcompute
