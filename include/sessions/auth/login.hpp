#pragma once
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

#include <concepts>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../crypto/compare.hpp"
#include "../data.hpp"
#include "../errors.hpp"
#include "session_auth_hash.hpp"

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
