#pragma once
// The Python JSON reader behind parse_python_json() (signing/python_json.hpp): a recursive
// descent over the text that accepts what Python's json.loads accepts, with the refusals and
// options that header describes.

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "../../data.hpp"
#include "../../errors.hpp"
#include "../python_json_options.hpp"
#include "python_json_text.hpp"

namespace sessions::signing::detail {

class PythonJsonParser {
 public:
  PythonJsonParser(std::string_view text, const PythonJsonReadOptions& options) : s_(text), opt_(options) {}

  [[nodiscard]] Data parse() {
    skip_ws();
    Data result = value(0);
    skip_ws();
    if (pos_ != s_.size()) fail("extra data after the JSON value");
    return result;
  }

 private:
  [[noreturn]] void fail(const char* what) const {
    throw DecodeError(std::string("invalid JSON: ") + what + " at byte " + std::to_string(pos_));
  }

  [[nodiscard]] bool at_end() const noexcept { return pos_ >= s_.size(); }
  [[nodiscard]] char peek() const noexcept { return s_[pos_]; }

  void skip_ws() noexcept {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) ++pos_;
  }

  [[nodiscard]] bool consume_literal(std::string_view word) noexcept {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  [[nodiscard]] Data value(std::size_t depth) {
    if (at_end()) fail("expecting a value");
    switch (peek()) {
      case '{':
        return object(depth + 1);
      case '[':
        return array(depth + 1);
      case '"':
        return Data(string());
      case 'n':
        if (consume_literal("null")) return Data(nullptr);
        break;
      case 't':
        if (consume_literal("true")) return Data(true);
        break;
      case 'f':
        if (consume_literal("false")) return Data(false);
        break;
      case 'N':
        if (consume_literal("NaN")) return Data(std::numeric_limits<double>::quiet_NaN());
        break;
      case 'I':
        if (consume_literal("Infinity")) return Data(std::numeric_limits<double>::infinity());
        break;
      case '-':
        if (consume_literal("-Infinity")) return Data(-std::numeric_limits<double>::infinity());
        return number();
      default:
        if (peek() >= '0' && peek() <= '9') return number();
        break;
    }
    fail("expecting a value");
  }

  // Objects and arrays collect their members on a stack shared by the whole parse (members_,
  // elements_) and are built at their closing bracket with exactly the room they need: growing
  // each one member by member cost two or three reallocations per small object, a quarter of
  // the time a 3 KB session took to parse.
  [[nodiscard]] Data object(std::size_t depth) {
    if (depth > opt_.max_depth) fail("nesting deeper than the limit");
    ++pos_;  // '{'
    skip_ws();
    if (!at_end() && peek() == '}') {
      ++pos_;
      return Data::object();
    }
    const std::size_t base = members_.size();
    while (true) {
      if (at_end() || peek() != '"') fail("expecting a property name in double quotes");
      std::string key = string();
      skip_ws();
      if (at_end() || peek() != ':') fail("expecting ':' delimiter");
      ++pos_;
      skip_ws();
      Data member = value(depth);
      members_.emplace_back(std::move(key), std::move(member));
      skip_ws();
      if (at_end()) fail("expecting ',' delimiter");
      if (peek() == '}') {
        ++pos_;
        break;
      }
      if (peek() != ',') fail("expecting ',' delimiter");
      ++pos_;
      skip_ws();
    }
    Data result = Data::object();
    auto& map = result.get_ref<Data::object_t&>();
    map.reserve(members_.size() - base);
    for (std::size_t i = base; i < members_.size(); ++i) {
      // A duplicate key keeps its first position and takes the last value, as in a Python dict.
      auto [at, inserted] = map.emplace(std::move(members_[i].first), std::move(members_[i].second));
      if (!inserted) at->second = std::move(members_[i].second);
    }
    members_.resize(base);
    return result;
  }

  [[nodiscard]] Data array(std::size_t depth) {
    if (depth > opt_.max_depth) fail("nesting deeper than the limit");
    ++pos_;  // '['
    skip_ws();
    if (!at_end() && peek() == ']') {
      ++pos_;
      return Data::array();
    }
    const std::size_t base = elements_.size();
    while (true) {
      Data element = value(depth);
      elements_.push_back(std::move(element));
      skip_ws();
      if (at_end()) fail("expecting ',' delimiter");
      if (peek() == ']') {
        ++pos_;
        break;
      }
      if (peek() != ',') fail("expecting ',' delimiter");
      ++pos_;
      skip_ws();
    }
    Data result = Data::array();
    auto& items = result.get_ref<Data::array_t&>();
    items.reserve(elements_.size() - base);
    for (std::size_t i = base; i < elements_.size(); ++i) items.push_back(std::move(elements_[i]));
    elements_.resize(base);
    return result;
  }

  [[nodiscard]] std::uint32_t hex4() {
    if (s_.size() - pos_ < 4) fail("invalid \\uXXXX escape");
    std::uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s_[pos_++];
      std::uint32_t d = 0;
      if (c >= '0' && c <= '9') {
        d = static_cast<std::uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        d = static_cast<std::uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        d = static_cast<std::uint32_t>(c - 'A' + 10);
      } else {
        fail("invalid \\uXXXX escape");
      }
      v = (v << 4) | d;
    }
    return v;
  }

  // The characters a string copies as they are: printable ASCII but `"` and `\\`.
  [[nodiscard]] static bool is_plain(unsigned char c) noexcept {
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
  }

  // The end of the run of plain characters from `from`.
  [[nodiscard]] std::size_t plain_run_end(std::size_t from) const noexcept {
    while (from < s_.size() && is_plain(static_cast<unsigned char>(s_[from]))) ++from;
    return from;
  }

  [[nodiscard]] std::string string() {
    ++pos_;  // opening quote
    // Most strings have no escape: copy them in one piece.
    std::size_t run_end = plain_run_end(pos_);
    if (run_end < s_.size() && s_[run_end] == '"') {
      std::string out(s_.substr(pos_, run_end - pos_));
      pos_ = run_end + 1;
      return out;
    }
    std::string out;
    while (true) {
      if (at_end()) fail("unterminated string");
      const auto c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c < 0x20) fail("invalid control character in a string");
      if (c >= 0x80) {
        non_ascii(out);
        continue;
      }
      if (c != '\\') {
        run_end = plain_run_end(pos_);
        out.append(s_.substr(pos_, run_end - pos_));
        pos_ = run_end;
        continue;
      }
      ++pos_;
      if (at_end()) fail("unterminated string");
      const char e = s_[pos_++];
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          std::uint32_t cp = hex4();
          if (cp >= 0xDC00 && cp <= 0xDFFF) fail("lone UTF-16 surrogate in a \\u escape");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (s_.substr(pos_, 2) != "\\u") fail("lone UTF-16 surrogate in a \\u escape");
            pos_ += 2;
            const std::uint32_t low = hex4();
            if (low < 0xDC00 || low > 0xDFFF) fail("lone UTF-16 surrogate in a \\u escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          append_utf8(out, cp);
          break;
        }
        default:
          --pos_;
          fail("invalid escape");
      }
    }
  }

  // A byte >= 0x80 inside a string, handled as the options say.
  void non_ascii(std::string& out) {
    switch (opt_.non_ascii) {
      case NonAsciiInput::latin1:
        append_utf8(out, static_cast<unsigned char>(s_[pos_]));
        ++pos_;
        return;
      case NonAsciiInput::utf8: {
        const std::size_t start = pos_;
        if (!next_utf8(s_, pos_)) fail("invalid UTF-8");
        out.append(s_.substr(start, pos_ - start));
        return;
      }
      case NonAsciiInput::reject:
      default:
        fail("non-ASCII byte (Django would read it as latin-1)");
    }
  }

  [[nodiscard]] static bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

  // Python's number grammar: -?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?; an integer when neither the
  // fraction nor the exponent is present.
  [[nodiscard]] Data number() {
    const std::size_t start = pos_;
    if (peek() == '-') ++pos_;
    if (at_end() || !is_digit(peek())) fail("expecting a value");
    const std::size_t int_start = pos_;
    if (peek() == '0') {
      ++pos_;
    } else {
      while (!at_end() && is_digit(peek())) ++pos_;
    }
    const std::size_t int_end = pos_;
    bool is_float = false;
    std::size_t frac_start = pos_, frac_end = pos_;
    if (pos_ + 1 < s_.size() && peek() == '.' && is_digit(s_[pos_ + 1])) {
      is_float = true;
      ++pos_;
      frac_start = pos_;
      while (!at_end() && is_digit(peek())) ++pos_;
      frac_end = pos_;
    }
    long long exponent = 0;
    if (!at_end() && (peek() == 'e' || peek() == 'E')) {
      std::size_t p = pos_ + 1;
      bool exp_negative = false;
      if (p < s_.size() && (s_[p] == '+' || s_[p] == '-')) exp_negative = s_[p++] == '-';
      if (p < s_.size() && is_digit(s_[p])) {
        is_float = true;
        while (p < s_.size() && is_digit(s_[p])) {
          // Saturate: only the sign and "very large" matter for out-of-range values.
          if (exponent < 1'000'000'000) exponent = exponent * 10 + (s_[p] - '0');
          ++p;
        }
        if (exp_negative) exponent = -exponent;
        pos_ = p;
      }
    }
    const std::string_view text = s_.substr(start, pos_ - start);
    if (!is_float) {
      if (int_end - int_start > opt_.max_int_digits) fail("integer literal longer than the digit limit");
      return int_from_literal(text);
    }
    double v = 0;
    const auto res = std::from_chars(text.data(), text.data() + text.size(), v, std::chars_format::general);
    if (res.ec == std::errc::result_out_of_range) {
      // Python's float() gives +/-inf on overflow and +/-0.0 on underflow; from_chars leaves the
      // value alone, so decide from the position of the first significant digit.
      const std::string_view int_digits = s_.substr(int_start, int_end - int_start);
      const std::string_view frac_digits = s_.substr(frac_start, frac_end - frac_start);
      long long magnitude = 0;  // value ~ 10^(magnitude + exponent - 1)
      if (const auto nz = int_digits.find_first_not_of('0'); nz != std::string_view::npos) {
        magnitude = static_cast<long long>(int_digits.size() - nz);
      } else if (const auto fnz = frac_digits.find_first_not_of('0'); fnz != std::string_view::npos) {
        magnitude = -static_cast<long long>(fnz);
      }
      const bool overflow = magnitude + exponent > 0;
      v = overflow ? std::numeric_limits<double>::infinity() : 0.0;
      if (text.front() == '-') v = -v;
    } else if (res.ec != std::errc{} || res.ptr != text.data() + text.size()) {
      fail("invalid number");
    }
    return Data(v);
  }

  std::string_view s_;
  const PythonJsonReadOptions& opt_;
  std::size_t pos_ = 0;
  // The members and elements of the objects and arrays still open, innermost last.
  std::vector<std::pair<std::string, Data>> members_{};
  std::vector<Data> elements_{};
};

}  // namespace sessions::signing::detail
