// SharedText: literals referred to, run-time text shared by its copies.
#include <gtest/gtest.h>

#include <dotcompute/shared_text.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace dotcompute {
namespace {

TEST(SharedText, EmptyByDefault) {
  const SharedText text;
  EXPECT_TRUE(text.empty());
  EXPECT_EQ(text.size(), 0u);
  EXPECT_STREQ(text.c_str(), "");
  EXPECT_EQ(text, "");
  const char* none = nullptr;
  EXPECT_TRUE(SharedText(none).empty());
  EXPECT_TRUE(text == none);
  EXPECT_TRUE(SharedText::literal(none).empty());
  EXPECT_STREQ(SharedText::literal(none).c_str(), "");
}

TEST(SharedText, ALiteralIsReferredToNotCopied) {
  static const char kReason[] = "fixed priority: the only device that can run it";
  const SharedText text = SharedText::literal(kReason);
  const SharedText copy = text;  // NOLINT(performance-unnecessary-copy-initialization): the point of the test
  EXPECT_EQ(text.c_str(), kReason);
  EXPECT_EQ(copy.c_str(), kReason);
  EXPECT_EQ(copy, "fixed priority: the only device that can run it");
}

TEST(SharedText, RunTimeTextIsCopiedOnceAndSharedByItsCopies) {
  std::string made = "chosen for " + std::to_string(42) + " items";
  const SharedText text = made;
  made.assign("changed afterwards");
  const SharedText copy = text;  // NOLINT(performance-unnecessary-copy-initialization): the point of the test
  EXPECT_EQ(copy.c_str(), text.c_str());
  EXPECT_EQ(text, "chosen for 42 items");
  SharedText moved = SharedText(std::string("a text too long for the small-string buffer"));
  {
    const SharedText target = std::move(moved);
    EXPECT_EQ(target, "a text too long for the small-string buffer");
  }
  EXPECT_TRUE(moved.empty());  // NOLINT(bugprone-use-after-move): a moved-from text is empty, not dangling
  EXPECT_STREQ(moved.c_str(), "");
}

TEST(SharedText, ComparesAndPrintsByContent) {
  const SharedText text = SharedText::literal("requested in ExecutionOptions::device");
  EXPECT_EQ(text, SharedText(std::string("requested in ExecutionOptions::device")));
  EXPECT_EQ(text, std::string("requested in ExecutionOptions::device"));
  EXPECT_EQ(text, std::string_view("requested in ExecutionOptions::device"));
  EXPECT_FALSE(text == "requested");
  EXPECT_EQ(text.find("ExecutionOptions"), 13u);
  EXPECT_EQ(text.find("absent"), std::string::npos);
  EXPECT_EQ(text.str(), "requested in ExecutionOptions::device");
  std::ostringstream out;
  out << text;
  EXPECT_EQ(out.str(), "requested in ExecutionOptions::device");
}

TEST(SharedText, CopiesLiveAndDieOnAnyThread) {
  const SharedText shared = std::string("a reason made at run time");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([shared] {
      for (int i = 0; i < 10000; ++i) {
        const SharedText copy = shared;
        if (copy.size() != shared.size()) std::abort();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(shared, "a reason made at run time");
}

}  // namespace
}  // namespace dotcompute
