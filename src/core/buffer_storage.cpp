#include "dotcompute/buffer_storage.hpp"

#include <algorithm>

#include "dotcompute/backend/execution_state.hpp"
#include "dotcompute/errors.hpp"

namespace dotcompute {

BufferStorage::BufferStorage(std::shared_ptr<MemoryPool> pool, ScalarType type, std::size_t count)
    : pool_(std::move(pool)), type_(type), count_(count), host_(nullptr) {
  if (count > (std::size_t{1} << 62) / size_of(type)) {
    throw OutOfMemoryError("Buffer of " + std::to_string(count) + " elements is too large");
  }
  host_ = pool_->allocate(count * size_of(type));
}

BufferStorage::~BufferStorage() { pool_->deallocate(host_, count_ * size_of(type_)); }

void BufferStorage::record_access(const std::shared_ptr<ExecutionState>& execution, bool writes) {
  std::lock_guard lock(mutex_);
  if (writes) {
    last_writer_ = execution;
    readers_.clear();
    return;
  }
  // Drop readers that are gone or done so the list stays short.
  std::erase_if(readers_, [](const std::weak_ptr<ExecutionState>& reader) {
    const auto alive = reader.lock();
    return alive == nullptr || alive->is_finished();
  });
  readers_.push_back(execution);
}

void BufferStorage::wait_for_writers() const {
  std::shared_ptr<ExecutionState> writer;
  {
    std::lock_guard lock(mutex_);
    writer = last_writer_.lock();
  }
  if (writer) writer->wait();
}

void BufferStorage::wait_for_all_access() const {
  std::vector<std::shared_ptr<ExecutionState>> pending;
  {
    std::lock_guard lock(mutex_);
    if (auto writer = last_writer_.lock()) pending.push_back(std::move(writer));
    for (const auto& reader : readers_) {
      if (auto alive = reader.lock()) pending.push_back(std::move(alive));
    }
  }
  for (const auto& execution : pending) execution->wait();
}

}  // namespace dotcompute
