#pragma once
// Django's session auth hash: the `_auth_user_hash` a login stores, an HMAC of the user's
// password hash, so that changing the password (which changes the hash) ends every other session
// of that user at its next request.
//
//   get_session_auth_hash() = salted_hmac(
//       "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash",
//       user.password, secret=SECRET_KEY, algorithm="sha256").hexdigest()      (64 hex digits)
//
// Which keys verify depends on the Django version the service shares sessions with:
//   - Django 3.2 (Debian 12): SECRET_KEY only (3.2 has no SECRET_KEY_FALLBACKS), plus the legacy
//     SHA-1 form salted_hmac(..., algorithm="sha1") for sessions written before Django 3.1
//     (accepted as is, never rewritten; removed in Django 4.0).
//   - Django 5.0 and later: SECRET_KEY, then each of SECRET_KEY_FALLBACKS in order (Django 4.1
//     added the setting but used it for the session auth hash only from 5.0); a session verified
//     by a fallback key has its key cycled and its hash rewritten with the current key.
// Hashes are compared in constant time. Thread-safety: const members only; the keyed contexts
// are made per call, so one object may be shared.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../crypto/compare.hpp"
#include "../crypto/sha256.hpp"
#include "../django_version.hpp"
#include "../errors.hpp"
#include "detail/salted_hmac.hpp"

namespace sessions::auth {

/// The key_salt Django's AbstractBaseUser.get_session_auth_hash uses.
inline constexpr std::string_view session_auth_hash_salt =
    "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash";

/// v3_2: no key fallbacks, legacy SHA-1 auth hashes accepted; current: SECRET_KEY_FALLBACKS
/// verify (and get rewritten).
using sessions::DjangoVersion;

/// How a stored `_auth_user_hash` matched.
enum class HashMatch { none, current_key, fallback_key, legacy_sha1 };

class SessionAuthHasher {
 public:
  /// `secret_key`: Django's SECRET_KEY (non-empty). `fallback_keys`: SECRET_KEY_FALLBACKS, only
  /// for DjangoVersion::current (ConfigurationError for v3_2, which has no such setting).
  explicit SessionAuthHasher(std::string_view secret_key, std::span<const std::string> fallback_keys = {},
                             DjangoVersion version = DjangoVersion::current)
      : secret_(secret_key), fallbacks_(fallback_keys.begin(), fallback_keys.end()), version_(version) {
    if (secret_.empty()) throw ConfigurationError("the secret key must not be empty");
    if (version_ == DjangoVersion::v3_2 && !fallbacks_.empty()) {
      throw ConfigurationError("Django 3.2 has no SECRET_KEY_FALLBACKS");
    }
    for (const std::string& key : fallbacks_) {
      if (key.empty()) throw ConfigurationError("a fallback secret key must not be empty");
    }
  }

  /// get_session_auth_hash() for a user whose password field is `password_hash`.
  [[nodiscard]] std::string hash(std::string_view password_hash) const { return hash_with(secret_, password_hash); }

  /// Which key, if any, produced `stored` for `password_hash`. An empty `stored` never matches.
  [[nodiscard]] HashMatch verify(std::string_view stored, std::string_view password_hash) const {
    if (stored.empty()) return HashMatch::none;
    if (crypto::constant_time_equal(stored, hash(password_hash))) return HashMatch::current_key;
    for (const std::string& key : fallbacks_) {
      if (crypto::constant_time_equal(stored, hash_with(key, password_hash))) return HashMatch::fallback_key;
    }
    if (version_ == DjangoVersion::v3_2 &&
        crypto::constant_time_equal(stored,
                                    detail::salted_hmac_sha1_hex(session_auth_hash_salt, password_hash, secret_))) {
      return HashMatch::legacy_sha1;
    }
    return HashMatch::none;
  }

  [[nodiscard]] DjangoVersion version() const noexcept { return version_; }

 private:
  [[nodiscard]] static std::string hash_with(std::string_view secret, std::string_view password_hash) {
    const crypto::Sha256Digest mac = detail::salted_hmac_sha256_key(session_auth_hash_salt, secret).mac(password_hash);
    return detail::to_hex(mac.data(), mac.size());
  }

  std::string secret_;
  std::vector<std::string> fallbacks_;
  DjangoVersion version_;
};

}  // namespace sessions::auth
