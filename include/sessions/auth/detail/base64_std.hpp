#pragma once
// Standard base64 with padding (RFC 4648 section 4), as Python's base64.b64encode writes it:
// Django's password hashes carry their derived key in this alphabet, unlike signing's URL-safe,
// unpadded one.

#include <cstddef>
#include <string>

#include "../../crypto/bytes.hpp"

namespace sessions::auth::detail {

[[nodiscard]] inline std::string base64_std_encode(crypto::ByteView bytes) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned n = (unsigned{bytes[i]} << 16) | (unsigned{bytes[i + 1]} << 8) | bytes[i + 2];
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    out += alphabet[n & 63];
  }
  const std::size_t left = bytes.size() - i;
  if (left > 0) {
    const unsigned n = (unsigned{bytes[i]} << 16) | (left == 2 ? unsigned{bytes[i + 1]} << 8 : 0U);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += left == 2 ? alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace sessions::auth::detail
