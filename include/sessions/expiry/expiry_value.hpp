#pragma once
// Django's per-session expiry, the reserved `_session_expiry` key: absent or null (use the
// setting), an integer (seconds of inactivity; 0 = when the browser closes) or an ISO-8601 date
// (an absolute instant, as Django 4.1+ stores set_expiry(datetime or timedelta)).

#include <chrono>
#include <cstdint>
#include <string_view>
#include <variant>

#include "../clock.hpp"
#include "../data.hpp"
#include "arithmetic.hpp"
#include "iso8601.hpp"

namespace sessions {

inline constexpr std::string_view kSessionExpiryKey = "_session_expiry";

/// A value of `_session_expiry`, or of the `expiry` argument of get_expiry_age/get_expiry_date.
/// std::monostate is Django's None.
using ExpiryValue = std::variant<std::monostate, std::int64_t, TimePoint>;

/// The `_session_expiry` of some session data. A value that is neither a number nor a date Django
/// could parse counts as absent (Django itself would fail on it).
[[nodiscard]] inline ExpiryValue expiry_value_of(const Data& data) {
  const auto it = data.find(kSessionExpiryKey);
  if (it == data.end()) return std::monostate{};
  // Saturating: a stored 1e300 or 2^64-1 is a long expiry, never a float-to-integer overflow or -1.
  if (it->is_number()) {
    if (const auto seconds = stored_seconds(*it)) return *seconds;
    return std::monostate{};
  }
  if (it->is_string()) {
    if (const auto date = iso8601::parse(it->get_ref<const std::string&>())) return *date;
  }
  return std::monostate{};
}

/// Django's get_expiry_age(modification, expiry): a falsy expiry gives the cookie age, seconds are
/// returned as they are, and a date gives the whole seconds from `modification` to it, floored;
/// all within +-kMaxExpiryAge (see arithmetic.hpp; Django would raise OverflowError instead).
[[nodiscard]] inline std::chrono::seconds django_expiry_age(const ExpiryValue& expiry, std::chrono::seconds cookie_age,
                                                            TimePoint modification) {
  if (const auto* secs = std::get_if<std::int64_t>(&expiry)) {
    return *secs == 0 ? clamp_expiry_age(cookie_age) : clamp_expiry_age(*secs);
  }
  if (const auto* date = std::get_if<TimePoint>(&expiry)) return seconds_until(*date, modification);
  return clamp_expiry_age(cookie_age);
}

/// Django's get_expiry_date(modification, expiry): a date is returned as it is; otherwise
/// modification + (seconds or the cookie age).
[[nodiscard]] inline TimePoint django_expiry_date(const ExpiryValue& expiry, std::chrono::seconds cookie_age,
                                                  TimePoint modification) {
  if (const auto* date = std::get_if<TimePoint>(&expiry)) return *date;
  return add_saturating(modification, django_expiry_age(expiry, cookie_age, modification));
}

}  // namespace sessions
