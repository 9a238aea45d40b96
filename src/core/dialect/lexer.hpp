// Tokenizer for the portable kernel dialect (.dck files).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dotcompute::dialect {

enum class TokenKind { identifier, number, literal, punctuation, directive, end };

struct Token {
  TokenKind kind;
  std::string_view text;  ///< view into the source
  int line;               ///< 1-based
  int column;             ///< 1-based
};

/// Splits `source` into tokens; comments are dropped, a preprocessor line
/// (with continuations) is one `directive` token, the last token is `end`.
/// Never fails: unknown characters become one-character punctuation.
[[nodiscard]] std::vector<Token> tokenize(std::string_view source);

}  // namespace dotcompute::dialect
