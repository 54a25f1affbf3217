#pragma once
// Base64 as django.core.signing uses it.
//
// Encoding: the URL-safe alphabet (`-` and `_` instead of `+` and `/`), all `=` padding removed,
// so a payload is one cookie/URL-safe token.
//
// Decoding reproduces what Django actually accepts, which is more than it writes. Django pads the
// text with `=` up to a multiple of 4 of its RAW length, then runs Python's non-strict base64
// decoder. Observable rules, each mirrored below:
//   - `+`/`-` both mean 62 and `/`/`_` both mean 63;
//   - every byte outside the alphabet and `=` is skipped silently ("eyJh****IjoxfQ" decodes);
//   - `=` only counts once at least two characters of a 4-character group were seen; when the
//     group plus the `=` seen reach 4, decoding stops and everything after is ignored;
//   - a data character after a `=` that did not complete a group resets that `=` count;
//   - input ending with one leftover character is an error ("1 more than a multiple of 4"),
//     input ending with two or three is an error ("Incorrect padding").
// Those errors are MalformedSignedData here; in Django they are binascii.Error.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "../crypto/bytes.hpp"
#include "errors.hpp"

namespace sessions::signing {

namespace detail {

inline constexpr char b64url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

inline constexpr unsigned char b64_invalid = 0xFF;

// Byte -> 6-bit value, b64_invalid for anything else (including '=' which is handled apart).
inline constexpr std::array<unsigned char, 256> b64_decode_table = [] {
  std::array<unsigned char, 256> t{};
  for (auto& v : t) v = b64_invalid;
  for (unsigned char i = 0; i < 64; ++i) t[static_cast<unsigned char>(b64url_alphabet[i])] = i;
  t[static_cast<unsigned char>('+')] = 62;
  t[static_cast<unsigned char>('/')] = 63;
  return t;
}();

}  // namespace detail

/// The length of b64_encode's output for `n` bytes.
[[nodiscard]] constexpr std::size_t b64_encoded_size(std::size_t n) noexcept {
  return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

/// Writes the URL-safe base64 of `bytes`, without padding, at `out` (b64_encoded_size(bytes.size())
/// characters; no terminator): for callers that encode into a buffer they already have.
inline void b64_encode_to(crypto::ByteView bytes, char* out) noexcept {
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    *out++ = detail::b64url_alphabet[(v >> 18) & 63];
    *out++ = detail::b64url_alphabet[(v >> 12) & 63];
    *out++ = detail::b64url_alphabet[(v >> 6) & 63];
    *out++ = detail::b64url_alphabet[v & 63];
  }
  if (const std::size_t rest = bytes.size() - i; rest == 1) {
    const std::uint32_t v = std::uint32_t{bytes[i]} << 16;
    *out++ = detail::b64url_alphabet[(v >> 18) & 63];
    *out++ = detail::b64url_alphabet[(v >> 12) & 63];
  } else if (rest == 2) {
    const std::uint32_t v = (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8);
    *out++ = detail::b64url_alphabet[(v >> 18) & 63];
    *out++ = detail::b64url_alphabet[(v >> 12) & 63];
    *out++ = detail::b64url_alphabet[(v >> 6) & 63];
  }
}

/// URL-safe base64 of `bytes`, without `=` padding (Django's b64_encode).
[[nodiscard]] inline std::string b64_encode(crypto::ByteView bytes) {
  std::string out(b64_encoded_size(bytes.size()), '\0');
  b64_encode_to(bytes, out.data());
  return out;
}

[[nodiscard]] inline std::string b64_encode(std::string_view bytes) { return b64_encode(crypto::as_bytes(bytes)); }

/// Decodes `text` exactly as Django's b64_decode does (see the header comment for the rules).
/// Returns the bytes; throws MalformedSignedData where Django raises binascii.Error.
[[nodiscard]] inline std::string b64_decode(std::string_view text) {
  std::string out;
  out.resize(text.size() / 4 * 3 + 3);
  // Fast path: whole groups of four alphabet characters (what Django and we write) decode to
  // three bytes each, written in place. It stops at the first group with anything else, where
  // the exact rules below take over in the same state (at a group boundary, no `=` seen).
  std::size_t i = 0;
  std::size_t n = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  for (; i + 4 <= text.size(); i += 4) {
    const unsigned a = detail::b64_decode_table[in[i]], b = detail::b64_decode_table[in[i + 1]];
    const unsigned c = detail::b64_decode_table[in[i + 2]], d = detail::b64_decode_table[in[i + 3]];
    if (((a | b | c | d) & 0xC0u) != 0) break;  // b64_invalid is 0xFF; the alphabet is below 64
    const std::uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
    out[n++] = static_cast<char>(static_cast<unsigned char>(v >> 16));
    out[n++] = static_cast<char>(static_cast<unsigned char>(v >> 8));
    out[n++] = static_cast<char>(static_cast<unsigned char>(v));
  }
  out.resize(n);
  unsigned group = 0;  // characters seen in the current 4-character group (0..3)
  unsigned pads = 0;   // '=' counted toward completing the current group
  std::uint32_t bits = 0;

  // Django appends (-len % 4) '=' to the raw text; feed them after the text.
  const std::size_t appended = (4 - text.size() % 4) % 4;
  const std::size_t total = text.size() + appended;
  for (; i < total; ++i) {
    const char c = i < text.size() ? text[i] : '=';
    if (c == '=') {
      if (group >= 2 && group + ++pads >= 4) return out;  // the group is complete: stop here
      continue;
    }
    const unsigned char v = detail::b64_decode_table[static_cast<unsigned char>(c)];
    if (v == detail::b64_invalid) continue;
    pads = 0;
    switch (group) {
      case 0:
        bits = v;
        group = 1;
        break;
      case 1:
        out += static_cast<char>(static_cast<unsigned char>((bits << 2) | (v >> 4)));
        bits = v & 0x0Fu;
        group = 2;
        break;
      case 2:
        out += static_cast<char>(static_cast<unsigned char>((bits << 4) | (v >> 2)));
        bits = v & 0x03u;
        group = 3;
        break;
      default:
        out += static_cast<char>(static_cast<unsigned char>((bits << 6) | v));
        bits = 0;
        group = 0;
        break;
    }
  }
  if (group == 1)
    throw MalformedSignedData("invalid base64: the number of data characters is 1 more than a multiple of 4");
  if (group != 0) throw MalformedSignedData("invalid base64: incorrect padding");
  return out;
}

}  // namespace sessions::signing
