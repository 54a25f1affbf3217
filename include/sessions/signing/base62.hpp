#pragma once
// Base62 as Django writes signature timestamps: digits `0-9A-Za-z` (in that order), most
// significant first, "0" for zero, a leading `-` for negatives.
//
// Decoding accepts what Django's decoder accepts: leading zeros, "-" alone (zero), "-0". It
// rejects the empty string (Django: IndexError) and any character outside the alphabet after the
// optional sign (Django: ValueError). Python integers are unbounded; here a value outside int64
// is MalformedSignedData from b62_decode(). TimestampSigner does not need the exact value of such
// a timestamp, only its distance from now, and reads it through detail::b62_decode_approx().

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "errors.hpp"

namespace sessions::signing {

namespace detail {

inline constexpr char b62_alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
inline constexpr unsigned char b62_invalid = 0xFF;

inline constexpr std::array<unsigned char, 256> b62_decode_table = [] {
  std::array<unsigned char, 256> t{};
  for (auto& v : t) v = b62_invalid;
  for (unsigned char i = 0; i < 62; ++i) t[static_cast<unsigned char>(b62_alphabet[i])] = i;
  return t;
}();

struct B62Parsed {
  bool negative = false;
  std::string_view digits;
};

// Sign and digit validation shared by both decoders.
[[nodiscard]] inline B62Parsed b62_parse(std::string_view text) {
  if (text.empty()) throw MalformedSignedData("invalid base62: empty string");
  B62Parsed p;
  p.negative = text.front() == '-';
  p.digits = p.negative ? text.substr(1) : text;
  for (const char c : p.digits) {
    if (b62_decode_table[static_cast<unsigned char>(c)] == b62_invalid) {
      throw MalformedSignedData("invalid base62: character outside 0-9A-Za-z");
    }
  }
  return p;
}

/// The value of a base62 string as a double: exact while the magnitude fits 64 bits (then
/// rounded once, as Python's float(int) rounds), approximate beyond, +/-infinity when it exceeds
/// the double range. Throws MalformedSignedData for empty input or a bad character.
[[nodiscard]] inline double b62_decode_approx(std::string_view text) {
  const B62Parsed p = b62_parse(text);
  std::uint64_t exact = 0;
  double wide = 0;
  bool overflowed = false;
  for (const char c : p.digits) {
    const unsigned char d = b62_decode_table[static_cast<unsigned char>(c)];
    if (!overflowed) {
      if (exact <= (std::numeric_limits<std::uint64_t>::max() - d) / 62) {
        exact = exact * 62 + d;
        continue;
      }
      overflowed = true;
      wide = static_cast<double>(exact);
    }
    wide = wide * 62 + d;
  }
  const double magnitude = overflowed ? wide : static_cast<double>(exact);
  return p.negative ? -magnitude : magnitude;
}

}  // namespace detail

/// Base62 of `n` (Django's b62_encode).
[[nodiscard]] inline std::string b62_encode(std::int64_t n) {
  if (n == 0) return "0";
  // The magnitude as unsigned, so that INT64_MIN has one too.
  std::uint64_t m = n < 0 ? std::uint64_t{0} - static_cast<std::uint64_t>(n) : static_cast<std::uint64_t>(n);
  char buf[16];
  std::size_t pos = sizeof buf;
  while (m > 0) {
    buf[--pos] = detail::b62_alphabet[m % 62];
    m /= 62;
  }
  if (n < 0) buf[--pos] = '-';
  return std::string(buf + pos, sizeof buf - pos);
}

/// The integer a base62 string stands for (Django's b62_decode). Throws MalformedSignedData for
/// an empty string, a character outside the alphabet, or a value outside int64.
[[nodiscard]] inline std::int64_t b62_decode(std::string_view text) {
  const detail::B62Parsed p = detail::b62_parse(text);
  // Accumulate the magnitude, allowed up to 2^63 for negatives (INT64_MIN) and 2^63-1 otherwise.
  const std::uint64_t limit = p.negative ? std::uint64_t{1} << 63 : (std::uint64_t{1} << 63) - 1;
  std::uint64_t m = 0;
  for (const char c : p.digits) {
    const unsigned char d = detail::b62_decode_table[static_cast<unsigned char>(c)];
    if (m > (limit - d) / 62) throw MalformedSignedData("base62 value does not fit in 64 bits");
    m = m * 62 + d;
  }
  if (!p.negative) return static_cast<std::int64_t>(m);
  // Negate in unsigned arithmetic; m == 2^63 maps to INT64_MIN without signed overflow.
  return m == 0 ? 0 : -static_cast<std::int64_t>(m - 1) - 1;
}

}  // namespace sessions::signing
