#include "continuation_thread.hpp"

#include <exception>

#include "../log.hpp"
#include "dotcompute/backend/device_lifetime.hpp"

namespace dotcompute::runtime {

void ContinuationThread::post(std::vector<std::function<void()>> continuations) noexcept {
  try {
    {
      std::lock_guard lock(mutex_);
      if (!stopped_) {
        if (!thread_.joinable()) thread_ = std::thread([this] { main(); });
        for (auto& continuation : continuations) queue_.push_back(std::move(continuation));
        continuations.clear();
      }
    }
    posted_.notify_one();
  } catch (const std::exception& error) {  // no thread, or no memory for the queue
    try {
      log(LogLevel::warning, device_ + ": the continuation thread failed (" + error.what() +
                                 "): continuations run on the thread that reported their launch's completion");
    } catch (...) {  // no memory for the message either
    }
  }
  for (auto& continuation : continuations) {  // those not queued (the ones moved to the queue are empty)
    if (continuation) continuation();
  }
}

void ContinuationThread::stop() noexcept {
  std::thread thread;
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    thread.swap(thread_);
  }
  posted_.notify_one();
  if (thread.joinable()) thread.join();
}

void ContinuationThread::main() noexcept {
  // A continuation may drop the last reference to a device: never destroyed here.
  const InternalThreadScope internal;
  std::unique_lock lock(mutex_);
  for (;;) {
    posted_.wait(lock, [this] { return stopped_ || !queue_.empty(); });
    if (queue_.empty()) return;
    std::function<void()> continuation = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    continuation();
    continuation = nullptr;  // what it holds goes before the lock is taken again
    lock.lock();
  }
}

}  // namespace dotcompute::runtime
