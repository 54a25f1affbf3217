#include <sessions/signing/signed_cookie.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "support/catch.hpp"

using sessions::BadSignature;
using sessions::ConfigurationError;
using sessions::SignatureExpired;
using sessions::TimePoint;
using sessions::signing::CookieUnsignOptions;
using sessions::signing::sign_cookie_value;
using sessions::signing::try_unsign_cookie_value;
using sessions::signing::unsign_cookie_value;
using sessions::signing::unsign_cookie_value_or;

namespace {
constexpr std::int64_t kCookieNow = 1'700'000'000;
TimePoint cookie_at(double seconds) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::duration<double>(seconds)));
}
}  // namespace

// Expected values produced by Django 3.2 (SECRET_KEY="secret", time.time patched to 1700000000):
// get_cookie_signer(salt=name + salt).sign(value), which is what set_signed_cookie stores.
TEST_CASE("signed_cookie: byte-identical to Django's set_signed_cookie", "[signing][cookie]") {
  CHECK(sign_cookie_value("sessionid", "hello", "secret", "", cookie_at(kCookieNow)) ==
        "hello:1r31eq:Nhhc9KSSvvNY6YcsI7MR0AZmY-ubcI6hFIi32Xxp0ts");
  CHECK(sign_cookie_value("prefs", "dark mode", "secret", "pepper", cookie_at(kCookieNow)) ==
        "dark mode:1r31eq:XLQInMGiAOYC5P0_O5H5Dd-DeqJ9neWh8GoIxCXZFaQ");
  // Empty name and salt: Django's empty-salt default applies.
  CHECK(sign_cookie_value("", "v", "secret", "", cookie_at(kCookieNow)) ==
        "v:1r31eq:rMdJimQh_Sbxw9ftxGm4f3dc22mxSUPKOkgVxdL4Y6I");
}

TEST_CASE("signed_cookie: get_signed_cookie semantics", "[signing][cookie]") {
  const std::string token = "dark mode:1r31eq:XLQInMGiAOYC5P0_O5H5Dd-DeqJ9neWh8GoIxCXZFaQ";
  CHECK(unsign_cookie_value("prefs", token, "secret", {.salt = "pepper"}) == "dark mode");
  CHECK(unsign_cookie_value("prefs", token, "secret",
                            {.salt = "pepper", .max_age = 60.0, .now = cookie_at(kCookieNow + 60)}) == "dark mode");
  CHECK_THROWS_AS(unsign_cookie_value("prefs", token, "secret",
                                      {.salt = "pepper", .max_age = 60.0, .now = cookie_at(kCookieNow + 61)}),
                  SignatureExpired);
  CHECK_THROWS_AS(unsign_cookie_value("prefs", token, "secret"), BadSignature);  // salt missing
  CHECK_THROWS_AS(unsign_cookie_value("other", token, "secret", {.salt = "pepper"}), BadSignature);
  CHECK_THROWS_AS(unsign_cookie_value("prefs", token, "other", {.salt = "pepper"}), BadSignature);
  CHECK_THROWS_AS(unsign_cookie_value("prefs", token + "x", "secret", {.salt = "pepper"}), BadSignature);
  // The plain signing key is not the cookie key: a value signed without the prefix is refused.
  const std::string unprefixed =
      sessions::signing::TimestampSigner("secret", "prefspepper").sign("dark mode", kCookieNow);
  CHECK_THROWS_AS(unsign_cookie_value("prefs", unprefixed, "secret", {.salt = "pepper"}), BadSignature);

  CHECK(try_unsign_cookie_value("prefs", token, "secret", {.salt = "pepper"}) == "dark mode");
  CHECK_FALSE(try_unsign_cookie_value("prefs", "tampered", "secret", {.salt = "pepper"}).has_value());
  CHECK(unsign_cookie_value_or("prefs", "tampered", "secret", "light", {.salt = "pepper"}) == "light");
  CHECK(unsign_cookie_value_or("prefs", token, "secret", "light", {.salt = "pepper"}) == "dark mode");
}

TEST_CASE("signed_cookie: fallback keys are prefixed like the main key", "[signing][cookie]") {
  const std::string token = sign_cookie_value("sessionid", "hello", "old-secret", "", cookie_at(kCookieNow));
  const std::vector<std::string> fallbacks{"old-secret"};
  CHECK(unsign_cookie_value("sessionid", token, "new-secret", {.fallback_keys = fallbacks}) == "hello");
  CHECK_THROWS_AS(unsign_cookie_value("sessionid", token, "new-secret"), BadSignature);
}

TEST_CASE("signed_cookie: configuration errors", "[signing][cookie]") {
  CHECK_THROWS_AS(sign_cookie_value("n", "v", ""), ConfigurationError);
  const std::vector<std::string> empty{""};
  CHECK_THROWS_AS(unsign_cookie_value("n", "v:1:x", "secret", {.fallback_keys = empty}), ConfigurationError);
  CHECK_THROWS_AS(try_unsign_cookie_value("n", "v:1:x", ""), ConfigurationError);
}
