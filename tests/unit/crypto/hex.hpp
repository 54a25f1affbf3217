#pragma once
// Hex helpers for the crypto known-answer tests.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace crypto_test {

inline std::string to_hex(std::span<const unsigned char> bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const unsigned char b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 0x0F];
  }
  return out;
}

inline std::vector<unsigned char> from_hex(std::string_view hex) {
  const auto nibble = [](char c) -> unsigned {
    if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
    return static_cast<unsigned>(c - 'a' + 10);
  };
  std::vector<unsigned char> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<unsigned char>((nibble(hex[i]) << 4) | nibble(hex[i + 1])));
  }
  return out;
}

inline std::vector<unsigned char> repeat(unsigned char byte, std::size_t n) {
  return std::vector<unsigned char>(n, byte);
}

}  // namespace crypto_test
