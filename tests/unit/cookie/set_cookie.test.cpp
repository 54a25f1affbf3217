// Writing Set-Cookie values: byte-for-byte Django output, every refusal, the size limit and the
// 400-day cap.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sessions/cookie/cookie.hpp"
#include "sessions/errors.hpp"
#include "sessions/settings.hpp"
#include "support/catch.hpp"

using sessions::CookieError;
using sessions::CookieTooLarge;
using sessions::SameSite;
using sessions::TimePoint;
using sessions::cookie::build_set_cookie;
using sessions::cookie::delete_cookie_value;
using sessions::cookie::SetCookie;

namespace {

TimePoint unix_at(std::int64_t unix_seconds) { return TimePoint{std::chrono::seconds{unix_seconds}}; }

const TimePoint kNow = unix_at(1'700'000'000);  // Tue, 14 Nov 2023 22:13:20 GMT

SetCookie plain(std::string name, std::string value) {
  SetCookie c;
  c.name = std::move(name);
  c.value = std::move(value);
  return c;
}

// The message of the CookieError that building `c` throws, or "" if it does not throw.
std::string refusal(const SetCookie& c) {
  try {
    (void)build_set_cookie(c, kNow);
  } catch (const CookieError& e) {
    return e.what();
  }
  return "";
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

}  // namespace

TEST_CASE("deletion is byte for byte Django's", "[cookie][set_cookie][django]") {
  CHECK(delete_cookie_value("sessionid", "/", std::nullopt, SameSite::lax) ==
        R"(sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax)");
  CHECK(
      delete_cookie_value("sessionid", "/example/", std::string{".example.local"}, SameSite::lax) ==
      R"(sessionid=""; Domain=.example.local; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/example/; SameSite=Lax)");
  CHECK(delete_cookie_value("sessionid", "/", std::nullopt, SameSite::omit) ==
        R"(sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/)");
  CHECK(delete_cookie_value("sessionid", "/", std::nullopt, SameSite::strict) ==
        R"(sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Strict)");

  SECTION("Secure is added for prefixed names and SameSite=None, as Django 4+ does") {
    CHECK(delete_cookie_value("__Secure-sid", "/", std::nullopt, SameSite::lax) ==
          R"(__Secure-sid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax; Secure)");
    CHECK(delete_cookie_value("__Host-sid", "/", std::nullopt, SameSite::lax) ==
          R"(__Host-sid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax; Secure)");
    CHECK(delete_cookie_value("sessionid", "/", std::nullopt, SameSite::none) ==
          R"(sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=None; Secure)");
    CHECK(delete_cookie_value("__secure-sid", "/", std::nullopt, SameSite::lax) ==
          R"(__secure-sid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax; Secure)");
  }
  SECTION("deletion is refused where setting would be") {
    REQUIRE_THROWS_AS(delete_cookie_value("__Host-sid", "/", std::string{"example.com"}, SameSite::lax), CookieError);
    REQUIRE_THROWS_AS(delete_cookie_value("__Host-sid", "/app/", std::nullopt, SameSite::lax), CookieError);
    REQUIRE_THROWS_AS(delete_cookie_value("bad name", "/", std::nullopt, SameSite::lax), CookieError);
    REQUIRE_THROWS_AS(delete_cookie_value("sid", "/\r\nX: y", std::nullopt, SameSite::lax), CookieError);
  }
}

TEST_CASE("a session cookie is byte for byte Django's", "[cookie][set_cookie][django]") {
  SetCookie c = plain("sid", "abc");
  c.max_age = std::chrono::seconds{1'209'600};
  c.expires = unix_at(1'701'209'600);
  c.domain = ".example.local";
  c.path = "/app/";
  c.secure = true;
  c.httponly = true;
  c.samesite = SameSite::strict;
  const std::string expected =
      "sid=abc; Domain=.example.local; expires=Tue, 28 Nov 2023 22:13:20 GMT; HttpOnly; Max-Age=1209600; "
      "Path=/app/; SameSite=Strict; Secure";
  CHECK(build_set_cookie(c, kNow) == expected);

  SECTION("without Expires, Max-Age implies expires = now + Max-Age, as Django's set_cookie does") {
    c.expires.reset();
    CHECK(build_set_cookie(c, kNow) == expected);
  }
  SECTION("Django's default session settings") {
    SetCookie d = plain("sessionid", "k3y");
    d.max_age = std::chrono::seconds{1'209'600};
    d.httponly = true;
    d.samesite = SameSite::lax;
    CHECK(build_set_cookie(d, kNow) ==
          "sessionid=k3y; expires=Tue, 28 Nov 2023 22:13:20 GMT; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax");
  }
  SECTION("a browser-session cookie has neither expires nor Max-Age") {
    c.expires.reset();
    c.max_age.reset();
    CHECK(build_set_cookie(c, kNow) == "sid=abc; Domain=.example.local; HttpOnly; Path=/app/; SameSite=Strict; Secure");
  }
}

TEST_CASE("attributes: minimal forms, omissions and Partitioned", "[cookie][set_cookie]") {
  CHECK(build_set_cookie(plain("a", "b"), kNow) == "a=b; Path=/");
  SECTION("empty path and empty domain write no attribute, as Python's Morsel") {
    SetCookie c = plain("a", "b");
    c.path = "";
    c.domain = "";
    CHECK(build_set_cookie(c, kNow) == "a=b");
  }
  SECTION("empty value and Django's \"\" are allowed") {
    CHECK(build_set_cookie(plain("a", ""), kNow) == "a=; Path=/");
    CHECK(build_set_cookie(plain("a", "\"\""), kNow) == "a=\"\"; Path=/");
  }
  SECTION("every cookie-octet class is accepted in a value") {
    const std::string all = "!#$%&'()*+-./0123456789:<=>?@ABCXYZ[]^_`abcxyz{|}~";
    CHECK(build_set_cookie(plain("v", all), kNow) == "v=" + all + "; Path=/");
  }
  SECTION("every token character is accepted in a name") {
    const std::string name = "!#$%&'*+-.^_`|~09AZaz";
    CHECK(build_set_cookie(plain(name, "1"), kNow) == name + "=1; Path=/");
  }
  SECTION("Partitioned comes last") {
    SetCookie c = plain("__Host-sid", "abc");
    c.secure = true;
    c.httponly = true;
    c.samesite = SameSite::none;
    c.partitioned = true;
    CHECK(build_set_cookie(c, kNow) == "__Host-sid=abc; HttpOnly; Path=/; SameSite=None; Secure; Partitioned");
  }
  SECTION("SameSite spellings") {
    SetCookie c = plain("a", "b");
    c.samesite = SameSite::lax;
    CHECK(build_set_cookie(c, kNow) == "a=b; Path=/; SameSite=Lax");
    c.samesite = SameSite::strict;
    CHECK(build_set_cookie(c, kNow) == "a=b; Path=/; SameSite=Strict");
    c.samesite = SameSite::none;
    c.secure = true;
    CHECK(build_set_cookie(c, kNow) == "a=b; Path=/; SameSite=None; Secure");
  }
  SECTION("valid prefixed cookies") {
    SetCookie s = plain("__Secure-sid", "1");
    s.secure = true;
    s.domain = "example.com";
    s.path = "/app";
    CHECK(build_set_cookie(s, kNow) == "__Secure-sid=1; Domain=example.com; Path=/app; Secure");
    SetCookie h = plain("__Host-sid", "1");
    h.secure = true;
    CHECK(build_set_cookie(h, kNow) == "__Host-sid=1; Path=/; Secure");
  }
}

TEST_CASE("names that are not RFC 6265 tokens are refused", "[cookie][set_cookie][refuse]") {
  CHECK(contains(refusal(plain("", "v")), "name is empty"));
  for (const char* bad : {"a b", "a\tb", "a;b", "a=b", "a,b", "a\"b", "a(b", "a)b", "a<b",   "a>b",        "a@b",
                          "a:b", "a\\b", "a/b", "a[b", "a]b", "a?b",  "a{b", "a}b", "a\x7f", "caf\xC3\xA9"}) {
    const std::string message = refusal(plain(bad, "v"));
    CHECK(contains(message, "cookie name"));
    CHECK(contains(message, "token"));
  }
  SECTION("header injection through the name") {
    const std::string message = refusal(plain("sid\r\nSet-Cookie: evil", "v"));
    CHECK(contains(message, "\\x0D at offset 3"));
    // The message escapes what it quotes, so it cannot inject into a log either.
    CHECK(message.find_first_of("\r\n") == std::string::npos);
    REQUIRE_THROWS_AS(build_set_cookie(plain(std::string("s\0d", 3), "v"), kNow), CookieError);
  }
}

TEST_CASE("values outside cookie-octet are refused", "[cookie][set_cookie][refuse]") {
  for (const char* bad :
       {"a b", "a;b", "a,b", "a\"b", "a\\b", "\"abc\"", "\"", "a\x7f", "caf\xC3\xA9", "a\tb", "\"\"\"\""}) {
    const std::string message = refusal(plain("sid", bad));
    CHECK(contains(message, "value of cookie \"sid\""));
    CHECK(contains(message, "cookie-octet"));
  }
  SECTION("header injection through the value, without leaking the value") {
    const std::string message = refusal(plain("sid", "SECRETKEY\r\nSet-Cookie: evil=1"));
    CHECK(contains(message, "\\x0D at offset 9"));
    CHECK(!contains(message, "SECRETKEY"));
    CHECK(message.find_first_of("\r\n") == std::string::npos);
    REQUIRE_THROWS_AS(build_set_cookie(plain("sid", std::string("a\0b", 3)), kNow), CookieError);
    REQUIRE_THROWS_AS(build_set_cookie(plain("sid", "abc; Domain=evil.com"), kNow), CookieError);
  }
}

TEST_CASE("unsafe Domain and Path are refused", "[cookie][set_cookie][refuse]") {
  for (const char* bad : {"example.com; Secure", "example.com\r\nX: y", "exa mple.com", "example.com/", "ex_ample.com",
                          "b\xC3\xBC"
                          "cher.de",
                          "a\tb", "example.com:8080"}) {
    SetCookie c = plain("sid", "v");
    c.domain = bad;
    CHECK(contains(refusal(c), "Domain"));
  }
  for (const char* bad : {"/a;b", "/\r\nX: y", "/\x7f", "/caf\xC3\xA9", "/a\tb"}) {
    SetCookie c = plain("sid", "v");
    c.path = bad;
    CHECK(contains(refusal(c), "Path"));
  }
  SECTION("a NUL in Domain or Path") {
    SetCookie c = plain("sid", "v");
    c.domain = std::string("a\0b", 3);
    REQUIRE_THROWS_AS(build_set_cookie(c, kNow), CookieError);
    c.domain.reset();
    c.path = std::string("/\0", 2);
    REQUIRE_THROWS_AS(build_set_cookie(c, kNow), CookieError);
  }
  SECTION("paths may hold spaces and other printable ASCII") {
    SetCookie c = plain("sid", "v");
    c.path = "/a b/=,\"";
    CHECK(build_set_cookie(c, kNow) == "sid=v; Path=/a b/=,\"");
  }
}

TEST_CASE("cookies a browser would drop are refused", "[cookie][set_cookie][refuse]") {
  SECTION("SameSite=None without Secure") {
    SetCookie c = plain("sid", "v");
    c.samesite = SameSite::none;
    CHECK(contains(refusal(c), "SameSite=None"));
  }
  SECTION("Partitioned without Secure") {
    SetCookie c = plain("sid", "v");
    c.partitioned = true;
    CHECK(contains(refusal(c), "Partitioned"));
  }
  SECTION("__Secure- without Secure, any case") {
    CHECK(contains(refusal(plain("__Secure-sid", "v")), "__Secure- prefix"));
    CHECK(contains(refusal(plain("__SECURE-sid", "v")), "__Secure- prefix"));
  }
  SECTION("__Host- rules") {
    SetCookie c = plain("__Host-sid", "v");
    CHECK(contains(refusal(c), "must be Secure"));
    c.secure = true;
    c.domain = "example.com";
    CHECK(contains(refusal(c), "may not have a Domain"));
    c.domain.reset();
    c.path = "/app/";
    CHECK(contains(refusal(c), "Path must be"));
    c.path = "";
    CHECK(contains(refusal(c), "Path must be"));
    c.path = "/";
    CHECK(refusal(c).empty());
    c.name = "__host-sid";
    c.path = "/app/";
    CHECK(contains(refusal(c), "Path must be"));
  }
  SECTION("refusals are CookieError, a sessions::Error") {
    SetCookie c = plain("sid", "v");
    c.samesite = SameSite::none;
    REQUIRE_THROWS_AS(build_set_cookie(c, kNow), CookieError);
    REQUIRE_THROWS_AS(build_set_cookie(c, kNow), sessions::Error);
  }
}

TEST_CASE("the 4096-byte limit", "[cookie][set_cookie][limit]") {
  SetCookie c = plain("sid", "");
  c.max_age = std::chrono::seconds{1'209'600};
  c.httponly = true;
  c.samesite = SameSite::lax;
  const std::size_t overhead = build_set_cookie(c, kNow).size();

  c.value.assign(4096 - overhead, 'x');
  const std::string exactly = build_set_cookie(c, kNow);
  CHECK(exactly.size() == 4096u);

  c.value += 'x';
  REQUIRE_THROWS_AS(build_set_cookie(c, kNow), CookieTooLarge);
  const std::string message = refusal(c);
  CHECK(contains(message, "4097 bytes"));
  CHECK(contains(message, "4096-byte limit"));

  SECTION("attributes count too") {
    SetCookie d = plain("sid", std::string(4000, 'v'));
    d.domain = std::string(100, 'd');
    REQUIRE_THROWS_AS(build_set_cookie(d, kNow), CookieTooLarge);
  }
  SECTION("a huge value is refused, not written") {
    REQUIRE_THROWS_AS(build_set_cookie(plain("sid", std::string(1'000'000, 'v')), kNow), CookieTooLarge);
  }
}

TEST_CASE("lifetimes are capped at 400 days", "[cookie][set_cookie][cap]") {
  using std::chrono::seconds;
  constexpr std::int64_t kFourHundredDays = 34'560'000;
  CHECK(sessions::cookie::kMaxCookieLifetime.count() == kFourHundredDays);

  SECTION("a longer Max-Age is written as 400 days, with the matching expires") {
    SetCookie c = plain("sid", "v");
    c.max_age = seconds{500LL * 86'400};
    CHECK(build_set_cookie(c, kNow) == "sid=v; expires=Wed, 18 Dec 2024 22:13:20 GMT; Max-Age=34560000; Path=/");
  }
  SECTION("exactly 400 days is kept") {
    SetCookie c = plain("sid", "v");
    c.max_age = seconds{kFourHundredDays};
    CHECK(build_set_cookie(c, kNow) == "sid=v; expires=Wed, 18 Dec 2024 22:13:20 GMT; Max-Age=34560000; Path=/");
  }
  SECTION("a later Expires is capped at now + 400 days; an earlier one is kept") {
    SetCookie c = plain("sid", "v");
    c.expires = kNow + seconds{1000LL * 86'400};
    CHECK(build_set_cookie(c, kNow) == "sid=v; expires=Wed, 18 Dec 2024 22:13:20 GMT; Path=/");
    c.expires = unix_at(1'701'209'600);
    CHECK(build_set_cookie(c, kNow) == "sid=v; expires=Tue, 28 Nov 2023 22:13:20 GMT; Path=/");
    c.expires = unix_at(0);
    CHECK(build_set_cookie(c, kNow) == "sid=v; expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/");
  }
  SECTION("a negative Max-Age is written as 0") {
    SetCookie c = plain("sid", "v");
    c.max_age = seconds{-5};
    CHECK(build_set_cookie(c, kNow) == "sid=v; expires=Tue, 14 Nov 2023 22:13:20 GMT; Max-Age=0; Path=/");
  }
  SECTION("extreme values neither overflow nor throw") {
    SetCookie c = plain("sid", "v");
    c.max_age = seconds::max();
    c.expires = TimePoint::max();
    CHECK(build_set_cookie(c, kNow) == "sid=v; expires=Wed, 18 Dec 2024 22:13:20 GMT; Max-Age=34560000; Path=/");
    c.max_age = seconds::min();
    c.expires = TimePoint::min();
    CHECK(contains(build_set_cookie(c, kNow), "; Max-Age=0; "));
    c.expires.reset();
    c.max_age = seconds{kFourHundredDays};
    const std::string late = build_set_cookie(c, TimePoint::max() - seconds{10});
    CHECK(contains(late, "expires=" + sessions::cookie::http_date(TimePoint::max())));
    const std::string early = build_set_cookie(c, TimePoint::min());
    CHECK(contains(early, "Max-Age=34560000"));
  }
}
