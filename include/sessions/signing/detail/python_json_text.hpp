#pragma once
// The text pieces the Python JSON writer and reader (signing/python_json.hpp) share: UTF-8 read
// and written one code point at a time, `\uXXXX` escapes in Python's lowercase hex, and integer
// literals of any size (a big integer is kept as its digits, see python_json.hpp).

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../../data.hpp"
#include "../python_json_options.hpp"

namespace sessions::signing::detail {

/// The digits of a big integer (a binary value of subtype python_int_subtype), nullopt for any
/// other value.
[[nodiscard]] inline std::optional<std::string_view> big_int_digits(const Data& value) noexcept {
  if (!value.is_binary()) return std::nullopt;
  const auto& bytes = value.get_binary();
  if (!bytes.has_subtype() || bytes.subtype() != python_int_subtype) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

[[nodiscard]] inline bool is_canonical_int_text(std::string_view s) noexcept {
  if (!s.empty() && s.front() == '-') s.remove_prefix(1);
  if (s.empty()) return false;
  if (s.size() > 1 && s.front() == '0') return false;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Integer literal (already validated as -?(0|[1-9][0-9]*)) to Data.
[[nodiscard]] inline Data int_from_literal(std::string_view text) {
  const bool negative = text.front() == '-';
  const std::string_view digits = negative ? text.substr(1) : text;
  std::uint64_t m = 0;
  bool fits = true;
  for (const char c : digits) {
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (m > (std::numeric_limits<std::uint64_t>::max() - d) / 10) {
      fits = false;
      break;
    }
    m = m * 10 + d;
  }
  if (fits && !negative) return Data(m);
  if (fits && m <= (std::uint64_t{1} << 63)) {
    // -0 is the integer 0, as in Python.
    return Data(m == 0 ? std::int64_t{0} : -static_cast<std::int64_t>(m - 1) - 1);
  }
  // "-0..." cannot reach here: it fits. Strip nothing else: the literal is canonical already.
  return Data::binary(std::vector<std::uint8_t>(text.begin(), text.end()), python_int_subtype);
}

inline constexpr char lower_hex[] = "0123456789abcdef";

inline void append_u_escape(std::string& out, std::uint32_t unit) {
  out += "\\u";
  out += lower_hex[(unit >> 12) & 0xF];
  out += lower_hex[(unit >> 8) & 0xF];
  out += lower_hex[(unit >> 4) & 0xF];
  out += lower_hex[unit & 0xF];
}

// Decodes one UTF-8 sequence at s[i]; returns the code point and advances i, or nullopt for an
// invalid sequence (overlong, surrogate, beyond U+10FFFF, truncated, stray continuation byte).
[[nodiscard]] inline std::optional<std::uint32_t> next_utf8(std::string_view s, std::size_t& i) noexcept {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  std::size_t len = 0;
  std::uint32_t cp = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    cp = b0 & 0x1Fu;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    cp = b0 & 0x0Fu;
    if (b0 == 0xE0) lo = 0xA0;  // no overlongs
    if (b0 == 0xED) hi = 0x9F;  // no UTF-16 surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    cp = b0 & 0x07u;
    if (b0 == 0xF0) lo = 0x90;  // no overlongs
    if (b0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return std::nullopt;
  }
  if (s.size() - i < len) return std::nullopt;
  for (std::size_t k = 1; k < len; ++k) {
    const unsigned char b = byte(i + k);
    if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return std::nullopt;
    cp = (cp << 6) | (b & 0x3Fu);
  }
  i += len;
  return cp;
}

inline void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace sessions::signing::detail
