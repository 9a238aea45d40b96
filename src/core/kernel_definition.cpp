#include "dotcompute/kernel_definition.hpp"

#include <cctype>
#include <limits>

#include "dotcompute/errors.hpp"

namespace dotcompute {

std::string KernelDefinition::signature() const {
  std::string text = name + "(";
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    const auto& p = parameters[i];
    if (i != 0) text += ", ";
    if (p.kind == ParameterKind::buffer) {
      if (p.access == Access::read_only) text += "const ";
      if (p.access == Access::write_only) text += "DC_WRITE_ONLY ";
      text += std::string(dialect_name(p.type)) + "* " + p.name;
      if (!p.required_elements.empty()) text += " DC_SIZE(" + p.required_elements.text() + ")";
    } else {
      text += std::string(dialect_name(p.type)) + " " + p.name;
    }
  }
  return text + ")";
}

std::vector<std::string> KernelDefinition::implementations() const {
  std::vector<std::string> result;
  if (cpu_entry != nullptr) result.emplace_back("cpu");
  if (source != nullptr) result.emplace_back("portable");
  if (source != nullptr && !source->cuda.image.empty()) {
    std::string cuda = "cuda";
    for (std::size_t i = 0; i < source->cuda.architectures.size(); ++i) {
      cuda += (i == 0 ? ":sm_" : ",sm_") + std::to_string(source->cuda.architectures[i]);
    }
    result.push_back(std::move(cuda));
  }
  return result;
}

namespace {

// Recursive-descent parser of size expressions into postfix operations.
class SizeExpressionParser {
 public:
  SizeExpressionParser(std::string_view text, std::span<const KernelParameter> parameters)
      : text_(text), parameters_(parameters) {}

  template <class Emit>
  void parse(Emit&& emit) {
    expression(emit);
    skip_space();
    if (position_ != text_.size()) fail("unexpected '" + std::string(1, text_[position_]) + "'");
  }

 private:
  template <class Emit>
  void expression(Emit& emit) {
    term(emit);
    for (char op = peek(); op == '+' || op == '-'; op = peek()) {
      ++position_;
      term(emit);
      emit(op);
    }
  }
  template <class Emit>
  void term(Emit& emit) {
    factor(emit);
    for (char op = peek(); op == '*' || op == '/'; op = peek()) {
      ++position_;
      factor(emit);
      emit(op);
    }
  }
  template <class Emit>
  void factor(Emit& emit) {
    const char c = peek();
    if (c == '(') {
      ++position_;
      expression(emit);
      if (peek() != ')') fail("missing ')'");
      ++position_;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      std::int64_t value = 0;
      while (position_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[position_]))) {
        const int digit = text_[position_++] - '0';
        if (value > (std::numeric_limits<std::int64_t>::max() - digit) / 10) fail("literal too large");
        value = value * 10 + digit;
      }
      emit('#', value);
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      const std::size_t start = position_;
      while (position_ < text_.size() &&
             (std::isalnum(static_cast<unsigned char>(text_[position_])) || text_[position_] == '_')) {
        ++position_;
      }
      const std::string_view name = text_.substr(start, position_ - start);
      for (std::size_t i = 0; i < parameters_.size(); ++i) {
        if (parameters_[i].name != name) continue;
        if (parameters_[i].kind != ParameterKind::scalar || is_floating(parameters_[i].type)) {
          fail("'" + std::string(name) + "' is not an integer scalar parameter");
        }
        emit('$', static_cast<std::int64_t>(i));
        return;
      }
      fail("unknown parameter '" + std::string(name) + "'");
    } else {
      fail(c == '\0' ? std::string("unexpected end") : "unexpected '" + std::string(1, c) + "'");
    }
  }
  char peek() {
    skip_space();
    return position_ < text_.size() ? text_[position_] : '\0';
  }
  void skip_space() {
    while (position_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[position_]))) ++position_;
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw RegistrationError("invalid DC_SIZE expression '" + std::string(text_) + "': " + what);
  }

  std::string_view text_;
  std::span<const KernelParameter> parameters_;
  std::size_t position_ = 0;
};

}  // namespace

SizeExpression SizeExpression::parse(std::string_view text, std::span<const KernelParameter> parameters) {
  SizeExpression result;
  result.text_ = std::string(text);
  SizeExpressionParser parser(text, parameters);
  parser.parse([&](char op, std::int64_t value = 0) {
    switch (op) {
      case '#':
        result.program_.push_back({Op::Kind::constant, value});
        break;
      case '$':
        result.program_.push_back({Op::Kind::parameter, value});
        break;
      case '+':
        result.program_.push_back({Op::Kind::add, 0});
        break;
      case '-':
        result.program_.push_back({Op::Kind::subtract, 0});
        break;
      case '*':
        result.program_.push_back({Op::Kind::multiply, 0});
        break;
      default:
        result.program_.push_back({Op::Kind::divide, 0});
        break;
    }
  });
  return result;
}

std::optional<std::uint64_t> SizeExpression::evaluate(std::span<const std::int64_t> scalar_values) const noexcept {
  std::int64_t stack[32];
  std::size_t depth = 0;
  for (const Op& op : program_) {
    if (op.kind == Op::Kind::constant || op.kind == Op::Kind::parameter) {
      if (depth == std::size(stack)) return std::nullopt;
      if (op.kind == Op::Kind::parameter && static_cast<std::size_t>(op.value) >= scalar_values.size()) {
        return std::nullopt;
      }
      stack[depth++] = op.kind == Op::Kind::constant ? op.value : scalar_values[static_cast<std::size_t>(op.value)];
      continue;
    }
    const std::int64_t right = stack[--depth];
    std::int64_t& left = stack[depth - 1];
    bool overflow = false;
    switch (op.kind) {
      case Op::Kind::add:
        overflow = __builtin_add_overflow(left, right, &left);
        break;
      case Op::Kind::subtract:
        overflow = __builtin_sub_overflow(left, right, &left);
        break;
      case Op::Kind::multiply:
        overflow = __builtin_mul_overflow(left, right, &left);
        break;
      default:
        if (right == 0) return std::nullopt;
        left /= right;
        break;
    }
    if (overflow) return std::nullopt;
  }
  if (depth != 1 || stack[0] < 0) return std::nullopt;
  return static_cast<std::uint64_t>(stack[0]);
}

}  // namespace dotcompute
