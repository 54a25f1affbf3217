#pragma once
// sessions 0.1.0: Django's session framework as a header-only C++20 library, single-header edition.
//
// GENERATED FILE, DO NOT EDIT.
// It is produced from include/sessions/auth/auth.hpp by
//     python3 tools/amalgamate.py
// Change the headers under include/sessions/ and run that command again; CI fails when this file
// is out of date (python3 tools/amalgamate.py --check).
//
// The core comes from the single-header sessions.hpp next to this directory.

#include <sessions/sessions.hpp>

// ---- begin sessions/auth/auth.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_AUTH_AUTH_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_AUTH_AUTH_HPP
// Everything in auth/: Django's login state in a shared session (django.contrib.auth's session
// keys and rules), the session auth hash, Django's PBKDF2 password hashes and its user table.

// ---- begin sessions/auth/errors.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_AUTH_ERRORS_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_AUTH_ERRORS_HPP
// The auth layer's own errors. A password hash made by a hasher this library does not implement
// (argon2, bcrypt, scrypt, ...) must never read as "wrong password": the user would be told their
// correct password is wrong, and a migration would silently lock people out. It is a typed error
// the caller can route to the Django side instead.

namespace sessions::auth {

/// The stored password hash names a Django hasher that is not implemented here (only
/// pbkdf2_sha256 and pbkdf2_sha1 are). algorithm() is the name before the first `$`.
class UnsupportedHasher : public sessions::Error {
 public:
  explicit UnsupportedHasher(std::string algorithm)
      : sessions::Error("unsupported password hasher: " + algorithm), algorithm_(std::move(algorithm)) {}
  [[nodiscard]] const std::string& algorithm() const noexcept { return algorithm_; }

 private:
  std::string algorithm_;
};

}  // namespace sessions::auth
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_AUTH_ERRORS_HPP
// ---- end sessions/auth/errors.hpp ----
// ---- begin sessions/auth/login.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_AUTH_LOGIN_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_AUTH_LOGIN_HPP
// Django's login(), logout(), get_user() and update_session_auth_hash()
// (django.contrib.auth), over any sessions::Session, with the keys and rules Django uses, so that
// a user logged in on either side is logged in on the other:
//
//   _auth_user_id       the user's primary key as a string (Django: pk.value_to_string)
//   _auth_user_backend  the dotted path of the backend that authenticated the user
//   _auth_user_hash     the session auth hash (session_auth_hash.hpp)
//
// login(session, user):
//   - the session already holds `_auth_user_id`: flush() when it is another user, or when the
//     stored hash differs from the user's current one; keep the session (no new key) otherwise;
//   - no `_auth_user_id`: cycle_key() (a new key for the same data: no session fixation);
//   - then the three keys. The backend is the given one, or the only configured backend
//     (ConfigurationError with several, as Django's ValueError).
// logout(session): flush().
// get_user(session, lookup) -> an AuthResult; the user only when all hold:
//   - `_auth_user_id` and `_auth_user_backend` are present (else no_user, session untouched);
//   - the backend is one of config.backends (else backend_not_allowed, untouched);
//   - lookup(id) finds the user (else unknown_user, untouched) and the user is active (else
//     inactive, untouched: Django's ModelBackend.user_can_authenticate);
//   - `_auth_user_hash` verifies (SessionAuthHasher::verify); a hash that does not is
//     hash_mismatch and the session is FLUSHED (the user changed their password elsewhere).
//     Django 5.0+: a hash made with a fallback key verifies, then the key is cycled and the hash
//     rewritten with the current key; Django 3.2: a legacy SHA-1 hash verifies as is.
// update_session_auth_hash(session, user): cycle_key(), then, when the session's user is `user`,
// the user's new hash: the session that changed the password stays logged in.
//
// Not reproduced: Django's signals (user_logged_in/out), the CSRF token rotation of login()
// (rotate_token: there is no CSRF layer here), and the conversion of the stored id through the
// model's primary key type: ids are compared as text, so "042" is not user 42.

// ---- begin sessions/auth/session_auth_hash.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_AUTH_SESSION_AUTH_HASH_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_AUTH_SESSION_AUTH_HASH_HPP
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

// ---- begin sessions/django_version.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_DJANGO_VERSION_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_DJANGO_VERSION_HPP
// The Django release whose behaviour to reproduce where releases differ (auth's key fallbacks
// and legacy hashes, the messages' encoding of empty extra tags). Debian 12 ships 3.2.

namespace sessions {

enum class DjangoVersion {
  v3_2,     ///< Django 3.2 (Debian 12's python3-django)
  current,  ///< Django 5.0 and later
};

}  // namespace sessions
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_DJANGO_VERSION_HPP
// ---- end sessions/django_version.hpp ----
// ---- begin sessions/auth/detail/salted_hmac.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_AUTH_DETAIL_SALTED_HMAC_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_AUTH_DETAIL_SALTED_HMAC_HPP
// Django's salted_hmac(key_salt, value, secret, algorithm).hexdigest():
//   key = H(key_salt + secret);  HMAC-H(key, value) in lowercase hex.
// SHA-256, and SHA-1 only for Django 3.2's legacy session auth hash (sessions written before
// Django 3.1), both through the project's libcrypto wrappers (crypto/).

// ---- begin sessions/crypto/sha1.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_CRYPTO_SHA1_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_CRYPTO_SHA1_HPP
// SHA-1 and HMAC-SHA1 through libcrypto, for Django's legacy formats only: Django 3.2 still
// accepts session auth hashes made with salted_hmac(..., algorithm="sha1") before 3.1. Nothing
// new is ever signed with these.

#include <openssl/hmac.h>

namespace sessions::crypto {

inline constexpr std::size_t sha1_size = 20;
using Sha1Digest = std::array<unsigned char, sha1_size>;

/// SHA-1 of `data`. Throws CryptoError if libcrypto fails.
[[nodiscard]] inline Sha1Digest sha1(ByteView data) {
  Sha1Digest out{};
  unsigned int length = 0;
  if (EVP_Digest(detail::non_null(data.data()), data.size(), out.data(), &length, EVP_sha1(), nullptr) != 1 ||
      length != out.size()) {
    detail::throw_crypto_error("SHA-1 failed");
  }
  return out;
}

/// HMAC-SHA1(key, message), one-shot.
[[nodiscard]] inline Sha1Digest hmac_sha1(ByteView key, ByteView message) {
  Sha1Digest out{};
  unsigned int length = 0;
  if (HMAC(EVP_sha1(), detail::non_null(key.data()), static_cast<int>(key.size()), detail::non_null(message.data()),
           message.size(), out.data(), &length) == nullptr ||
      length != out.size()) {
    detail::throw_crypto_error("HMAC-SHA1 failed");
  }
  return out;
}

}  // namespace sessions::crypto
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_CRYPTO_SHA1_HPP
// ---- end sessions/crypto/sha1.hpp ----

namespace sessions::auth::detail {

[[nodiscard]] inline std::string to_hex(const unsigned char* bytes, std::size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(size * 2, '\0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 15];
  }
  return out;
}

/// The keyed HMAC-SHA256 context of salted_hmac(key_salt, ..., secret, algorithm="sha256").
[[nodiscard]] inline crypto::HmacSha256 salted_hmac_sha256_key(std::string_view key_salt, std::string_view secret) {
  crypto::Sha256 hasher;
  hasher.update(key_salt).update(secret);
  const crypto::Sha256Digest key = hasher.finish();
  return crypto::HmacSha256(crypto::ByteView(key));
}

/// salted_hmac(key_salt, value, secret, algorithm="sha1").hexdigest().
[[nodiscard]] inline std::string salted_hmac_sha1_hex(std::string_view key_salt, std::string_view value,
                                                      std::string_view secret) {
  std::string key_input;
  key_input.reserve(key_salt.size() + secret.size());
  key_input.append(key_salt).append(secret);
  const crypto::Sha1Digest key = crypto::sha1(crypto::as_bytes(key_input));
  const crypto::Sha1Digest mac = crypto::hmac_sha1(crypto::ByteView(key), crypto::as_bytes(value));
  return to_hex(mac.data(), mac.size());
}

}  // namespace sessions::auth::detail
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_AUTH_DETAIL_SALTED_HMAC_HPP
// ---- end sessions/auth/detail/salted_hmac.hpp ----

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
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_AUTH_SESSION_AUTH_HASH_HPP
// ---- end sessions/auth/session_auth_hash.hpp ----

namespace sessions::auth {

inline constexpr std::string_view user_id_key = "_auth_user_id";
inline constexpr std::string_view backend_key = "_auth_user_backend";
inline constexpr std::string_view hash_key = "_auth_user_hash";
/// Django's default (and usually only) AUTHENTICATION_BACKENDS entry.
inline constexpr std::string_view model_backend = "django.contrib.auth.backends.ModelBackend";

/// The columns of Django's auth_user this layer needs.
struct User {
  std::string id;        ///< the primary key as text, as Django stores it in the session
  std::string password;  ///< the encoded password hash (auth_user.password)
  bool is_active = true;
  std::string username;
};

/// What get_user and login need to know about the Django site.
struct AuthConfig {
  explicit AuthConfig(SessionAuthHasher hasher_, std::vector<std::string> backends_ = {std::string(model_backend)})
      : hasher(std::move(hasher_)), backends(std::move(backends_)) {}
  SessionAuthHasher hasher;
  std::vector<std::string> backends;  ///< AUTHENTICATION_BACKENDS
};

/// Why get_user gave, or did not give, a user.
enum class AuthStatus {
  verified,             ///< the user, hash verified by the current key
  verified_fallback,    ///< the user, hash verified by a fallback key (Django 5.0+: key cycled, hash rewritten)
  verified_legacy,      ///< the user, legacy SHA-1 hash (Django 3.2)
  no_user,              ///< no `_auth_user_id` or no `_auth_user_backend` (anonymous)
  backend_not_allowed,  ///< the backend is not in AuthConfig::backends
  unknown_user,         ///< lookup found no such user
  inactive,             ///< the user is not active
  hash_mismatch,        ///< missing or wrong `_auth_user_hash`: the session was flushed
};

[[nodiscard]] constexpr std::string_view to_string(AuthStatus status) noexcept {
  switch (status) {
    case AuthStatus::verified:
      return "verified";
    case AuthStatus::verified_fallback:
      return "verified with a fallback key";
    case AuthStatus::verified_legacy:
      return "verified with a legacy SHA-1 hash";
    case AuthStatus::no_user:
      return "no user";
    case AuthStatus::backend_not_allowed:
      return "backend not allowed";
    case AuthStatus::unknown_user:
      return "unknown user";
    case AuthStatus::inactive:
      return "inactive user";
    case AuthStatus::hash_mismatch:
      return "hash mismatch";
  }
  return "unknown";
}

struct AuthResult {
  AuthStatus status = AuthStatus::no_user;
  std::optional<User> user;  ///< set exactly when status is one of the verified_* values
  [[nodiscard]] bool authenticated() const noexcept { return user.has_value(); }
};

namespace detail {

// The session's value under `key` when it is a string; ids also accept a JSON integer (a session
// written by hand), which Django's pk.to_python would accept too.
template <class SessionT>
[[nodiscard]] std::optional<std::string> session_text(SessionT& session, std::string_view key) {
  if (!session.contains(key)) return std::nullopt;
  const Data value = session.get(key);
  if (value.is_string()) return value.template get<std::string>();
  if (value.is_number_integer()) return value.dump();
  return std::nullopt;
}

}  // namespace detail

/// Django's login(request, user, backend).
template <class SessionT>
void login(SessionT& session, const User& user, const AuthConfig& config, std::string_view backend = {}) {
  std::string chosen(backend);
  if (chosen.empty()) {
    if (config.backends.size() != 1) {
      throw ConfigurationError("several authentication backends are configured: name the one that logged in");
    }
    chosen = config.backends.front();
  }
  const std::string hash = config.hasher.hash(user.password);
  if (session.contains(user_id_key)) {
    const std::optional<std::string> stored_id = detail::session_text(session, user_id_key);
    const std::string stored_hash = detail::session_text(session, hash_key).value_or("");
    if (stored_id != user.id || !crypto::constant_time_equal(stored_hash, hash)) session.flush();
  } else {
    session.cycle_key();
  }
  session.set(user_id_key, user.id);
  session.set(backend_key, chosen);
  session.set(hash_key, hash);
}

/// Django's logout(request): the whole session goes (data and key).
template <class SessionT>
void logout(SessionT& session) {
  session.flush();
}

/// Django's get_user(request), with `lookup(std::string_view id) -> std::optional<User>` standing
/// for the backend's get_user (e.g. UserTable::find).
template <class SessionT, class Lookup>
requires std::invocable<Lookup&, std::string_view>
[[nodiscard]] AuthResult get_user(SessionT& session, const AuthConfig& config, Lookup&& lookup) {
  const std::optional<std::string> id = detail::session_text(session, user_id_key);
  const std::optional<std::string> backend = detail::session_text(session, backend_key);
  if (!id || !backend) return {AuthStatus::no_user, std::nullopt};
  bool allowed = false;
  for (const std::string& configured : config.backends) allowed = allowed || configured == *backend;
  if (!allowed) return {AuthStatus::backend_not_allowed, std::nullopt};
  std::optional<User> user = lookup(std::string_view(*id));
  if (!user) return {AuthStatus::unknown_user, std::nullopt};
  if (!user->is_active) return {AuthStatus::inactive, std::nullopt};
  const std::string stored = detail::session_text(session, hash_key).value_or("");
  switch (config.hasher.verify(stored, user->password)) {
    case HashMatch::current_key:
      return {AuthStatus::verified, std::move(user)};
    case HashMatch::legacy_sha1:
      return {AuthStatus::verified_legacy, std::move(user)};
    case HashMatch::fallback_key:
      session.cycle_key();
      session.set(hash_key, config.hasher.hash(user->password));
      return {AuthStatus::verified_fallback, std::move(user)};
    case HashMatch::none:
      break;
  }
  session.flush();
  return {AuthStatus::hash_mismatch, std::nullopt};
}

/// Django's update_session_auth_hash(request, user), after `user.password` changed: a new
/// session key, and the new hash when the session belongs to `user`.
template <class SessionT>
void update_session_auth_hash(SessionT& session, const User& user, const AuthConfig& config) {
  session.cycle_key();
  if (detail::session_text(session, user_id_key) == user.id) session.set(hash_key, config.hasher.hash(user.password));
}

}  // namespace sessions::auth
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_AUTH_LOGIN_HPP
// ---- end sessions/auth/login.hpp ----
// ---- begin sessions/auth/password.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_AUTH_PASSWORD_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_AUTH_PASSWORD_HPP
// Django's password hashes (django.contrib.auth.hashers), so that a C++ login form can check the
// passwords of Django's users:
//
//   pbkdf2_sha256$<iterations>$<salt>$<base64(PBKDF2-HMAC-SHA256(password, salt, iterations, 32))>
//   pbkdf2_sha1$<iterations>$<salt>$<base64(PBKDF2-HMAC-SHA1(password, salt, iterations, 20))>
//
// (standard base64 with padding; Django's default hasher is the first, its iteration count grows
// with each release: 260000 in 3.2, 720000 in 5.0, 870000 in 5.1, 1000000 in 5.2.)
//
// check_password follows Django's check_password: an unusable password (`!...`, set by
// set_unusable_password) or an empty hash never verifies; the comparison covers the whole encoded
// text in constant time. Where Django would also answer False -- a hash made by a hasher Django
// knows but this library does not implement (argon2, bcrypt_sha256, bcrypt, scrypt, md5, sha1,
// unsalted_*, crypt) -- this throws UnsupportedHasher instead: a correct password must never be
// reported as wrong. Text that names no hasher at all is "wrong password", as in Django.
// Nothing here logs; neither passwords nor hashes appear in error messages.

// ---- begin sessions/crypto/pbkdf2.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_CRYPTO_PBKDF2_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_CRYPTO_PBKDF2_HPP
// PBKDF2-HMAC (RFC 8018) through libcrypto's PKCS5_PBKDF2_HMAC, for Django's password hashers
// (pbkdf2_sha256, pbkdf2_sha1). SHA-1 is only ever used here as the PRF of the legacy hasher,
// where its collision weakness does not matter.

namespace sessions::crypto {

enum class Pbkdf2Digest { sha256, sha1 };

/// The digest size of `digest`, which is also the key length Django derives.
[[nodiscard]] constexpr std::size_t pbkdf2_digest_size(Pbkdf2Digest digest) noexcept {
  return digest == Pbkdf2Digest::sha256 ? 32 : 20;
}

/// PBKDF2-HMAC-`digest`(password, salt, iterations) giving `length` bytes. CryptoError when the
/// iteration count or a length does not fit libcrypto's int, or libcrypto fails.
[[nodiscard]] inline std::vector<unsigned char> pbkdf2_hmac(Pbkdf2Digest digest, std::string_view password,
                                                            std::string_view salt, unsigned long iterations,
                                                            std::size_t length) {
  if (iterations == 0 || iterations > static_cast<unsigned long>(INT_MAX) || password.size() > INT_MAX ||
      salt.size() > INT_MAX || length == 0 || length > INT_MAX) {
    throw CryptoError("PBKDF2 parameters out of range");
  }
  const EVP_MD* md = digest == Pbkdf2Digest::sha256 ? EVP_sha256() : EVP_sha1();
  std::vector<unsigned char> out(length);
  // A null password or salt pointer is taken as an empty string by libcrypto only when the length
  // is 0; non_null keeps both well-defined.
  if (PKCS5_PBKDF2_HMAC(reinterpret_cast<const char*>(detail::non_null(as_bytes(password).data())),
                        static_cast<int>(password.size()), detail::non_null(as_bytes(salt).data()),
                        static_cast<int>(salt.size()), static_cast<int>(iterations), md, static_cast<int>(length),
                        out.data()) != 1) {
    detail::throw_crypto_error("PBKDF2 failed");
  }
  return out;
}

}  // namespace sessions::crypto
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_CRYPTO_PBKDF2_HPP
// ---- end sessions/crypto/pbkdf2.hpp ----
// ---- begin sessions/auth/detail/base64_std.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_AUTH_DETAIL_BASE64_STD_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_AUTH_DETAIL_BASE64_STD_HPP
// Standard base64 with padding (RFC 4648 section 4), as Python's base64.b64encode writes it:
// Django's password hashes carry their derived key in this alphabet, unlike signing's URL-safe,
// unpadded one.

namespace sessions::auth::detail {

[[nodiscard]] inline std::string base64_std_encode(crypto::ByteView bytes) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned n = (unsigned{bytes[i]} << 16) | (unsigned{bytes[i + 1]} << 8) | bytes[i + 2];
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    out += alphabet[n & 63];
  }
  const std::size_t left = bytes.size() - i;
  if (left > 0) {
    const unsigned n = (unsigned{bytes[i]} << 16) | (left == 2 ? unsigned{bytes[i + 1]} << 8 : 0U);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += left == 2 ? alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace sessions::auth::detail
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_AUTH_DETAIL_BASE64_STD_HPP
// ---- end sessions/auth/detail/base64_std.hpp ----

namespace sessions::auth {

/// Django's UNUSABLE_PASSWORD_PREFIX.
inline constexpr std::string_view unusable_password_prefix = "!";
/// Iteration counts above this are refused (ConfigurationError) rather than spending minutes of
/// CPU on one login: a hash from the database should never need more.
inline constexpr unsigned long max_pbkdf2_iterations = 100'000'000;
/// Django 3.2's PBKDF2PasswordHasher.iterations.
inline constexpr unsigned long django32_pbkdf2_iterations = 260'000;

namespace detail {

struct Pbkdf2Parts {
  crypto::Pbkdf2Digest digest;
  unsigned long iterations;
  std::string_view salt;
};

// The algorithm names Django ships hashers for that are not implemented here.
[[nodiscard]] inline bool is_known_unsupported(std::string_view algorithm) noexcept {
  for (const std::string_view name :
       {"argon2", "bcrypt_sha256", "bcrypt", "scrypt", "md5", "sha1", "unsalted_md5", "unsalted_sha1", "crypt"}) {
    if (algorithm == name) return true;
  }
  return false;
}

[[nodiscard]] inline std::string encode_pbkdf2(crypto::Pbkdf2Digest digest, std::string_view password,
                                               std::string_view salt, unsigned long iterations) {
  const auto key = crypto::pbkdf2_hmac(digest, password, salt, iterations, crypto::pbkdf2_digest_size(digest));
  std::string out = digest == crypto::Pbkdf2Digest::sha256 ? "pbkdf2_sha256$" : "pbkdf2_sha1$";
  out += std::to_string(iterations);
  out += '$';
  out += salt;
  out += '$';
  out += base64_std_encode(crypto::ByteView(key));
  return out;
}

}  // namespace detail

/// True when `encoded` can never verify: empty, or marked unusable (Django's is_password_usable).
[[nodiscard]] inline bool is_password_usable(std::string_view encoded) noexcept {
  return !encoded.empty() && !encoded.starts_with(unusable_password_prefix);
}

/// The hasher name of an encoded password (the text before the first `$`), empty if none.
[[nodiscard]] inline std::string_view password_algorithm(std::string_view encoded) noexcept {
  const std::size_t at = encoded.find('$');
  return at == std::string_view::npos ? std::string_view{} : encoded.substr(0, at);
}

/// Django's check_password(password, encoded) for pbkdf2_sha256 and pbkdf2_sha1 hashes.
/// false: wrong password, unusable or empty hash, text that names no hasher, or a malformed pbkdf2
/// hash. UnsupportedHasher: a Django hasher not implemented here. ConfigurationError: an iteration
/// count above max_pbkdf2_iterations.
[[nodiscard]] inline bool check_password(std::string_view password, std::string_view encoded) {
  if (!is_password_usable(encoded)) return false;
  const std::string_view algorithm = password_algorithm(encoded);
  crypto::Pbkdf2Digest digest{};
  if (algorithm == "pbkdf2_sha256") {
    digest = crypto::Pbkdf2Digest::sha256;
  } else if (algorithm == "pbkdf2_sha1") {
    digest = crypto::Pbkdf2Digest::sha1;
  } else if (detail::is_known_unsupported(algorithm)) {
    throw UnsupportedHasher(std::string(algorithm));
  } else {
    return false;  // gibberish or an unknown hasher: Django answers False too
  }
  // algorithm$iterations$salt$hash: Django splits on the first three `$` (the hash has none).
  std::string_view rest = encoded.substr(algorithm.size() + 1);
  const std::size_t a = rest.find('$');
  if (a == std::string_view::npos) return false;
  const std::string_view iterations_text = rest.substr(0, a);
  rest.remove_prefix(a + 1);
  const std::size_t b = rest.find('$');
  if (b == std::string_view::npos) return false;
  const std::string_view salt = rest.substr(0, b);
  unsigned long iterations = 0;
  const auto [end, ec] =
      std::from_chars(iterations_text.data(), iterations_text.data() + iterations_text.size(), iterations);
  if (ec != std::errc{} || end != iterations_text.data() + iterations_text.size() || iterations == 0) return false;
  if (iterations > max_pbkdf2_iterations) throw ConfigurationError("password hash iteration count is too large");
  const std::string expected = detail::encode_pbkdf2(digest, password, salt, iterations);
  return crypto::constant_time_equal(expected, encoded);
}

/// Django's make_password(password, salt, hasher) for the two PBKDF2 hashers. The salt must not
/// contain `$` (ConfigurationError); Django's own salts are 22 alphanumeric characters.
[[nodiscard]] inline std::string make_pbkdf2_password(std::string_view password, std::string_view salt,
                                                      unsigned long iterations = django32_pbkdf2_iterations,
                                                      crypto::Pbkdf2Digest digest = crypto::Pbkdf2Digest::sha256) {
  if (salt.empty() || salt.find('$') != std::string_view::npos) {
    throw ConfigurationError("a password salt must be non-empty and must not contain '$'");
  }
  if (iterations == 0 || iterations > max_pbkdf2_iterations) throw ConfigurationError("bad PBKDF2 iteration count");
  return detail::encode_pbkdf2(digest, password, salt, iterations);
}

}  // namespace sessions::auth
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_AUTH_PASSWORD_HPP
// ---- end sessions/auth/password.hpp ----
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_AUTH_AUTH_HPP
// ---- end sessions/auth/auth.hpp ----
