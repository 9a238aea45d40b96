#include <gtest/gtest.h>

#include "dotcompute/errors.hpp"
#include "dotcompute/kernel_definition.hpp"

namespace dotcompute {
namespace {

std::vector<KernelParameter> parameters() {
  return {{"m", ParameterKind::scalar, ScalarType::int32, Access::read_only, {}},
          {"k", ParameterKind::scalar, ScalarType::uint64, Access::read_only, {}},
          {"f", ParameterKind::scalar, ScalarType::float32, Access::read_only, {}},
          {"x", ParameterKind::buffer, ScalarType::float32, Access::read_only, {}}};
}

TEST(SizeExpression, EvaluatesWithPrecedenceAndParentheses) {
  const auto p = parameters();
  const std::int64_t values[] = {6, 4, 0, 0};
  EXPECT_EQ(SizeExpression::parse("m * k", p).evaluate(values), 24u);
  EXPECT_EQ(SizeExpression::parse("m + k * 2", p).evaluate(values), 14u);
  EXPECT_EQ(SizeExpression::parse("(m + k) * 2", p).evaluate(values), 20u);
  EXPECT_EQ(SizeExpression::parse("(m + 3 - 1) / 4", p).evaluate(values), 2u);
  EXPECT_EQ(SizeExpression::parse("  m  ", p).text(), "  m  ");
}

TEST(SizeExpression, RejectsNegativeOverflowAndDivisionByZero) {
  const auto p = parameters();
  const std::int64_t values[] = {-1, 0, 0, 0};
  EXPECT_FALSE(SizeExpression::parse("m", p).evaluate(values).has_value());
  EXPECT_FALSE(SizeExpression::parse("1 / k", p).evaluate(values).has_value());
  const std::int64_t big[] = {1 << 30, std::int64_t{1} << 40, 0, 0};
  EXPECT_FALSE(SizeExpression::parse("k * k", p).evaluate(big).has_value());
}

TEST(SizeExpression, ParseErrorsNameTheProblem) {
  const auto p = parameters();
  EXPECT_THROW((void)SizeExpression::parse("m *", p), RegistrationError);
  EXPECT_THROW((void)SizeExpression::parse("(m", p), RegistrationError);
  EXPECT_THROW((void)SizeExpression::parse("m $ 2", p), RegistrationError);
  try {
    (void)SizeExpression::parse("f * 2", p);
    FAIL();
  } catch (const RegistrationError& e) {
    EXPECT_NE(std::string(e.what()).find("'f' is not an integer scalar"), std::string::npos) << e.what();
  }
  try {
    (void)SizeExpression::parse("x", p);
    FAIL();
  } catch (const RegistrationError& e) {
    EXPECT_NE(std::string(e.what()).find("'x' is not an integer scalar"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dotcompute
