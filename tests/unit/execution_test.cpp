// Execution handles: wait/get/then, errors, and cancellation before and during a run.
#include <gtest/gtest.h>

#include <dotcompute/backend/execution_state.hpp>
#include <dotcompute/dotcompute.hpp>

#include "test_kernels.hpp"

namespace dotcompute {
namespace {

class ExecutionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::register_test_kernels(registry_);
    test::blocking_control().reset();
    test::counted_items() = 0;
  }
  KernelRegistry registry_;
  Runtime runtime_ = Runtime::create({.cpu_threads = 2, .registry = &registry_});
  ComputeOrchestrator& orchestrator_ = runtime_.orchestrator();
};

TEST_F(ExecutionTest, GetReturnsDeviceTimingsAndReason) {
  const KernelResult result = orchestrator_.execute("test_count", Range(5000)).get();
  EXPECT_EQ(result.kernel, "test_count");
  EXPECT_EQ(result.device, "cpu:0");
  EXPECT_FALSE(result.selection_reason.empty());
  EXPECT_EQ(result.range, Range(5000));
  EXPECT_GE(result.timings.total, result.timings.compute);
  EXPECT_EQ(test::counted_items(), 5000);
}

// A tiny execution on an idle CPU device runs at once on the submitting
// thread: it starts when it was submitted (no queueing, and no clock read for
// its start), and its compute time is all of its time.
TEST_F(ExecutionTest, ATinyExecutionRunAtOnceStartsWhenSubmitted) {
  // The first one also starts the device's threads: that is not its compute time.
  const KernelResult first = orchestrator_.execute("test_count", Range(10)).get();
  EXPECT_GT(first.timings.queued, std::chrono::nanoseconds(0));
  const KernelResult result = orchestrator_.execute("test_count", Range(10)).get();
  EXPECT_EQ(result.timings.queued, std::chrono::nanoseconds(0));
  EXPECT_EQ(result.timings.compute, result.timings.total);
  EXPECT_GT(result.timings.total, std::chrono::nanoseconds(0));
  EXPECT_EQ(test::counted_items(), 20);
}

TEST_F(ExecutionTest, EmptyRangeCompletes) {
  EXPECT_NO_THROW(orchestrator_.execute("test_count", Range(0)).wait());
  EXPECT_EQ(test::counted_items(), 0);
}

TEST_F(ExecutionTest, WaitForTimesOutWhileRunning) {
  Buffer<float> out(1 << 16);
  const Execution execution = orchestrator_.execute("test_blocking", Range(1 << 16), out);
  test::blocking_control().wait_until_started();
  EXPECT_FALSE(execution.wait_for(std::chrono::milliseconds(20)));
  EXPECT_FALSE(execution.is_done());
  test::blocking_control().release();
  EXPECT_TRUE(execution.wait_for(std::chrono::seconds(30)));
  EXPECT_TRUE(execution.is_done());
}

TEST_F(ExecutionTest, ThenRunsAfterCompletionAndPropagatesItsException) {
  std::atomic<bool> ran{false};
  const Execution chained = orchestrator_.execute("test_count", Range(3000)).then([&](const KernelResult& result) {
    EXPECT_EQ(result.kernel, "test_count");
    ran = true;
  });
  EXPECT_EQ(chained.get().kernel, "test_count");
  EXPECT_TRUE(ran);
  const Execution throwing = orchestrator_.execute("test_count", Range(10)).then([](const KernelResult&) {
    throw std::runtime_error("boom");
  });
  EXPECT_THROW(throwing.wait(), std::runtime_error);
}

TEST_F(ExecutionTest, ThenIsSkippedWhenThePredecessorFails) {
  Buffer<float> out(1 << 16);
  const Execution first = orchestrator_.execute("test_blocking", Range(1 << 16), out);
  bool ran = false;
  const Execution second = first.then([&](const KernelResult&) { ran = true; });
  test::blocking_control().wait_until_started();
  first.cancel();
  test::blocking_control().release();
  EXPECT_THROW(second.get(), CancelledError);
  EXPECT_FALSE(ran);
}

TEST_F(ExecutionTest, EmptyHandleThrows) {
  const Execution empty;
  EXPECT_FALSE(empty.valid());
  EXPECT_THROW(empty.wait(), ArgumentError);
}

TEST_F(ExecutionTest, CancelledBeforeStartNeverRuns) {
  Buffer<float> out(1 << 16);
  const Execution blocker = orchestrator_.execute("test_blocking", Range(1 << 16), out);
  test::blocking_control().wait_until_started();
  const Execution queued = orchestrator_.execute("test_count", Range(100000));
  queued.cancel();
  test::blocking_control().release();
  blocker.wait();
  try {
    queued.wait();
    FAIL() << "expected CancelledError";
  } catch (const CancelledError& e) {
    EXPECT_NE(std::string(e.what()).find("before it started"), std::string::npos) << e.what();
  }
  EXPECT_EQ(test::counted_items(), 0);
}

TEST_F(ExecutionTest, StopTokenCancelsBeforeStart) {
  Buffer<float> out(1 << 16);
  const Execution blocker = orchestrator_.execute("test_blocking", Range(1 << 16), out);
  test::blocking_control().wait_until_started();
  std::stop_source stop;
  const Execution queued = orchestrator_.execute_kernel_async("test_count", Range(100000), {}, {}, stop.get_token());
  stop.request_stop();
  test::blocking_control().release();
  EXPECT_THROW(queued.get(), CancelledError);
  EXPECT_EQ(test::counted_items(), 0);
  blocker.wait();
}

TEST_F(ExecutionTest, CancelWhileRunningStopsAtAChunkBoundary) {
  constexpr long kItems = 1 << 22;
  Buffer<float> out(kItems);
  const Execution running = orchestrator_.execute("test_blocking", Range(kItems), out);
  test::blocking_control().wait_until_started();
  running.cancel();
  test::blocking_control().release();
  try {
    running.wait();
    FAIL() << "expected CancelledError";
  } catch (const CancelledError& e) {
    EXPECT_NE(std::string(e.what()).find("while running"), std::string::npos) << e.what();
  }
  // The chunk that was running finished; the others were skipped.
  const long ran = test::blocking_control().items_run;
  EXPECT_GT(ran, 0);
  EXPECT_LT(ran, kItems);
}

TEST_F(ExecutionTest, CancelAfterCompletionHasNoEffect) {
  const Execution done = orchestrator_.execute("test_count", Range(10));
  done.wait();
  done.cancel();
  EXPECT_NO_THROW(done.get());
}

// What a finish observer sees: the final status and result, before waiters
// return; attached late, it is told at once; one per execution.
class RecordingObserver final : public FinishObserver {
 public:
  void finishing(const ExecutionState& state) const noexcept override {
    statuses.push_back(state.final_status());
    devices.push_back(state.result().device);
  }
  mutable std::vector<ExecutionStatus> statuses;
  mutable std::vector<std::string> devices;
};

TEST(FinishObserver, IsToldBeforeWaitersReturnOrAtOnceWhenAttachedLate) {
  auto observer = std::make_shared<RecordingObserver>();
  auto pending = std::make_shared<ExecutionState>(KernelResult{.kernel = "k", .device = "dev:0"});
  pending->on_finishing(observer);
  EXPECT_TRUE(observer->statuses.empty());
  pending->finish_succeeded();
  pending->wait();
  ASSERT_EQ(observer->statuses.size(), 1u);
  EXPECT_EQ(observer->statuses[0], ExecutionStatus::succeeded);
  EXPECT_EQ(observer->devices[0], "dev:0");

  auto cancelled = std::make_shared<ExecutionState>(KernelResult{.kernel = "k", .device = "dev:1"});
  cancelled->finish_cancelled();
  cancelled->on_finishing(observer);  // already finished: told right away
  ASSERT_EQ(observer->statuses.size(), 2u);
  EXPECT_EQ(observer->statuses[1], ExecutionStatus::cancelled);
  EXPECT_THROW(cancelled->on_finishing(observer), std::logic_error);
  EXPECT_EQ(observer->statuses.size(), 2u);
}

// A backend's state that holds its completion back until asked: records the
// hints ExecutionState gives it, and finishes when a wait or a continuation asks.
class HeldBackState final : public ExecutionState {
 public:
  int begins = 0;
  int ends = 0;
  int continuations_pending = 0;

 protected:
  bool wait_begins() noexcept override {
    ++begins;
    finish_succeeded();  // reported once asked
    return true;
  }
  void wait_ends() noexcept override { ++ends; }
  void continuation_pending() noexcept override { ++continuations_pending; }
};

TEST(WaitHints, EveryWaitAsksTheBackendAndEndsWhatItBegan) {
  auto waited = std::make_shared<HeldBackState>();
  waited->wait();
  EXPECT_TRUE(waited->is_finished());
  EXPECT_EQ(waited->begins, 1);
  EXPECT_EQ(waited->ends, 1);
  waited->wait();  // finished: nothing to ask
  EXPECT_EQ(waited->begins, 1);

  auto timed = std::make_shared<HeldBackState>();
  EXPECT_TRUE(timed->wait_for(std::chrono::seconds(10)));
  EXPECT_EQ(timed->begins, 1);
  EXPECT_EQ(timed->ends, 1);

  auto polled = std::make_shared<HeldBackState>();
  EXPECT_TRUE(Execution(polled).is_done());  // is_done() asks too
  EXPECT_EQ(polled->begins, 1);
  EXPECT_EQ(polled->ends, 1);
}

TEST(WaitHints, APendingContinuationIsToldOnceAndALateOneNever) {
  auto state = std::make_shared<HeldBackState>();
  int ran = 0;
  state->on_finished([&] { ++ran; });
  state->on_finished([&] { ++ran; });
  EXPECT_EQ(state->continuations_pending, 1);
  EXPECT_EQ(ran, 0);
  state->finish_succeeded();
  EXPECT_EQ(ran, 2);
  state->on_finished([&] { ++ran; });  // already finished: runs at once
  EXPECT_EQ(ran, 3);
  EXPECT_EQ(state->continuations_pending, 1);
}

TEST(WaitHints, AFinishTimeFromTheBackendEndsTheTimingsButNeverBeforeTheStart) {
  auto state = std::make_shared<ExecutionState>();
  const auto started = ExecutionState::Clock::now();
  state->mark_started(started);
  state->finish_succeeded(started + std::chrono::milliseconds(3));
  EXPECT_EQ(state->result().timings.compute, std::chrono::milliseconds(3));

  auto early = std::make_shared<ExecutionState>();
  early->mark_started(started);
  early->finish_succeeded(started - std::chrono::milliseconds(3));  // a backend's clock behind ours
  EXPECT_EQ(early->result().timings.compute, std::chrono::nanoseconds(0));
}

}  // namespace
}  // namespace dotcompute
