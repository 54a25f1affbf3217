#pragma once
// HTTP dates in the one form RFC 9110 §5.6.7 lets a sender write, IMF-fixdate:
// `Sun, 06 Nov 1994 08:49:37 GMT`. This is what a cookie's Expires attribute carries and what
// Django's http_date() writes. Written by hand with the C++20 calendar types: libstdc++ 12 has no
// <format>, and strftime would depend on the C locale and on time_t's range.

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "../clock.hpp"

namespace sessions::cookie {

namespace detail {

// English names whatever the locale, as the grammar requires. Index 0 is Sunday, as in
// std::chrono::weekday::c_encoding().
inline constexpr std::array<std::string_view, 7> kWeekdayNames{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
inline constexpr std::array<std::string_view, 12> kMonthNames{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// The instants IMF-fixdate can spell: its year has exactly four digits.
inline constexpr std::chrono::sys_days kFirstHttpDay{std::chrono::year{0} / std::chrono::January / 1};
inline constexpr std::chrono::sys_days kLastHttpDay{std::chrono::year{9999} / std::chrono::December / 31};

inline void append_digits(std::string& out, unsigned value, std::size_t width) {
  std::array<char, 4> digits{};
  for (std::size_t i = width; i-- > 0;) {
    digits[i] = static_cast<char>('0' + value % 10U);
    value /= 10U;
  }
  out.append(digits.data(), width);
}

// The number in `text` if it is exactly `text.size()` ASCII digits.
[[nodiscard]] constexpr std::optional<unsigned> parse_digits(std::string_view text) noexcept {
  unsigned value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10U + static_cast<unsigned>(c - '0');
  }
  return value;
}

template <std::size_t N>
[[nodiscard]] constexpr std::optional<unsigned> index_of(const std::array<std::string_view, N>& names,
                                                         std::string_view name) noexcept {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<unsigned>(i);
  }
  return std::nullopt;
}

}  // namespace detail

namespace detail {

// `secs` (within years 0000-9999) as IMF-fixdate.
[[nodiscard]] inline std::array<char, 29> format_http_date(std::chrono::sys_seconds secs) {
  using namespace std::chrono;
  const sys_days day = floor<days>(secs);
  const year_month_day ymd{day};
  const hh_mm_ss<seconds> time{secs - day};
  std::string out;
  out.reserve(29);
  out += detail::kWeekdayNames[weekday{day}.c_encoding()];
  out += ", ";
  detail::append_digits(out, static_cast<unsigned>(ymd.day()), 2);
  out += ' ';
  out += detail::kMonthNames[static_cast<unsigned>(ymd.month()) - 1U];
  out += ' ';
  detail::append_digits(out, static_cast<unsigned>(static_cast<int>(ymd.year())), 4);
  out += ' ';
  detail::append_digits(out, static_cast<unsigned>(time.hours().count()), 2);
  out += ':';
  detail::append_digits(out, static_cast<unsigned>(time.minutes().count()), 2);
  out += ':';
  detail::append_digits(out, static_cast<unsigned>(time.seconds().count()), 2);
  out += " GMT";
  std::array<char, 29> text{};
  out.copy(text.data(), text.size());
  return text;
}

}  // namespace detail

/// Appends `t` as IMF-fixdate (see http_date()) to `out`. Every response of the same second
/// carries the same Expires date, so each thread keeps the last one it wrote: the calendar
/// arithmetic and a temporary string cost about 4% of a request through the middleware.
inline void append_http_date(std::string& out, TimePoint t) {
  using namespace std::chrono;
  // Clamp in sys_seconds, which every TimePoint converts to without overflow.
  sys_seconds secs = floor<seconds>(t);
  const sys_seconds first{detail::kFirstHttpDay};
  const sys_seconds last = sys_seconds{detail::kLastHttpDay} + hours{23} + minutes{59} + seconds{59};
  if (secs < first) secs = first;
  if (secs > last) secs = last;
  struct Last {
    sys_seconds secs;
    std::array<char, 29> text;
    bool valid = false;
  };
  thread_local Last cached{};
  if (!cached.valid || cached.secs != secs) {
    cached.text = detail::format_http_date(secs);
    cached.secs = secs;
    cached.valid = true;
  }
  out.append(cached.text.data(), cached.text.size());
}

/// `t` as IMF-fixdate, e.g. `Thu, 01 Jan 1970 00:00:00 GMT`. Sub-second parts are floored away
/// (Django's int(time.time()) semantics). An instant outside years 0000-9999, which the format
/// cannot spell, is clamped to the nearest one it can (only reachable with a wide-range clock such
/// as libc++'s microsecond system_clock).
[[nodiscard]] inline std::string http_date(TimePoint t) {
  std::string out;
  out.reserve(29);
  append_http_date(out, t);
  return out;
}

/// The instant an IMF-fixdate names, or nothing if `text` is not one exactly: the fixed 29-byte
/// layout, English names, a real calendar date whose weekday is the one written, hours 00-23,
/// minutes and seconds 00-59 (system_clock has no leap seconds), and an instant TimePoint can hold.
/// The obsolete RFC 850 and asctime forms are not accepted: nothing in this library writes them.
[[nodiscard]] inline std::optional<TimePoint> parse_http_date(std::string_view text) {
  using namespace std::chrono;
  // "Sun, 06 Nov 1994 08:49:37 GMT"
  //  0123456789012345678901234567 8
  if (text.size() != 29) return std::nullopt;
  if (text.substr(3, 2) != ", " || text[7] != ' ' || text[11] != ' ' || text[16] != ' ' || text[19] != ':' ||
      text[22] != ':' || text.substr(25) != " GMT") {
    return std::nullopt;
  }
  const auto wday = detail::index_of(detail::kWeekdayNames, text.substr(0, 3));
  const auto mday = detail::parse_digits(text.substr(5, 2));
  const auto mon = detail::index_of(detail::kMonthNames, text.substr(8, 3));
  const auto yr = detail::parse_digits(text.substr(12, 4));
  const auto hr = detail::parse_digits(text.substr(17, 2));
  const auto mi = detail::parse_digits(text.substr(20, 2));
  const auto se = detail::parse_digits(text.substr(23, 2));
  if (!wday || !mday || !mon || !yr || !hr || !mi || !se) return std::nullopt;
  if (*hr > 23 || *mi > 59 || *se > 59) return std::nullopt;

  const year_month_day ymd{year{static_cast<int>(*yr)}, month{*mon + 1U}, day{*mday}};
  if (!ymd.ok()) return std::nullopt;  // 31 Feb, 29 Feb 2023, day 00, ...
  const sys_days date{ymd};
  if (weekday{date}.c_encoding() != *wday) return std::nullopt;

  const sys_seconds secs = date + hours{*hr} + minutes{*mi} + seconds{*se};
  // TimePoint may be narrower than years 0000-9999 (libstdc++: nanoseconds, years 1677-2262);
  // converting an instant outside it would overflow.
  // ceil/floor keep the bounds themselves inside TimePoint's range.
  if (secs < ceil<seconds>(TimePoint::min()) || secs > floor<seconds>(TimePoint::max())) return std::nullopt;
  return time_point_cast<TimePoint::duration>(secs);
}

}  // namespace sessions::cookie
