// SharedText: immutable text that copies without allocating.
#pragma once

#include <cstddef>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace dotcompute {

/// Immutable text that travels with every execution (a selection reason)
/// without an allocation per copy. Two kinds:
/// - SharedText::literal("..."): text with static storage duration, referred
///   to, never copied or counted. Copies cost two words and touch no shared
///   memory, so any number of threads may copy it at full speed.
/// - SharedText(std::string): text made at run time, allocated once and
///   shared by reference count between its copies.
/// Thread-safety: that of std::shared_ptr; copies may be read and destroyed
/// on any threads.
class SharedText {
 public:
  SharedText() noexcept = default;  ///< empty text
  /// Text made at run time (allocates once). Implicit, like std::string's.
  SharedText(std::string text)  // NOLINT(google-explicit-constructor)
      : owned_(std::make_shared<const std::string>(std::move(text))), text_(*owned_) {}
  /// A null `text` is empty text.
  SharedText(const char* text)  // NOLINT(google-explicit-constructor)
      : SharedText(text != nullptr ? std::string(text) : std::string()) {}
  SharedText(const SharedText&) = default;
  SharedText& operator=(const SharedText&) = default;
  /// Leaves `other` empty (its view would otherwise outlive the text it moved away).
  SharedText(SharedText&& other) noexcept
      : owned_(std::move(other.owned_)), text_(std::exchange(other.text_, std::string_view(""))) {}
  SharedText& operator=(SharedText&& other) noexcept {
    owned_ = std::move(other.owned_);
    text_ = std::exchange(other.text_, std::string_view(""));
    return *this;
  }
  ~SharedText() = default;

  /// Text that outlives every use (a string literal): referred to, not
  /// copied. The caller keeps it alive for good; a null `text` is empty text.
  [[nodiscard]] static SharedText literal(const char* text) noexcept {
    SharedText result;
    if (text != nullptr) result.text_ = text;
    return result;
  }

  /// NUL-terminated; valid while this value (or a copy of it) lives.
  [[nodiscard]] const char* c_str() const noexcept { return text_.data(); }
  [[nodiscard]] std::string_view view() const noexcept { return text_; }
  operator std::string_view() const noexcept { return text_; }  // NOLINT(google-explicit-constructor)
  [[nodiscard]] std::string str() const { return std::string(text_); }
  [[nodiscard]] bool empty() const noexcept { return text_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return text_.size(); }
  /// As std::string_view::find.
  [[nodiscard]] std::size_t find(std::string_view part, std::size_t from = 0) const noexcept {
    return text_.find(part, from);
  }

  friend bool operator==(const SharedText& a, const SharedText& b) noexcept { return a.text_ == b.text_; }
  friend bool operator==(const SharedText& a, std::string_view b) noexcept { return a.text_ == b; }
  friend bool operator==(const SharedText& a, const std::string& b) noexcept { return a.text_ == b; }
  friend bool operator==(const SharedText& a, const char* b) noexcept {  // null: empty text
    return a.text_ == (b != nullptr ? std::string_view(b) : std::string_view());
  }
  friend std::ostream& operator<<(std::ostream& out, const SharedText& text) { return out << text.text_; }

 private:
  std::shared_ptr<const std::string> owned_;  // null for literals and empty text
  std::string_view text_ = "";                // into *owned_ or the literal; always NUL-terminated
};

}  // namespace dotcompute
