#include "dialect/lexer.hpp"

#include <array>
#include <cctype>

namespace dotcompute::dialect {

namespace {

bool is_identifier_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_identifier_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

constexpr std::array<std::string_view, 19> kMultiCharPunctuation = {
    "<<=", ">>=", "::", "->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "+=", "-=", "*=", "/=", "%="};

class Lexer {
 public:
  explicit Lexer(std::string_view source) : source_(source) {}

  std::vector<Token> run() {
    std::vector<Token> tokens;
    bool line_start = true;
    while (position_ < source_.size()) {
      const char c = source_[position_];
      if (c == '\n') {
        advance();
        line_start = true;
        continue;
      }
      if (std::isspace(static_cast<unsigned char>(c))) {
        advance();
        continue;
      }
      if (starts_with("//")) {
        while (position_ < source_.size() && source_[position_] != '\n') advance();
        continue;
      }
      if (starts_with("/*")) {
        advance(2);
        while (position_ < source_.size() && !starts_with("*/")) advance();
        advance(2);
        continue;
      }
      const std::size_t start = position_;
      const int line = line_;
      const int column = column_;
      TokenKind kind = TokenKind::punctuation;
      if (c == '#' && line_start) {
        kind = TokenKind::directive;
        while (position_ < source_.size() && source_[position_] != '\n') {
          if (source_[position_] == '\\' && position_ + 1 < source_.size() && source_[position_ + 1] == '\n') advance();
          advance();
        }
      } else if (is_identifier_start(c)) {
        kind = TokenKind::identifier;
        while (position_ < source_.size() && is_identifier_char(source_[position_])) advance();
      } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                 (c == '.' && position_ + 1 < source_.size() &&
                  std::isdigit(static_cast<unsigned char>(source_[position_ + 1])))) {
        kind = TokenKind::number;
        while (position_ < source_.size()) {
          const char d = source_[position_];
          const bool exponent_sign =
              (d == '+' || d == '-') && (source_[position_ - 1] == 'e' || source_[position_ - 1] == 'E');
          if (!is_identifier_char(d) && d != '.' && !exponent_sign) break;
          advance();
        }
      } else if (c == '"' || c == '\'') {
        kind = TokenKind::literal;
        advance();
        while (position_ < source_.size() && source_[position_] != c && source_[position_] != '\n') {
          if (source_[position_] == '\\') advance();
          advance();
        }
        advance();
      } else {
        std::size_t length = 1;
        for (std::string_view op : kMultiCharPunctuation) {
          if (starts_with(op)) {
            length = op.size();
            break;
          }
        }
        advance(length);
      }
      line_start = false;
      tokens.push_back({kind, source_.substr(start, position_ - start), line, column});
    }
    tokens.push_back({TokenKind::end, {}, line_, column_});
    return tokens;
  }

 private:
  bool starts_with(std::string_view text) const { return source_.substr(position_).starts_with(text); }
  void advance(std::size_t count = 1) {
    for (std::size_t i = 0; i < count && position_ < source_.size(); ++i) {
      if (source_[position_] == '\n') {
        ++line_;
        column_ = 1;
      } else {
        ++column_;
      }
      ++position_;
    }
  }

  std::string_view source_;
  std::size_t position_ = 0;
  int line_ = 1;
  int column_ = 1;
};

}  // namespace

std::vector<Token> tokenize(std::string_view source) { return Lexer(source).run(); }

}  // namespace dotcompute::dialect
