#pragma once
// Session keys: 32 characters of [a-z0-9] (Django's format, lower case because some file systems
// ignore case), drawn from the CSPRNG without modulo bias, and the validation every key from a
// client passes before a store sees it.

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "random.hpp"

namespace sessions {

inline constexpr std::string_view kSessionKeyChars = "abcdefghijklmnopqrstuvwxyz0123456789";
inline constexpr std::size_t kSessionKeyLength = 32;
/// Django's lower bound for a usable key.
inline constexpr std::size_t kMinSessionKeyLength = 8;
/// Django's db column is varchar(40); nothing longer can name a stored session.
inline constexpr std::size_t kMaxSessionKeyLength = 40;

/// True when `key` can name a server-side session: Django's rule (at least 8 characters) plus our
/// alphabet [a-z0-9] and the 40-character bound of Django's table. Anything else never reaches a
/// file path, an SQL statement or a cache key.
[[nodiscard]] constexpr bool is_valid_session_key(std::string_view key) noexcept {
  if (key.size() < kMinSessionKeyLength || key.size() > kMaxSessionKeyLength) return false;
  for (const char c : key) {
    const bool lower = c >= 'a' && c <= 'z';
    const bool digit = c >= '0' && c <= '9';
    if (!lower && !digit) return false;
  }
  return true;
}

/// A new random session key. Rejection sampling: a byte is used only if it is below 252 (the
/// largest multiple of 36 that fits a byte), so every character is equally likely.
[[nodiscard]] inline std::string generate_session_key(const RandomSource& random = {}) {
  // Each byte's character (b % 36), or 0 for the four bytes rejected: one table lookup per byte.
  static constexpr auto kCharOf = [] {
    constexpr unsigned kAlphabet = static_cast<unsigned>(kSessionKeyChars.size());
    constexpr unsigned kLimit = 256 - (256 % kAlphabet);  // 252
    std::array<char, 256> table{};
    for (unsigned b = 0; b < kLimit; ++b) table[b] = kSessionKeyChars[b % kAlphabet];
    return table;
  }();
  // Built in a local array and made a string once (a push_back per character cost a third of a
  // new session's instructions).
  std::array<char, kSessionKeyLength> key{};
  std::size_t length = 0;
  // 48 bytes give 32 usable ones with overwhelming probability (each byte is rejected with
  // probability 4/256); the loop draws more in the rare case they do not.
  std::array<unsigned char, 48> buffer{};
  while (length < kSessionKeyLength) {
    random.fill(buffer);
    for (const unsigned char b : buffer) {
      const char c = kCharOf[b];
      if (c == 0) continue;
      key[length++] = c;
      if (length == kSessionKeyLength) break;
    }
  }
  return std::string(key.data(), key.size());
}

}  // namespace sessions
