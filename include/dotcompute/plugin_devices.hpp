// The devices of a C++ backend plugin (plugin.hpp), found once: when the
// runtime first asks how many there are. A part that fails (a GPU, a
// platform) is skipped with its reason; with no device at all, the backend is
// unavailable and says why. Header-only, like plugin.hpp.
//
//   class MyBackend {
//    public:
//     std::uint32_t device_count() { return devices_.count([this](auto& found) { enumerate(found); }); }
//     const std::vector<std::string>& skipped_parts() const { return devices_.skipped(); }
//     void launch(std::uint32_t device, const dc_launch_t& launch) { devices_.at(device).launch(launch); }
//    private:
//     void enumerate(plugin::Devices<MyDevice>& found);  // found.add(...), found.skip(...)
//     plugin::Devices<MyDevice> devices_{"my device"};
//   };
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "dotcompute/plugin.hpp"

namespace dotcompute::plugin {

/// Owns the devices. Thread-safe: the list is written only by the
/// enumeration, which count() runs once, and read only after it.
template <class Device>
class Devices {
 public:
  /// `noun` names one device in messages ("OpenCL device": "no OpenCL device 3").
  explicit Devices(std::string noun) : noun_(std::move(noun)) {}
  Devices(const Devices&) = delete;
  Devices& operator=(const Devices&) = delete;

  /// Runs `enumerate(*this)` on the first call (concurrent callers wait for
  /// it); the number of devices. Throws Error(DC_STATUS_UNAVAILABLE) with the
  /// reason when there is none: the one given to unavailable(), else "no
  /// usable <noun>" and every skipped part. An exception from `enumerate`
  /// counts as that reason, and the devices added before it stay.
  template <class Enumerate>
  std::uint32_t count(Enumerate&& enumerate) {
    std::call_once(enumerated_, [&] {
      try {
        enumerate(*this);
      } catch (const std::exception& error) {
        unavailable_ = error.what();
      }
      if (devices_.empty() && unavailable_.empty()) {
        unavailable_ = "no usable " + noun_;
        for (std::size_t i = 0; i < skipped_.size(); ++i) unavailable_ += (i == 0 ? ": " : "; ") + skipped_[i];
      }
    });
    if (devices_.empty()) throw Error(DC_STATUS_UNAVAILABLE, unavailable_);
    return static_cast<std::uint32_t>(devices_.size());
  }

  /// Device `index`; Error(DC_STATUS_INVALID_ARGUMENT) when there is none.
  [[nodiscard]] Device& at(std::uint32_t index) const {
    if (index >= devices_.size()) throw Error(DC_STATUS_INVALID_ARGUMENT, "no " + noun_ + " " + std::to_string(index));
    return *devices_[index];
  }
  /// Device `index`, unchecked: for the noexcept release paths, whose index
  /// the runtime got from this backend.
  [[nodiscard]] Device& operator[](std::uint32_t index) const noexcept { return *devices_[index]; }

  /// What could not be used, each with its reason (plugin::Backend's skipped_parts()).
  [[nodiscard]] const std::vector<std::string>& skipped() const noexcept { return skipped_; }

  // While enumerating:
  /// The index the next device added gets.
  [[nodiscard]] std::uint32_t next_index() const noexcept { return static_cast<std::uint32_t>(devices_.size()); }
  void add(std::unique_ptr<Device> device) { devices_.push_back(std::move(device)); }
  /// A part that cannot be used: `part` ("GPU 1") and why.
  void skip(const std::string& part, const std::string& reason) { skipped_.push_back(part + ": " + reason); }
  /// Why the backend has no device at all (no driver, no platform installed).
  void unavailable(std::string reason) { unavailable_ = std::move(reason); }

 private:
  std::string noun_;
  std::once_flag enumerated_;
  // Written only by the enumeration:
  std::vector<std::unique_ptr<Device>> devices_;
  std::vector<std::string> skipped_;
  std::string unavailable_;
};

}  // namespace dotcompute::plugin
