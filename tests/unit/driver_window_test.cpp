// The driver window follows measured command durations: about 2 ms of work,
// within its bounds, moving a quarter of the way per measurement.
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

TEST(DriverWindow, OneOddCommandMovesItAQuarterOfTheWay) {
  DriverWindow window;
  window.measured(microseconds(20), 1);  // 20 µs: 100 commands
  EXPECT_EQ(window.size(), 100u);
  window.measured(microseconds(100), 1);  // average 0.75 * 20 + 0.25 * 100 = 40 µs: 50 commands
  EXPECT_EQ(window.size(), 50u);
  for (int i = 0; i < 40; ++i) window.measured(microseconds(20), 1);  // back to 20 µs
  EXPECT_EQ(window.size(), 99u);                                      // within rounding of 100
}

TEST(DriverWindow, NothingMeasuredChangesNothing) {
  DriverWindow window;
  window.measured(milliseconds(5), 0);
  EXPECT_EQ(window.size(), DriverWindow::kInitial);
}

}  // namespace
}  // namespace dotcompute
