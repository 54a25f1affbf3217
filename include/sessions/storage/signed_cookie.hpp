#pragma once
// SignedCookieStore: Django's signed_cookies backend. The session data travels in the cookie,
// as `signing.dumps(data, compress=True, salt="django.contrib.sessions.backends.signed_cookies")`,
// so a Django application with the same SECRET_KEY reads our cookies and we read its cookies.
// The client can read the data (it is signed, not encrypted) and can replay an old cookie until
// it expires: see EncryptedCookieStore for a cookie the client cannot read.
//
// As in Django: the cookie's age is bounded by SESSION_COOKIE_AGE (the signature's max_age);
// exists() is always false; destroy() only forgets the cookie; cycle_key() re-signs.
// Unlike Django: set_expiry() is enforced (the session layer checks the policy against the
// signing time), and a session too large for a cookie is a CookieTooLarge at save, not a cookie
// the browser silently drops.

#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../cookie/set_cookie.hpp"
#include "../data.hpp"
#include "../errors.hpp"
#include "../record.hpp"
#include "../settings.hpp"
#include "../signing/base62.hpp"
#include "../signing/dumps.hpp"
#include "../signing/signer.hpp"

namespace sessions {

inline constexpr std::string_view kSignedCookiesSalt = "django.contrib.sessions.backends.signed_cookies";

namespace detail {
/// The characters of a Django signed value: base64url, base62, `:` and the `.` of compression.
[[nodiscard]] constexpr bool is_signed_value_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == ':' || c == '.';
}

/// The signing time of a value that already verified: `payload:timestamp:signature`.
[[nodiscard]] inline TimePoint signed_value_time(std::string_view value) {
  const auto sig = value.rfind(':');
  const auto ts = value.rfind(':', sig == 0 ? 0 : sig - 1);
  if (sig == std::string_view::npos || ts == std::string_view::npos || ts >= sig) {
    throw signing::MalformedSignedData("signed value has no timestamp");
  }
  return TimePoint{std::chrono::seconds{signing::b62_decode(value.substr(ts + 1, sig - ts - 1))}};
}
}  // namespace detail

class SignedCookieStore {
 public:
  static constexpr bool client_side = true;

  struct Options {
    /// Django's SECRET_KEY: signs and verifies.
    std::string secret_key;
    /// Django's SECRET_KEY_FALLBACKS: verify only, tried in order (key rotation).
    std::vector<std::string> fallback_keys{};
    std::string salt{kSignedCookiesSalt};
    /// Django compresses session cookies when that makes them shorter.
    bool compress = true;
    /// Bound on decompressed payloads (a compressed cookie could otherwise inflate enormously).
    std::size_t max_decompressed_size = 64 * 1024;
  };

  explicit SignedCookieStore(std::string secret_key, std::vector<std::string> fallback_keys = {})
      : SignedCookieStore(Options{std::move(secret_key), std::move(fallback_keys)}) {}
  explicit SignedCookieStore(Options options)
      : options_(std::move(options)),
        signer_(options_.secret_key, options_.salt, std::span<const std::string>(options_.fallback_keys)) {
    limits_.max_decompressed_size = options_.max_decompressed_size;
  }

  SignedCookieStore(const SignedCookieStore&) = delete;
  SignedCookieStore& operator=(const SignedCookieStore&) = delete;

  /// The cookie value for `data`, signed at `now`. CookieTooLarge when the cookie
  /// (`name=value`) would exceed what browsers keep.
  [[nodiscard]] std::string encode(const Data& data, const Settings& settings, TimePoint now) const {
    std::string value = signing::dumps(data, signer_, options_.compress, now);
    const std::size_t size = settings.cookie_name.size() + 1 + value.size();
    if (size > cookie::kMaxSetCookieBytes) {
      throw CookieTooLarge("the session is too large for a cookie: " + std::to_string(size) + " bytes of name and value, over the " +
                           std::to_string(cookie::kMaxSetCookieBytes) + "-byte limit; keep less in the session or use a server-side store");
    }
    return value;
  }

  /// The data of a cookie value: BadSignature (tampered, wrong key), SignatureExpired (older than
  /// SESSION_COOKIE_AGE) or MalformedSignedData/DecodeError when it is not a session.
  [[nodiscard]] ClientRecord decode(std::string_view value, const Settings& settings, TimePoint now) const {
    Data data = signing::loads(value, signer_, static_cast<double>(settings.cookie_age.count()), now, limits_);
    if (!data.is_object()) throw DecodeError("the signed session is not a JSON object");
    return ClientRecord{std::move(data), detail::signed_value_time(value)};
  }

  /// A cheap look at a cookie value before any cryptography: Django's characters, a bounded size.
  [[nodiscard]] bool accepts(std::string_view value) const noexcept {
    if (value.size() > cookie::kMaxSetCookieBytes) return false;
    for (const char c : value) {
      if (!detail::is_signed_value_char(c)) return false;
    }
    return true;
  }

 private:
  Options options_;
  signing::TimestampSigner signer_;
  signing::PayloadLimits limits_{};
};

}  // namespace sessions
