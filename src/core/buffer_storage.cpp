#include "dotcompute/buffer_storage.hpp"

#include <algorithm>

#include "dotcompute/accelerator.hpp"
#include "dotcompute/backend/execution_state.hpp"
#include "dotcompute/errors.hpp"

namespace dotcompute {

namespace {
using Clock = std::chrono::steady_clock;
}

BufferStorage::BufferStorage(std::shared_ptr<MemoryPool> pool, ScalarType type, std::size_t count)
    : pool_(std::move(pool)), type_(type), count_(count), host_(nullptr) {
  if (count > (std::size_t{1} << 62) / size_of(type)) {
    throw OutOfMemoryError("Buffer of " + std::to_string(count) + " elements is too large");
  }
  host_ = pool_->allocate(count * size_of(type));
}

BufferStorage::~BufferStorage() {
  replicas_.clear();  // device memory first: replicas keep their own allocators alive
  pool_->deallocate(host_, count_ * size_of(type_));
}

void BufferStorage::wait(const std::weak_ptr<ExecutionState>& execution) {
  if (auto alive = execution.lock()) alive->wait();
}

void BufferStorage::record_access(const std::shared_ptr<ExecutionState>& execution, bool writes, bool on_host) {
  std::lock_guard lock(mutex_);
  if (writes) {
    last_writer_ = {execution, on_host};
    readers_.clear();
    return;
  }
  // Drop readers that are gone or done so the list stays short.
  std::erase_if(readers_, [](const RecordedAccess& reader) {
    const auto alive = reader.execution.lock();
    return alive == nullptr || alive->is_finished();
  });
  readers_.push_back({execution, on_host});
}

void BufferStorage::wait_for_writers() const {
  std::weak_ptr<ExecutionState> writer;
  {
    std::lock_guard lock(mutex_);
    writer = last_writer_.execution;
  }
  wait(writer);
}

void BufferStorage::wait_for_all_access() const {
  std::vector<std::weak_ptr<ExecutionState>> pending;
  {
    std::lock_guard lock(mutex_);
    pending.push_back(last_writer_.execution);
    for (const auto& reader : readers_) pending.push_back(reader.execution);
  }
  for (const auto& execution : pending) wait(execution);
}

// Waits for executions that use the host replica directly: the writer, and
// the readers when `readers_too` (before host memory is overwritten).
void BufferStorage::wait_host_side_locked(bool readers_too) const {
  if (last_writer_.on_host) wait(last_writer_.execution);
  if (!readers_too) return;
  for (const auto& reader : readers_) {
    if (reader.on_host) wait(reader.execution);
  }
}

void BufferStorage::ensure_host_valid_locked(std::chrono::nanoseconds& transfer_time) {
  if (host_valid_) return;
  if (size_bytes() == 0) {
    host_valid_ = true;  // nothing to copy
    return;
  }
  const auto source = std::find_if(replicas_.begin(), replicas_.end(), [](const Replica& r) { return r.valid; });
  if (source == replicas_.end()) throw MemoryError("buffer has no valid replica (internal coherence error)");
  // The device that wrote last may still hold the work in a queue of its own;
  // host-side readers may still be reading the old host contents.
  if (!last_writer_.on_host) wait(last_writer_.execution);
  wait_host_side_locked(/*readers_too=*/true);
  const auto start = Clock::now();
  source->device->download(*source->memory, host_, size_bytes());  // after the device's pending work
  transfer_time += Clock::now() - start;
  host_valid_ = true;
}

void BufferStorage::prepare_host_read() {
  wait_for_writers();
  std::chrono::nanoseconds ignored{0};
  std::lock_guard lock(mutex_);
  ensure_host_valid_locked(ignored);
}

void BufferStorage::prepare_host_write() {
  wait_for_all_access();
  std::chrono::nanoseconds ignored{0};
  std::lock_guard lock(mutex_);
  ensure_host_valid_locked(ignored);
  for (auto& replica : replicas_) replica.valid = false;
}

void BufferStorage::prepare_host_device_access(Access access) {
  std::lock_guard lock(mutex_);
  if (replicas_.empty()) return;  // the common CPU-only case: nothing to reconcile
  std::chrono::nanoseconds ignored{0};
  ensure_host_valid_locked(ignored);
  if (access != Access::read_only) {
    for (auto& replica : replicas_) replica.valid = false;
  }
}

DeviceReplica& BufferStorage::prepare_device_access(Accelerator& device, Access access,
                                                    std::chrono::nanoseconds& transfer_time) {
  std::lock_guard lock(mutex_);
  auto found =
      std::find_if(replicas_.begin(), replicas_.end(), [&](const Replica& r) { return r.device.get() == &device; });
  if (found == replicas_.end()) {
    replicas_.push_back(
        {device.shared_from_this(), device.create_replica(std::max<std::size_t>(size_bytes(), 1)), false});
    found = replicas_.end() - 1;
  }
  if (access != Access::write_only && !found->valid) {
    ensure_host_valid_locked(transfer_time);
    wait_host_side_locked(/*readers_too=*/false);  // a host-side writer may still be writing
    const auto start = Clock::now();
    if (size_bytes() != 0) device.upload(*found->memory, host_, size_bytes());
    transfer_time += Clock::now() - start;
  }
  found->valid = true;
  if (access != Access::read_only) {
    host_valid_ = false;
    for (auto& replica : replicas_) replica.valid = replica.device.get() == &device;
  }
  return *found->memory;
}

bool BufferStorage::host_valid() const {
  std::lock_guard lock(mutex_);
  return host_valid_;
}

}  // namespace dotcompute
