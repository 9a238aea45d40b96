// The driver window follows measured command durations: about 2 ms of work,
// within its bounds, moving a quarter of the way per measurement, and towards
// slower commands only when several measurements in a row agree.
#include <gtest/gtest.h>

#include <chrono>
#include <dotcompute/backend/driver_window.hpp>

namespace dotcompute {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

TEST(DriverWindow, StartsAtItsInitialSizeAndTakesTheFirstMeasurementAsIs) {
  DriverWindow window;
  EXPECT_EQ(window.size(), DriverWindow::kInitial);
  window.measured(microseconds(100), 10);  // 10 µs per command: 2 ms is 200 of them
  EXPECT_EQ(window.size(), 200u);
}

TEST(DriverWindow, StaysWithinItsBounds) {
  DriverWindow tiny;
  tiny.measured(microseconds(1), 1000);  // 1 ns per command
  EXPECT_EQ(tiny.size(), DriverWindow::kMax);
  DriverWindow slow;
  slow.measured(milliseconds(500), 1);
  EXPECT_EQ(slow.size(), DriverWindow::kMin);
  DriverWindow instant;
  instant.measured(microseconds(0), 1);  // below the clock's resolution
  EXPECT_EQ(instant.size(), DriverWindow::kMax);
}

TEST(DriverWindow, FasterCommandsMoveItAQuarterOfTheWayAtOnce) {
  DriverWindow window;
  window.measured(microseconds(40), 1);  // 40 µs: 50 commands
  EXPECT_EQ(window.size(), 50u);
  window.measured(microseconds(8), 1);  // average 0.75 * 40 + 0.25 * 8 = 32 µs: 62 commands
  EXPECT_EQ(window.size(), 62u);
}

TEST(DriverWindow, AStallOfAFewMeasurementsChangesNothing) {
  DriverWindow window;
  window.measured(microseconds(20), 1);  // 20 µs: 100 commands
  for (std::size_t i = 1; i < DriverWindow::kRisesToConfirm; ++i) {
    window.measured(milliseconds(50), 1);  // a preempted driver thread, say
    EXPECT_EQ(window.size(), 100u) << "after " << i << " slow measurement(s)";
  }
  window.measured(microseconds(20), 1);
  EXPECT_EQ(window.size(), 100u);
}

TEST(DriverWindow, SlowerCommandsMoveItOnceMeasurementsInARowAgree) {
  DriverWindow window;
  window.measured(microseconds(20), 1);  // 20 µs: 100 commands
  for (std::size_t i = 1; i < DriverWindow::kRisesToConfirm; ++i) window.measured(microseconds(100), 1);
  window.measured(microseconds(200), 1);  // the fastest of the last three: 100 µs
  EXPECT_EQ(window.size(), 50u);          // average 0.75 * 20 + 0.25 * 100 = 40 µs
  for (int i = 0; i < 40; ++i) window.measured(microseconds(100), 1);
  EXPECT_EQ(window.size(), 20u);  // 2 ms of 100 µs commands
}

TEST(DriverWindow, AMeasurementCoversItsCommands) {
  DriverWindow window;
  window.measured(microseconds(20), 1);
  window.measured(microseconds(1280), 64);  // 64 commands of 20 µs: no change
  window.measured(microseconds(640), 64);   // of 10 µs each: faster, counted at once
  EXPECT_EQ(window.size(), 114u);           // 0.75 * 20 + 0.25 * 10 = 17.5 µs: 114 commands
}

TEST(DriverWindow, NothingMeasuredChangesNothing) {
  DriverWindow window;
  window.measured(milliseconds(5), 0);
  EXPECT_EQ(window.size(), DriverWindow::kInitial);
}

}  // namespace
}  // namespace dotcompute
