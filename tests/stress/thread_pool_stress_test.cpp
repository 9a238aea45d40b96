// The CPU queue under many concurrent submitters: every execution completes,
// runs every work item exactly once, and results stay correct.
#include <gtest/gtest.h>

#include <dotcompute/dotcompute.hpp>

#include "test_kernels.hpp"

namespace dotcompute {
namespace {

TEST(ThreadPoolStress, ManyConcurrentSubmittersOfMixedSizes) {
  KernelRegistry registry;
  test::register_test_kernels(registry);
  Runtime runtime = Runtime::create({.registry = &registry});
  test::counted_items() = 0;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 300;
  std::atomic<long> expected{0};
  std::vector<std::thread> submitters;
  for (int t = 0; t < kThreads; ++t) {
    submitters.emplace_back([&, t] {
      std::vector<Execution> pending;
      for (int i = 0; i < kPerThread; ++i) {
        // Tiny (inline), medium and large ranges interleaved.
        const long items = (i % 3 == 0) ? 1 + (i * 7 + t) % 900 : (i % 3 == 1) ? 5000 + t * 13 : 200000 + i;
        expected += items;
        pending.push_back(runtime.orchestrator().execute("test_count", Range(items)));
        if (i % 10 == 9) {
          for (const auto& execution : pending) execution.wait();
          pending.clear();
        }
      }
      for (const auto& execution : pending) execution.wait();
    });
  }
  for (auto& thread : submitters) thread.join();
  EXPECT_EQ(test::counted_items(), expected);
}

TEST(ThreadPoolStress, SubmittersThatNeverWaitStillComplete) {
  KernelRegistry registry;
  test::register_test_kernels(registry);
  test::counted_items() = 0;
  {
    Runtime runtime = Runtime::create({.registry = &registry});
    std::vector<std::thread> submitters;
    for (int t = 0; t < 4; ++t) {
      submitters.emplace_back([&] {
        for (int i = 0; i < 200; ++i) (void)runtime.orchestrator().execute("test_count", Range(3000));
      });
    }
    for (auto& thread : submitters) thread.join();
  }  // destroying the runtime drains its queue
  EXPECT_EQ(test::counted_items(), 4L * 200 * 3000);
}

TEST(ThreadPoolStress, SingleThreadedPoolProgressesWithoutWaiters) {
  KernelRegistry registry;
  test::register_test_kernels(registry);
  test::counted_items() = 0;
  Runtime runtime = Runtime::create({.cpu_threads = 1, .registry = &registry});
  for (int i = 0; i < 50; ++i) runtime.orchestrator().execute("test_count", Range(100000)).wait();
  EXPECT_EQ(test::counted_items(), 50L * 100000);
  // Nobody waits: only polling. The single worker must still run it.
  const Execution polled = runtime.orchestrator().execute("test_count", Range(100000));
  while (!polled.wait_for(std::chrono::milliseconds(1))) {
  }
  EXPECT_EQ(test::counted_items(), 51L * 100000);
}

TEST(ThreadPoolStress, HostReadsRacingWithKernels) {
  KernelRegistry registry;
  registry.add_source("DC_KERNEL void unused() {}", "runtime:unused");  // portable-only kernel, never run here
  test::register_test_kernels(registry);
  Runtime runtime = Runtime::create({.registry = &registry});
  for (int round = 0; round < 20; ++round) {
    test::blocking_control().started = false;
    test::blocking_control().released = true;  // never block: just write ones
    Buffer<float> out(300000);
    (void)runtime.orchestrator().execute("test_blocking", Range(300000), out);
    const auto values = out.host_read();
    EXPECT_EQ(std::count(values.begin(), values.end(), 1.0f), 300000);
  }
}

}  // namespace
}  // namespace dotcompute
