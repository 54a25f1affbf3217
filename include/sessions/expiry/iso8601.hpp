#pragma once
// ISO-8601 date-times as Django (4.1+) stores them in `_session_expiry`: Python's
// datetime.isoformat(), e.g. "2023-11-14T23:13:20.250000+00:00" (fraction omitted when zero).

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "../clock.hpp"

namespace sessions::iso8601 {

/// Python's `datetime.isoformat()` of an aware UTC datetime, microsecond precision.
[[nodiscard]] inline std::string format(TimePoint t) {
  using namespace std::chrono;
  const auto us = floor<microseconds>(t);
  const auto day = floor<days>(us);
  const year_month_day ymd{day};
  const hh_mm_ss<microseconds> hms{us - day};
  char buf[48];
  const long long micro = hms.subseconds().count();
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lld", static_cast<int>(ymd.year()),
                        static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                        static_cast<long long>(hms.hours().count()), static_cast<long long>(hms.minutes().count()),
                        static_cast<long long>(hms.seconds().count()));
  std::string out(buf, static_cast<std::size_t>(n));
  if (micro != 0) {
    n = std::snprintf(buf, sizeof buf, ".%06lld", micro);
    out.append(buf, static_cast<std::size_t>(n));
  }
  out += "+00:00";
  return out;
}

namespace detail {
inline bool take_int(std::string_view& s, std::size_t digits, int& out) {
  if (s.size() < digits) return false;
  for (std::size_t i = 0; i < digits; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  std::from_chars(s.data(), s.data() + digits, out);
  s.remove_prefix(digits);
  return true;
}
inline bool take_char(std::string_view& s, char c) {
  if (s.empty() || s.front() != c) return false;
  s.remove_prefix(1);
  return true;
}
}  // namespace detail

/// Parses what Python's `datetime.fromisoformat` accepts in the forms Django writes:
/// `YYYY-MM-DD[T ]HH:MM[:SS[.ffffff]][(+|-)HH:MM | Z]`. A value without an offset is taken as UTC
/// (Django with USE_TZ stores aware UTC values). nullopt when malformed.
[[nodiscard]] inline std::optional<TimePoint> parse(std::string_view s) {
  using namespace std::chrono;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  long long micro = 0;
  if (!detail::take_int(s, 4, y) || !detail::take_char(s, '-') || !detail::take_int(s, 2, mo) ||
      !detail::take_char(s, '-') || !detail::take_int(s, 2, d)) {
    return std::nullopt;
  }
  if (!s.empty()) {
    if (!(detail::take_char(s, 'T') || detail::take_char(s, ' '))) return std::nullopt;
    if (!detail::take_int(s, 2, h) || !detail::take_char(s, ':') || !detail::take_int(s, 2, mi)) return std::nullopt;
    if (detail::take_char(s, ':')) {
      if (!detail::take_int(s, 2, sec)) return std::nullopt;
      if (detail::take_char(s, '.')) {
        std::size_t digits = 0;
        while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
        if (digits == 0 || digits > 6) return std::nullopt;
        int frac = 0;
        std::from_chars(s.data(), s.data() + digits, frac);
        micro = frac;
        for (std::size_t i = digits; i < 6; ++i) micro *= 10;
        s.remove_prefix(digits);
      }
    }
  }
  int offset_minutes = 0;
  if (!s.empty()) {
    if (s == "Z") {
      s.remove_prefix(1);
    } else {
      const char sign = s.front();
      if (sign != '+' && sign != '-') return std::nullopt;
      s.remove_prefix(1);
      int oh = 0, om = 0;
      if (!detail::take_int(s, 2, oh) || !detail::take_char(s, ':') || !detail::take_int(s, 2, om)) return std::nullopt;
      if (oh > 23 || om > 59) return std::nullopt;
      offset_minutes = (sign == '-' ? -1 : 1) * (oh * 60 + om);
    }
  }
  if (!s.empty() || h > 23 || mi > 59 || sec > 59) return std::nullopt;
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  const auto tp = sys_days{ymd} + hours{h} + minutes{mi} + seconds{sec} + microseconds{micro} - minutes{offset_minutes};
  // Exact in microseconds for any year 0000-9999; TimePoint (nanoseconds) ends in 1677 and 2262,
  // so a date beyond is taken as the nearest instant it can hold (a cast would overflow: UB).
  if (tp >= floor<microseconds>(TimePoint::max())) return TimePoint::max();
  if (tp <= ceil<microseconds>(TimePoint::min())) return TimePoint::min();
  return time_point_cast<TimePoint::duration>(tp);
}

}  // namespace sessions::iso8601
