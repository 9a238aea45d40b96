// Native CPU kernels registered at run time by tests: one that blocks until
// released (for cancellation and hazard tests) and one that counts work items.
#pragma once

#include <atomic>
#include <memory>
#include <thread>

#include <dotcompute/dotcompute.hpp>

namespace dotcompute::test {

/// Controls the "test_blocking" kernel: its first chunk waits until release().
struct BlockingControl {
  std::atomic<bool> started{false};
  std::atomic<bool> released{false};
  std::atomic<long> items_run{0};

  void wait_until_started() const {
    while (!started.load()) std::this_thread::yield();
  }
  void release() { released.store(true); }
  void reset() {
    started = false;
    released = false;
    items_run = 0;
  }
};

/// A definition with a native CPU entry, for tests that register kernels by hand.
KernelDefinition native_kernel(std::string name, cpu::KernelEntry entry, std::vector<KernelParameter> parameters = {},
                               int dimensions = 1);

/// The control block shared by every "test_blocking" launch of this process.
BlockingControl& blocking_control();
/// Items run by "test_count" since the last reset.
std::atomic<long>& counted_items();

/// Registers into `registry`:
///   test_blocking(DC_GLOBAL float* out): each item writes out[i] = 1; the
///       first chunk to run blocks until blocking_control().release().
///   test_count(): counts items into counted_items().
void register_test_kernels(KernelRegistry& registry);

}  // namespace dotcompute::test
