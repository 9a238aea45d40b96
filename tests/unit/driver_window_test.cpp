// The driver window follows measured command durations: about 2 ms of work,
// within its bounds, moving a quarter of the way per measurement towards the
// time per command of the last few measurements, the slowest left out.
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

TEST(DriverWindow, AFasterMeasurementMovesItAQuarterOfTheWay) {
  DriverWindow window;
  window.measured(microseconds(40), 1);  // 40 µs: 50 commands
  EXPECT_EQ(window.size(), 50u);
  window.measured(microseconds(8), 1);  // average 0.75 * 40 + 0.25 * 8 = 32 µs: 62 commands
  EXPECT_EQ(window.size(), 62u);
}

TEST(DriverWindow, OneStallAmongTheLastMeasurementsChangesNothing) {
  DriverWindow window;
  window.measured(microseconds(20), 1);  // 20 µs: 100 commands
  window.measured(milliseconds(50), 1);  // a preempted driver thread, say
  EXPECT_EQ(window.size(), 100u);
  for (std::size_t i = 2; i < DriverWindow::kMeasurementsKept; ++i) {
    window.measured(microseconds(20), 1);
    EXPECT_EQ(window.size(), 100u) << "while the stall is among the last " << DriverWindow::kMeasurementsKept;
  }
}

TEST(DriverWindow, SlowerCommandsTakeOverWithinAFewMeasurements) {
  DriverWindow window;
  window.measured(microseconds(20), 1);  // 20 µs: 100 commands
  window.measured(microseconds(100), 1);
  EXPECT_EQ(window.size(), 100u);         // the slowest, left out
  window.measured(microseconds(100), 1);  // 60 µs without the slowest; 0.75 * 20 + 0.25 * 60 = 30 µs
  EXPECT_EQ(window.size(), 66u);
  for (int i = 0; i < 40; ++i) window.measured(microseconds(100), 1);
  EXPECT_EQ(window.size(), 20u);  // 2 ms of 100 µs commands
}

TEST(DriverWindow, EachMeasurementWeighsAsMuchAsTheCommandsItCovers) {
  DriverWindow window;
  window.measured(microseconds(1280), 64);  // 64 commands of 20 µs: 100 commands
  window.measured(microseconds(100), 1);
  window.measured(microseconds(100), 1);  // one left out: (1280 + 100) µs / 65 = 21.2 µs
  EXPECT_EQ(window.size(), 98u);          // 0.75 * 20 + 0.25 * 21.2 = 20.3 µs
}

TEST(DriverWindow, AMixOfShortAndLongCommandsCountsAsALittleLessThanItsMean) {
  DriverWindow window;
  for (int i = 0; i < 50; ++i) {
    window.measured(microseconds(1), 1);
    window.measured(microseconds(99), 1);
  }
  EXPECT_GE(window.size(), 40u);  // 2 ms of 50 µs commands
  EXPECT_LE(window.size(), 80u);
}

TEST(DriverWindow, NothingMeasuredChangesNothing) {
  DriverWindow window;
  window.measured(milliseconds(5), 0);
  EXPECT_EQ(window.size(), DriverWindow::kInitial);
}

}  // namespace
}  // namespace dotcompute
