#include "dotcompute/accelerator.hpp"

#include "dotcompute/errors.hpp"

namespace dotcompute {

namespace {
[[noreturn]] void no_replicas(const Accelerator& device) {
  throw DeviceError("device " + device.info().id + " shares host memory and keeps no replicas");
}
}  // namespace

std::unique_ptr<DeviceReplica> Accelerator::create_replica(std::size_t) { no_replicas(*this); }
void Accelerator::upload(DeviceReplica&, const void*, std::size_t) { no_replicas(*this); }
void Accelerator::download(DeviceReplica&, void*, std::size_t) { no_replicas(*this); }

}  // namespace dotcompute
