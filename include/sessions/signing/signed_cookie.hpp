#pragma once
// Values of Django's HttpResponse.set_signed_cookie / HttpRequest.get_signed_cookie.
//
// Django signs the raw cookie value (no JSON, no base64) with get_cookie_signer(salt=name+salt):
// a TimestampSigner whose key is the bytes "django.http.cookies" + SECRET_KEY (Django 4.1+
// prefixes each SECRET_KEY_FALLBACKS entry the same way). The salt is the cookie name followed
// by the optional salt; when both are empty that is the empty salt, which Django replaces by
// "django.core.signing.TimestampSigner" (see signer.hpp). The result is the cookie's value
// before any cookie quoting, which is the cookie codec's job.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../clock.hpp"
#include "../errors.hpp"
#include "errors.hpp"
#include "signer.hpp"

namespace sessions::signing {

inline constexpr std::string_view cookie_key_prefix = "django.http.cookies";

/// Options for reading a signed cookie.
struct CookieUnsignOptions {
  /// The same salt that was given when signing (Django's get_signed_cookie(salt=...)).
  std::string_view salt{};
  /// Seconds; unset means no age check.
  std::optional<double> max_age{};
  /// Previous secrets (unprefixed, like SECRET_KEY_FALLBACKS); they verify but never sign.
  std::span<const std::string> fallback_keys{};
  /// The time the age is measured against; unset means clock.now().
  std::optional<TimePoint> now{};
  Clock clock{};
};

/// Django's get_cookie_signer(salt=full_salt) for the secret `secret`: a TimestampSigner keyed
/// with "django.http.cookies" + secret (and likewise for each fallback). `full_salt` is the
/// cookie name followed by the caller's salt. Throws ConfigurationError for an empty secret.
[[nodiscard]] inline TimestampSigner cookie_signer(std::string_view secret, std::string_view full_salt,
                                                   std::span<const std::string> fallback_keys = {}, Clock clock = {}) {
  if (secret.empty()) throw ConfigurationError("the secret key must not be empty");
  std::string key(cookie_key_prefix);
  key += secret;
  std::vector<std::string> fallbacks;
  fallbacks.reserve(fallback_keys.size());
  for (const std::string& fallback : fallback_keys) {
    if (fallback.empty()) throw ConfigurationError("a fallback secret key must not be empty");
    fallbacks.push_back(std::string(cookie_key_prefix) + fallback);
  }
  std::string full(full_salt);
  return TimestampSigner(key, full, fallbacks, clock);
}

namespace detail {
[[nodiscard]] inline std::string cookie_salt(std::string_view name, std::string_view salt) {
  std::string s(name);
  s += salt;
  return s;
}
}  // namespace detail

/// The value Django's response.set_signed_cookie(name, value, salt=salt) would store, signed at
/// time `now`.
[[nodiscard]] inline std::string sign_cookie_value(std::string_view name, std::string_view value,
                                                   std::string_view secret, std::string_view salt, TimePoint now) {
  return cookie_signer(secret, detail::cookie_salt(name, salt)).sign(value, now);
}

/// As above, signed now (system clock).
[[nodiscard]] inline std::string sign_cookie_value(std::string_view name, std::string_view value,
                                                   std::string_view secret, std::string_view salt = "") {
  return sign_cookie_value(name, value, secret, salt, Clock{}.now());
}

/// The original value of a signed cookie, as Django's request.get_signed_cookie(name,
/// salt=..., max_age=...) returns it. Throws BadSignature, SignatureExpired (a BadSignature) or
/// MalformedSignedData (validly signed but without a readable timestamp).
[[nodiscard]] inline std::string unsign_cookie_value(std::string_view name, std::string_view signed_value,
                                                     std::string_view secret, const CookieUnsignOptions& options = {}) {
  const TimestampSigner signer =
      cookie_signer(secret, detail::cookie_salt(name, options.salt), options.fallback_keys, options.clock);
  return options.now ? signer.unsign(signed_value, options.max_age, *options.now)
                     : signer.unsign(signed_value, options.max_age);
}

/// As unsign_cookie_value, but std::nullopt for a bad, expired or malformed value. Configuration
/// errors (empty secret) still throw.
[[nodiscard]] inline std::optional<std::string> try_unsign_cookie_value(std::string_view name,
                                                                        std::string_view signed_value,
                                                                        std::string_view secret,
                                                                        const CookieUnsignOptions& options = {}) {
  try {
    return unsign_cookie_value(name, signed_value, secret, options);
  } catch (const BadSignature&) {
    return std::nullopt;
  } catch (const MalformedSignedData&) {
    return std::nullopt;
  }
}

/// Django's get_signed_cookie(name, default=default_value, ...): the value, or `default_value`
/// when the cookie is bad, expired or malformed. (Django returns the default only for
/// BadSignature and lets a malformed timestamp raise; here every failure gives the default.)
[[nodiscard]] inline std::string unsign_cookie_value_or(std::string_view name, std::string_view signed_value,
                                                        std::string_view secret, std::string_view default_value,
                                                        const CookieUnsignOptions& options = {}) {
  std::optional<std::string> value = try_unsign_cookie_value(name, signed_value, secret, options);
  return value ? std::move(*value) : std::string(default_value);
}

}  // namespace sessions::signing
