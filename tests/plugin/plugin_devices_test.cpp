// plugin::Devices, the device list of a C++ backend plugin: found once, parts
// skipped with their reasons, and a reason when there is no device at all.
#include <gtest/gtest.h>

#include <atomic>
#include <dotcompute/plugin_devices.hpp>
#include <stdexcept>
#include <thread>
#include <vector>

namespace dotcompute::plugin {
namespace {

struct Gadget {
  explicit Gadget(std::uint32_t at) : index(at) {}
  std::uint32_t index;
};

dc_status_t status_of(const auto& call) {
  try {
    call();
  } catch (const Error& error) {
    return error.status;
  }
  return DC_STATUS_OK;
}

std::string message_of(const auto& call) {
  try {
    call();
  } catch (const Error& error) {
    return error.message;
  }
  return "";
}

TEST(PluginDevices, AreFoundOnceWhateverTheNumberOfThreadsAsking) {
  Devices<Gadget> devices("gadget");
  std::atomic<int> enumerations{0};
  std::vector<std::jthread> askers;
  std::atomic<int> wrong{0};
  for (int i = 0; i < 8; ++i) {
    askers.emplace_back([&] {
      const std::uint32_t count = devices.count([&](Devices<Gadget>& found) {
        ++enumerations;
        for (int g = 0; g < 3; ++g) found.add(std::make_unique<Gadget>(found.next_index()));
      });
      if (count != 3) ++wrong;
    });
  }
  askers.clear();
  EXPECT_EQ(enumerations, 1);
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(devices.at(2).index, 2u);
  EXPECT_EQ(devices[1].index, 1u);
  EXPECT_TRUE(devices.skipped().empty());
}

TEST(PluginDevices, AnIndexNeverHandedOutIsAnInvalidArgumentNamingIt) {
  Devices<Gadget> devices("gadget");
  (void)devices.count([](Devices<Gadget>& found) { found.add(std::make_unique<Gadget>(0)); });
  EXPECT_EQ(status_of([&] { (void)devices.at(1); }), DC_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(message_of([&] { (void)devices.at(7); }), "no gadget 7");
}

TEST(PluginDevices, PartsThatFailAreSkippedWithTheirReasons) {
  Devices<Gadget> devices("gadget");
  const auto enumerate = [](Devices<Gadget>& found) {
    found.skip("bay 0", "jammed");
    found.add(std::make_unique<Gadget>(found.next_index()));
  };
  EXPECT_EQ(devices.count(enumerate), 1u);
  EXPECT_EQ(devices.skipped(), std::vector<std::string>{"bay 0: jammed"});
}

TEST(PluginDevices, WithNoDeviceEveryCallSaysWhy) {
  Devices<Gadget> none("gadget");
  const auto all_skipped = [](Devices<Gadget>& found) {
    found.skip("bay 0", "jammed");
    found.skip("bay 1", "empty");
  };
  for (int call = 0; call < 2; ++call) {
    EXPECT_EQ(status_of([&] { (void)none.count(all_skipped); }), DC_STATUS_UNAVAILABLE);
    EXPECT_EQ(message_of([&] { (void)none.count(all_skipped); }), "no usable gadget: bay 0: jammed; bay 1: empty");
  }
  EXPECT_EQ(status_of([&] { (void)none.at(0); }), DC_STATUS_INVALID_ARGUMENT);

  Devices<Gadget> no_driver("gadget");
  EXPECT_EQ(
      message_of([&] { (void)no_driver.count([](Devices<Gadget>& found) { found.unavailable("no gadget driver"); }); }),
      "no gadget driver");

  Devices<Gadget> failing("gadget");
  EXPECT_EQ(message_of(
                [&] { (void)failing.count([](Devices<Gadget>&) { throw std::runtime_error("bus error on probe"); }); }),
            "bus error on probe");
}

}  // namespace
}  // namespace dotcompute::plugin
