// The raw baseline for CPU dispatch: a hand-written team of persistent
// threads that spin on a shared generation counter for a bounded time (like
// dotcompute's pool, so that neither steals the other's core while idle), then
// sleep on it. The calling thread takes part, like a hand-rolled OpenMP
// parallel region with an active wait policy.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>
#include <vector>

#include <dotcompute/spin_pause.hpp>

namespace dotcompute::bench {

class RawSpinTeam {
 public:
  /// `threads` including the caller.
  explicit RawSpinTeam(unsigned threads) : threads_(threads) {
    for (unsigned i = 1; i < threads_; ++i) helpers_.emplace_back([this, i] { helper(i); });
  }
  ~RawSpinTeam() {
    stop_ = true;
    generation_.fetch_add(1);
    generation_.notify_all();
    for (auto& helper : helpers_) helper.join();
  }

  /// Runs body(index, threads) on every thread of the team and waits for all.
  void run(const std::function<void(unsigned, unsigned)>& body) {
    body_ = &body;
    done_.store(0, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) generation_.notify_all();
    body(0, threads_);
    while (done_.load(std::memory_order_acquire) != threads_ - 1) spin_pause();
  }

 private:
  void helper(unsigned index) {
    unsigned seen = 0;
    for (;;) {
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(100);
      unsigned now;
      while ((now = generation_.load(std::memory_order_acquire)) == seen) {
        spin_pause();
        if (std::chrono::steady_clock::now() < deadline) continue;
        sleepers_.fetch_add(1, std::memory_order_seq_cst);
        generation_.wait(seen, std::memory_order_seq_cst);
        sleepers_.fetch_sub(1, std::memory_order_relaxed);
      }
      seen = now;
      if (stop_) return;
      (*body_)(index, threads_);
      done_.fetch_add(1, std::memory_order_release);
    }
  }

  unsigned threads_;
  std::vector<std::thread> helpers_;
  std::atomic<unsigned> generation_{0};
  std::atomic<unsigned> done_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
  const std::function<void(unsigned, unsigned)>* body_ = nullptr;
};

}  // namespace dotcompute::bench
