#pragma once
// Eight bytes of a string at a time, for the scans every request makes (the Cookie header's
// control bytes, the JSON size of a value store's strings): each test below is exact as "some
// byte of the word is ...", which is all the scans ask before looking at the bytes one by one.

#include <cstdint>
#include <cstring>

namespace sessions::detail::byte_word {

inline constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
inline constexpr std::uint64_t kHighs = 0x8080808080808080ULL;

/// The eight bytes at `p`, in memory order.
[[nodiscard]] inline std::uint64_t load(const char* p) noexcept {
  std::uint64_t w = 0;
  std::memcpy(&w, p, sizeof w);
  return w;
}

/// Some byte of `w` is below `n` (n <= 0x80).
[[nodiscard]] constexpr bool any_below(std::uint64_t w, unsigned char n) noexcept {
  return ((w - kOnes * n) & ~w & kHighs) != 0;
}

/// Some byte of `w` equals `c`.
[[nodiscard]] constexpr bool any_equal(std::uint64_t w, unsigned char c) noexcept {
  const std::uint64_t x = w ^ (kOnes * c);
  return ((x - kOnes) & ~x & kHighs) != 0;
}

}  // namespace sessions::detail::byte_word
