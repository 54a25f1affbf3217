#pragma once
// Saturating arithmetic for expiry ages and instants: the one place where seconds from session
// data become instants and back.
//
// Why: `_session_expiry` and `_session_created_at` are session data, and session data is
// attacker-influenced (a site may let a client set its own expiry; a store hands back whatever it
// holds). TimePoint counts nanoseconds in 64 bits (years 1677 to 2262), so `now + seconds{x}` for
// a large x, a float like 1e300 cast to an integer, or a date in year 9999 would overflow:
// undefined behaviour, whose visible effect was a record created already expired. Django raises
// OverflowError in those cases; we saturate instead, so a huge expiry means "as long as we allow"
// and never an error page or an already-dead session:
//  - an age (seconds) is kept within +-kMaxExpiryAge (100 years: longer than any cookie or record
//    is kept in practice, and far enough from TimePoint's limits that `now + age` is exact for any
//    clock before the year 2162);
//  - an instant is kept within [TimePoint::min(), TimePoint::max()].

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>
#include <utility>

#include "../clock.hpp"
#include "../data.hpp"

namespace sessions {

/// The longest session age computed with, either way: 100 Julian years.
inline constexpr std::chrono::seconds kMaxExpiryAge{100LL * 31'557'600};

/// `age` within [-kMaxExpiryAge, kMaxExpiryAge].
[[nodiscard]] constexpr std::chrono::seconds clamp_expiry_age(std::chrono::seconds age) noexcept {
  return std::clamp(age, -kMaxExpiryAge, kMaxExpiryAge);
}

/// Any integer as an age in seconds, clamped (an unsigned 2^64-1 is a long age, never -1).
template <class Int>
requires std::is_integral_v<Int> &&(!std::is_same_v<Int, bool>) [[nodiscard]] constexpr std::chrono::seconds
    clamp_expiry_age(Int seconds) noexcept {
  if (std::cmp_greater(seconds, kMaxExpiryAge.count())) return kMaxExpiryAge;
  if (std::cmp_less(seconds, -kMaxExpiryAge.count())) return -kMaxExpiryAge;
  return std::chrono::seconds{static_cast<std::int64_t>(seconds)};
}

/// Any integer as an int64, saturating (what set_expiry(seconds) stores).
template <class Int>
requires std::is_integral_v<Int> &&(!std::is_same_v<Int, bool>) [[nodiscard]] constexpr std::int64_t
    saturate_int64(Int v) noexcept {
  if (std::cmp_greater(v, std::numeric_limits<std::int64_t>::max())) return std::numeric_limits<std::int64_t>::max();
  if (std::cmp_less(v, std::numeric_limits<std::int64_t>::min())) return std::numeric_limits<std::int64_t>::min();
  return static_cast<std::int64_t>(v);
}

/// Any duration as TimePoint's duration, clamped to +-kMaxExpiryAge (a NaN is zero).
template <class Rep, class Period>
[[nodiscard]] constexpr TimePoint::duration clamp_expiry_duration(std::chrono::duration<Rep, Period> d) noexcept {
  using Ticks = TimePoint::duration;
  const double s = std::chrono::duration<double>(d).count();
  if (s != s) return Ticks::zero();
  if (s >= static_cast<double>(kMaxExpiryAge.count())) return std::chrono::duration_cast<Ticks>(kMaxExpiryAge);
  if (s <= -static_cast<double>(kMaxExpiryAge.count())) return std::chrono::duration_cast<Ticks>(-kMaxExpiryAge);
  return std::chrono::duration_cast<Ticks>(d);  // within +-100 years: no overflow
}

/// `t + d`, with `d` clamped as above and the result saturating at TimePoint's limits.
template <class Rep, class Period>
[[nodiscard]] constexpr TimePoint add_saturating(TimePoint t, std::chrono::duration<Rep, Period> d) noexcept {
  const TimePoint::duration step = clamp_expiry_duration(d);
  if (step > TimePoint::duration::zero() && t > TimePoint::max() - step) return TimePoint::max();
  if (step < TimePoint::duration::zero() && t < TimePoint::min() - step) return TimePoint::min();
  return t + step;
}

/// Whole seconds from `from` to `to`, floored (Django's get_expiry_age of a date), clamped.
[[nodiscard]] constexpr std::chrono::seconds seconds_until(TimePoint to, TimePoint from) noexcept {
  const TimePoint::rep a = to.time_since_epoch().count();
  const TimePoint::rep b = from.time_since_epoch().count();
  constexpr TimePoint::rep kMax = std::numeric_limits<TimePoint::rep>::max();
  constexpr TimePoint::rep kMin = std::numeric_limits<TimePoint::rep>::min();
  if (b < 0 && a > kMax + b) return kMaxExpiryAge;  // a - b would pass the top
  if (b > 0 && a < kMin + b) return -kMaxExpiryAge;
  return clamp_expiry_age(std::chrono::floor<std::chrono::seconds>(TimePoint::duration{a - b}));
}

/// The seconds TimePoint can hold either way (about 292 years around 1970).
inline constexpr std::int64_t kTimePointSecondsLimit =
    std::chrono::duration_cast<std::chrono::seconds>(TimePoint::duration::max()).count();

/// Unix seconds as an instant, saturating at TimePoint's limits.
[[nodiscard]] constexpr TimePoint time_from_unix_seconds(std::int64_t seconds) noexcept {
  if (seconds > kTimePointSecondsLimit) return TimePoint::max();
  if (seconds < -kTimePointSecondsLimit) return TimePoint::min();
  return TimePoint{std::chrono::seconds{seconds}};
}

/// A JSON number of seconds (integer, unsigned or float: an age or Unix seconds) as an int64
/// within +-kTimePointSecondsLimit, truncated toward zero as Python's int() would; nullopt for
/// anything else, NaN included. Never a float-to-integer overflow, never 2^64-1 read as -1.
[[nodiscard]] inline std::optional<std::int64_t> stored_seconds(const Data& value) noexcept {
  constexpr std::int64_t kLimit = kTimePointSecondsLimit;
  if (value.is_number_unsigned()) {
    const auto v = value.get<std::uint64_t>();
    return v > static_cast<std::uint64_t>(kLimit) ? kLimit : static_cast<std::int64_t>(v);
  }
  if (value.is_number_integer()) return std::clamp<std::int64_t>(value.get<std::int64_t>(), -kLimit, kLimit);
  if (value.is_number_float()) {
    const double d = value.get<double>();
    if (std::isnan(d)) return std::nullopt;
    return static_cast<std::int64_t>(std::clamp(d, -static_cast<double>(kLimit), static_cast<double>(kLimit)));
  }
  return std::nullopt;
}

}  // namespace sessions
