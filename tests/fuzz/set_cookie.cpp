// Fuzz target: Set-Cookie building from arbitrary attribute values (cookie/set_cookie.hpp).
//
// Input: name, value, Domain, Path, flags, Max-Age, Expires and "now", all from the fuzzer.
// Invariants: build_set_cookie either throws CookieError (CookieTooLarge included) or returns a
// header that
//   - is printable ASCII only (no CR, LF, NUL or other control byte: no header splitting);
//   - has exactly one `;` per attribute written (nothing injected through a name, value, Domain
//     or Path) and at most kMaxSetCookieBytes bytes;
//   - re-parses (as a browser's first name=value pair) to the same name and value;
//   - carries Max-Age within [0, 400 days] and an Expires that is an IMF-fixdate of the capped
//     instant.
// It refuses exactly what an independent statement of the rules refuses (apart from the size
// limit), and delete_cookie_value obeys the same rules.

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sessions/cookie/cookie.hpp>
#include <sessions/errors.hpp>

#include "fuzz_support.hpp"

namespace {

using sessions::SameSite;
using sessions::TimePoint;
using sessions::cookie::SetCookie;

// The rules again, written from RFC 6265/6265bis rather than from the implementation.
bool token_ok(std::string_view s) {
  if (s.empty()) return false;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7F) return false;
    if (std::string_view{"()<>@,;:\\\"/[]?={}"}.find(ch) != std::string_view::npos) return false;
  }
  return true;
}
bool value_ok(std::string_view s) {
  if (s == "\"\"") return true;
  return std::all_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c > 0x20 && c < 0x7F && ch != '"' && ch != ',' && ch != ';' && ch != '\\';
  });
}
bool domain_ok(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
  });
}
bool path_ok(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c >= 0x20 && c < 0x7F && ch != ';';
  });
}
bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(s[i]) != lower(prefix[i])) return false;
  }
  return true;
}
bool acceptable(const SetCookie& c) {
  const std::string_view domain = c.domain ? std::string_view{*c.domain} : std::string_view{};
  if (!token_ok(c.name) || !value_ok(c.value) || !domain_ok(domain) || !path_ok(c.path)) return false;
  if (starts_with_ci(c.name, "__secure-") && !c.secure) return false;
  if (starts_with_ci(c.name, "__host-") && (!c.secure || !domain.empty() || c.path != "/")) return false;
  if ((c.samesite == SameSite::none || c.partitioned) && !c.secure) return false;
  return true;
}

std::size_t expected_attributes(const SetCookie& c) {
  return static_cast<std::size_t>((c.domain && !c.domain->empty()) + (c.expires || c.max_age) + c.httponly +
                                  c.max_age.has_value() + !c.path.empty() + (c.samesite != SameSite::omit) + c.secure +
                                  c.partitioned);
}

std::vector<std::string_view> split_attributes(std::string_view header) {
  std::vector<std::string_view> parts;
  while (true) {
    const std::size_t at = header.find("; ");
    parts.push_back(header.substr(0, at));
    if (at == std::string_view::npos) return parts;
    header.remove_prefix(at + 2);
  }
}

// Every header built must have these properties, whatever the input.
void check_header(const SetCookie& c, TimePoint now, const std::string& header) {
  using namespace std::chrono;
  FUZZ_CHECK(header.size() <= sessions::cookie::kMaxSetCookieBytes);
  for (const char ch : header) {
    const auto b = static_cast<unsigned char>(ch);
    FUZZ_CHECK_MSG(b >= 0x20 && b < 0x7F, sessions_fuzz::shown(header));
  }
  FUZZ_CHECK_MSG(static_cast<std::size_t>(std::count(header.begin(), header.end(), ';')) == expected_attributes(c),
                 sessions_fuzz::shown(header));
  FUZZ_CHECK(header.starts_with(c.name + "=" + c.value));

  // A browser reads the first pair as the cookie.
  const auto pairs = sessions::cookie::parse_cookie_header(header, header.size() + 1, 1);
  FUZZ_CHECK_MSG(pairs.size() == 1, sessions_fuzz::shown(header));
  FUZZ_CHECK(pairs[0].name == c.name);
  FUZZ_CHECK(pairs[0].value == (c.value == "\"\"" ? std::string_view{} : std::string_view{c.value}));

  const std::vector<std::string_view> parts = split_attributes(header);
  FUZZ_CHECK(parts.size() == expected_attributes(c) + 1);
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const std::string_view part = parts[i];
    if (part.starts_with("Max-Age=")) {
      const std::string digits(part.substr(8));
      FUZZ_CHECK(!digits.empty() && digits.size() <= 8);
      FUZZ_CHECK(std::all_of(digits.begin(), digits.end(), [](char d) { return d >= '0' && d <= '9'; }));
      const long long age = std::stoll(digits);
      FUZZ_CHECK(age == std::clamp<long long>(c.max_age->count(), 0, sessions::cookie::kMaxCookieLifetime.count()));
    } else if (part.starts_with("expires=")) {
      const auto parsed = sessions::cookie::parse_http_date(part.substr(8));
      // The cap: never later than now + 400 days (rounded down to the second when written).
      const TimePoint cap = now > TimePoint::max() - sessions::cookie::kMaxCookieLifetime
                                ? TimePoint::max()
                                : now + sessions::cookie::kMaxCookieLifetime;
      TimePoint expected = cap;
      if (c.expires) {
        expected = std::min(*c.expires, cap);
      } else if (c.max_age) {
        const auto age = std::clamp(*c.max_age, seconds{0}, sessions::cookie::kMaxCookieLifetime);
        expected = now > TimePoint::max() - age ? TimePoint::max() : now + age;
      }
      const auto expected_seconds = floor<seconds>(expected);
      if (parsed) {
        FUZZ_CHECK_MSG(floor<seconds>(*parsed) == expected_seconds, std::string(part));
      } else {
        // Only an instant in the first second of TimePoint's range cannot be read back into it.
        FUZZ_CHECK_MSG(expected_seconds < ceil<seconds>(TimePoint::min()), std::string(part));
      }
    } else {
      FUZZ_CHECK_MSG(part.starts_with("Domain=") || part.starts_with("Path=") || part.starts_with("SameSite=") ||
                         part == "HttpOnly" || part == "Secure" || part == "Partitioned",
                     std::string(part));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider input(data, size);
  SetCookie c;
  const std::uint8_t flags = input.ConsumeIntegral<std::uint8_t>();
  c.secure = (flags & 1U) != 0;
  c.httponly = (flags & 2U) != 0;
  c.partitioned = (flags & 4U) != 0;
  c.samesite = static_cast<SameSite>((flags >> 3U) & 3U);
  const bool has_domain = (flags & 32U) != 0;
  const bool has_max_age = (flags & 64U) != 0;
  const bool has_expires = (flags & 128U) != 0;
  const auto now = TimePoint{TimePoint::duration{input.ConsumeIntegral<std::int64_t>()}};
  if (has_max_age) c.max_age = std::chrono::seconds{input.ConsumeIntegral<std::int64_t>()};
  if (has_expires) c.expires = TimePoint{TimePoint::duration{input.ConsumeIntegral<std::int64_t>()}};
  c.name = input.ConsumeRandomLengthString(64);
  if (has_domain) c.domain = input.ConsumeRandomLengthString(64);
  c.path = input.ConsumeRandomLengthString(64);
  c.value = input.ConsumeRemainingBytesAsString();

  const bool should_build = acceptable(c);
  try {
    const std::string header = sessions::cookie::build_set_cookie(c, now);
    FUZZ_CHECK_MSG(should_build, sessions_fuzz::shown(header));
    check_header(c, now, header);
  } catch (const sessions::CookieTooLarge&) {
    // Only a cookie near the size limit is too large (the attributes add at most ~200 bytes).
    FUZZ_CHECK(should_build);
    FUZZ_CHECK(c.name.size() + c.value.size() + (c.domain ? c.domain->size() : 0) + c.path.size() + 200 >
               sessions::cookie::kMaxSetCookieBytes);
  } catch (const sessions::CookieError&) {
    FUZZ_CHECK_MSG(!should_build, sessions_fuzz::shown(c.name) + " = " + sessions_fuzz::shown(c.value));
  }

  // The deletion header follows the same rules, with Secure added where a browser requires it.
  try {
    const std::string header = sessions::cookie::delete_cookie_value(c.name, c.path, c.domain, c.samesite);
    FUZZ_CHECK(token_ok(c.name) && path_ok(c.path));
    FUZZ_CHECK(header.starts_with(c.name + "=\"\"; "));
    FUZZ_CHECK(header.find("; expires=Thu, 01 Jan 1970 00:00:00 GMT") != std::string::npos);
    FUZZ_CHECK(header.find("; Max-Age=0") != std::string::npos);
    for (const char ch : header)
      FUZZ_CHECK(static_cast<unsigned char>(ch) >= 0x20 && static_cast<unsigned char>(ch) < 0x7F);
  } catch (const sessions::CookieError&) {
    SetCookie deletion;
    deletion.name = c.name;
    deletion.value = "\"\"";
    deletion.domain = c.domain;
    deletion.path = c.path;
    deletion.samesite = c.samesite;
    deletion.secure =
        starts_with_ci(c.name, "__secure-") || starts_with_ci(c.name, "__host-") || c.samesite == SameSite::none;
    FUZZ_CHECK(!acceptable(deletion) || c.name.size() + c.path.size() + 200 > sessions::cookie::kMaxSetCookieBytes);
  }
  return 0;
}
