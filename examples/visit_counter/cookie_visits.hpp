#pragma once
// /cookies: the tutorial's other way to remember a visitor, plain cookies instead of a session.
//
//   visits         how many days this browser came (counted at most once a day)
//   last_visit     when the last counted visit was (Unix seconds)
//   signed_visits  the same count, signed as Django's set_signed_cookie(..., salt="visit_counter")
//                  does; the client can read it but not change it: a tampered value resets the
//                  signed count to 1, while the plain count believes whatever the client sends.

#include <sessions/sessions.hpp>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace visit_counter {

inline constexpr std::string_view kSignedVisitsSalt = "visit_counter";

struct CookieVisits {
  std::int64_t visits = 1;
  std::int64_t signed_visits = 1;
  /// This request was counted (first visit, or the last counted one is a day old).
  bool counted = false;
  /// The signed cookie came back altered (or signed with another key).
  bool signed_tampered = false;
  /// Set-Cookie values for the response.
  std::vector<std::string> set_cookies{};
};

[[nodiscard]] inline std::optional<std::int64_t> parse_count(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

[[nodiscard]] inline std::string plain_cookie(std::string name, std::string value) {
  sessions::cookie::SetCookie c;
  c.name = std::move(name);
  c.value = std::move(value);
  c.max_age = std::chrono::seconds{365 * 24 * 3600};
  c.samesite = sessions::SameSite::lax;
  return sessions::cookie::build_set_cookie(c, sessions::Clock{}.now());
}

/// The counts for a request with this Cookie header at `now`, and the cookies to send back.
[[nodiscard]] inline CookieVisits count_cookie_visits(std::string_view cookie_header, const std::string& secret,
                                                      sessions::TimePoint now) {
  using sessions::cookie::find_cookie;
  const auto cookie = [&](std::string_view name) -> std::optional<std::string_view> {
    return find_cookie(cookie_header, name);
  };
  const std::int64_t now_seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();

  CookieVisits out;
  std::optional<std::int64_t> last_visit;
  if (const auto text = cookie("last_visit")) last_visit = parse_count(*text);
  out.counted = !last_visit || now_seconds - *last_visit >= 24 * 3600 || now_seconds < *last_visit;

  const auto bump = [&](std::optional<std::int64_t> previous) {
    const std::int64_t count = previous.value_or(0) + (out.counted ? 1 : 0);
    return count < 1 ? std::int64_t{1} : count;
  };

  std::optional<std::int64_t> plain;
  if (const auto text = cookie("visits")) plain = parse_count(*text);
  out.visits = bump(plain);

  if (const auto text = cookie("signed_visits")) {
    const std::optional<std::string> value = sessions::signing::try_unsign_cookie_value(
        "signed_visits", *text, secret, {.salt = kSignedVisitsSalt});
    const std::optional<std::int64_t> previous = value ? parse_count(*value) : std::nullopt;
    out.signed_tampered = !previous;
    out.signed_visits = out.signed_tampered ? 1 : bump(previous);
  } else {
    out.signed_visits = bump(std::nullopt);
  }

  out.set_cookies.push_back(plain_cookie("visits", std::to_string(out.visits)));
  out.set_cookies.push_back(plain_cookie(
      "signed_visits", sessions::signing::sign_cookie_value("signed_visits", std::to_string(out.signed_visits), secret,
                                                            kSignedVisitsSalt, now)));
  if (out.counted) out.set_cookies.push_back(plain_cookie("last_visit", std::to_string(now_seconds)));
  return out;
}

}  // namespace visit_counter
