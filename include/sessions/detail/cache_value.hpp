#pragma once
// What the cache stores (RedisStore, MemcachedStore) keep under a session's cache key: the record's
// expiry instant, then the payload.
//
//   value = 19 decimal digits (nanoseconds since the Unix epoch, zero-padded) ':' payload
//   e.g.    "1700000060000000000:{\"cart\":[1,2]}"
//
// The server expires the entry by itself (TTL), but the session layer and the tests read "now"
// from an injectable sessions::Clock (a ManualClock in tests, whose time the server does not
// know). The instant stored with the value is the authority: a record past it is absent even if
// the server still holds it; the TTL the server gets is computed from the same instant, so with
// the system clock both agree (the server's copy disappears a network delay later, never earlier).
// Fixed width and decimal, so a Lua script can read it, and readable with redis-cli.
//
// Django's cache backend stores a pickled dict under the same key name; such a value (or anything
// else without this header) is not a record of ours and reads as absent.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "../clock.hpp"

namespace sessions::detail::cache_value {

/// Django's cache key prefix for the `cache` session backend under the default KEY_FUNCTION
/// (KEY_PREFIX "", VERSION 1): ":1:" + "django.contrib.sessions.cache", then the session key.
inline constexpr std::string_view kDjangoCachePrefix = ":1:django.contrib.sessions.cache";

inline constexpr std::size_t kDigits = 19;  // every non-negative int64 fits
inline constexpr std::size_t kHeaderSize = kDigits + 1;
inline constexpr char kSeparator = ':';

/// The longest TTL handed to a server (30 years): longer expiries are kept that long by the server
/// (the stored instant still says when the record ends), which keeps every server's arithmetic
/// (Redis: now + PX; memcached: a 32-bit absolute time) far from overflow.
inline constexpr std::chrono::milliseconds kMaxTtl{30LL * 365 * 24 * 3600 * 1000};

/// `t` as nanoseconds since the epoch, clamped to [0, int64 max].
[[nodiscard]] inline std::int64_t to_nanos(TimePoint t) noexcept {
  using std::chrono::nanoseconds;
  const TimePoint::duration d = t.time_since_epoch();
  if (d <= TimePoint::duration::zero()) return 0;
  constexpr auto kMax = std::chrono::duration_cast<TimePoint::duration>(nanoseconds::max());
  if (d >= kMax) return std::numeric_limits<std::int64_t>::max();
  return std::chrono::duration_cast<nanoseconds>(d).count();
}

[[nodiscard]] inline TimePoint from_nanos(std::int64_t ns) noexcept {
  return TimePoint{std::chrono::duration_cast<TimePoint::duration>(std::chrono::nanoseconds{ns})};
}

/// The 20-byte header for `expires_at`.
[[nodiscard]] inline std::string header(TimePoint expires_at) {
  std::string out(kHeaderSize, '0');
  auto v = static_cast<std::uint64_t>(to_nanos(expires_at));
  for (std::size_t i = kDigits; i-- > 0;) {
    out[i] = static_cast<char>('0' + static_cast<int>(v % 10));
    v /= 10;
  }
  out[kDigits] = kSeparator;
  return out;
}

/// The whole value to store.
[[nodiscard]] inline std::string encode(TimePoint expires_at, std::string_view payload) {
  std::string out = header(expires_at);
  out.append(payload);
  return out;
}

/// The instant in a header (the first 20 bytes of `value`); nullopt when `value` does not start
/// with one.
[[nodiscard]] inline std::optional<TimePoint> read_header(std::string_view value) noexcept {
  if (value.size() < kHeaderSize || value[kDigits] != kSeparator) return std::nullopt;
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < kDigits; ++i) {
    const char c = value[i];
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
  return from_nanos(static_cast<std::int64_t>(v));
}

struct Decoded {
  TimePoint expires_at;
  std::string_view payload;
};

[[nodiscard]] inline std::optional<Decoded> decode(std::string_view value) noexcept {
  const std::optional<TimePoint> expires_at = read_header(value);
  if (!expires_at) return std::nullopt;
  return Decoded{*expires_at, value.substr(kHeaderSize)};
}

/// The server TTL for a record ending at `expires_at`, seen at `now`: rounded up to whole
/// milliseconds, at least 1 ms, at most kMaxTtl; zero when the record has already ended (then
/// nothing must be stored).
[[nodiscard]] inline std::chrono::milliseconds ttl(TimePoint expires_at, TimePoint now) noexcept {
  if (expires_at <= now) return std::chrono::milliseconds{0};
  const std::int64_t a = to_nanos(expires_at);
  const std::int64_t b = to_nanos(now);
  if (a <= b) return std::chrono::milliseconds{1};  // both clamped (e.g. now before 1970)
  const std::int64_t diff = a - b;                  // both non-negative: no overflow
  std::int64_t ms = diff / 1'000'000 + (diff % 1'000'000 != 0 ? 1 : 0);
  ms = std::clamp<std::int64_t>(ms, 1, kMaxTtl.count());
  return std::chrono::milliseconds{ms};
}

}  // namespace sessions::detail::cache_value
