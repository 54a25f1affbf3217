// Django's login / logout / get_user / update_session_auth_hash rules and its session auth hash,
// checked against values Django 3.2 computed (django_vectors.hpp, from django_vectors.py).
#include <sessions/auth/auth.hpp>
#include <sessions/sessions.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/catch.hpp"
#include "unit/auth/django_vectors.hpp"

using sessions::DjangoVersion;
using sessions::auth::AuthConfig;
using sessions::auth::AuthStatus;
using sessions::auth::HashMatch;
using sessions::auth::SessionAuthHasher;
using sessions::auth::User;

namespace {

using AuthSession = sessions::Session<sessions::MemoryStore>;

struct AuthFixture {
  sessions::MemoryStore store;
  AuthConfig config{SessionAuthHasher(django_vectors::secret)};
  std::vector<User> users{{"1", "pbkdf2_sha256$260000$a$alice-hash=", true, "alice"},
                          {"2", "pbkdf2_sha256$260000$b$bob-hash=", true, "bob"},
                          {"3", "pbkdf2_sha256$260000$c$carol-hash=", false, "carol"}};

  [[nodiscard]] auto lookup() {
    return [this](std::string_view id) -> std::optional<User> {
      for (const User& user : users) {
        if (user.id == id) return user;
      }
      return std::nullopt;
    };
  }
  // A saved session holding some data, reopened: the state a request finds.
  [[nodiscard]] std::string saved_session(const sessions::Data& data) {
    AuthSession session{store};
    session.update(data);
    session.save();
    return *session.session_key();
  }
};

}  // namespace

TEST_CASE("auth: the session auth hash is Django's salted HMAC-SHA256 of the password field", "[auth][hash]") {
  const SessionAuthHasher hasher(django_vectors::secret);
  const SessionAuthHasher legacy(django_vectors::secret, {}, DjangoVersion::v3_2);
  for (const auto& vector : django_vectors::auth_hashes) {
    CHECK(hasher.hash(vector.password) == vector.sha256);
    CHECK(hasher.verify(vector.sha256, vector.password) == HashMatch::current_key);
    // Django 3.2 accepts the pre-3.1 SHA-1 form; current Django does not.
    CHECK(legacy.verify(vector.sha1, vector.password) == HashMatch::legacy_sha1);
    CHECK(hasher.verify(vector.sha1, vector.password) == HashMatch::none);
  }
  CHECK(hasher.verify("", "") == HashMatch::none);  // an empty stored hash never verifies
  std::string tampered(django_vectors::auth_hashes[0].sha256);
  tampered[10] = tampered[10] == '0' ? '1' : '0';
  CHECK(hasher.verify(tampered, django_vectors::auth_hashes[0].password) == HashMatch::none);
}

TEST_CASE("auth: fallback keys verify only for current Django; 3.2 refuses them", "[auth][hash]") {
  const std::vector<std::string> fallbacks{"old key", std::string(django_vectors::secret)};
  const SessionAuthHasher rotated("new key", fallbacks);
  const auto& vector = django_vectors::auth_hashes[0];
  CHECK(rotated.verify(vector.sha256, vector.password) == HashMatch::fallback_key);
  CHECK(rotated.hash(vector.password) != vector.sha256);
  CHECK_THROWS_AS(SessionAuthHasher("new key", fallbacks, DjangoVersion::v3_2), sessions::ConfigurationError);
  CHECK_THROWS_AS(SessionAuthHasher(""), sessions::ConfigurationError);
}

TEST_CASE("auth: login into an anonymous session cycles the key and keeps the data", "[auth][login]") {
  AuthFixture f;
  const std::string key = f.saved_session({{"cart", 3}});
  AuthSession session{f.store, key};
  sessions::auth::login(session, f.users[0], f.config);
  CHECK(session.session_key() != key);
  CHECK(session.get("cart") == 3);
  CHECK(session.get("_auth_user_id") == "1");
  CHECK(session.get("_auth_user_backend") == "django.contrib.auth.backends.ModelBackend");
  CHECK(session.get("_auth_user_hash") == f.config.hasher.hash(f.users[0].password));
}

TEST_CASE("auth: login of the same user with a valid hash keeps session and key", "[auth][login]") {
  AuthFixture f;
  AuthSession first{f.store};
  sessions::auth::login(first, f.users[0], f.config);
  first.set("cart", 1);
  first.save();
  AuthSession again{f.store, *first.session_key()};
  sessions::auth::login(again, f.users[0], f.config);
  CHECK(again.session_key() == first.session_key());
  CHECK(again.get("cart") == 1);
}

TEST_CASE("auth: login of another user, or with a stale hash, flushes the session", "[auth][login]") {
  AuthFixture f;
  AuthSession first{f.store};
  sessions::auth::login(first, f.users[0], f.config);
  first.set("cart", 1);
  first.save();
  const std::string key = *first.session_key();

  SECTION("another user") {
    AuthSession session{f.store, key};
    sessions::auth::login(session, f.users[1], f.config);
    CHECK_FALSE(session.contains("cart"));
    CHECK(session.get("_auth_user_id") == "2");
    CHECK(session.session_key() != key);  // flushed: no key until the next save gives a new one
    CHECK_FALSE(f.store.exists(key));
  }
  SECTION("the same user after a password change") {
    f.users[0].password = "pbkdf2_sha256$260000$a$changed=";
    AuthSession session{f.store, key};
    sessions::auth::login(session, f.users[0], f.config);
    CHECK_FALSE(session.contains("cart"));
    CHECK(session.get("_auth_user_hash") == f.config.hasher.hash(f.users[0].password));
  }
}

TEST_CASE("auth: login needs a backend name when several are configured", "[auth][login]") {
  AuthFixture f;
  AuthConfig several{SessionAuthHasher("k"), {"a.Backend", "b.Backend"}};
  AuthSession session{f.store};
  CHECK_THROWS_AS(sessions::auth::login(session, f.users[0], several), sessions::ConfigurationError);
  sessions::auth::login(session, f.users[0], several, "b.Backend");
  CHECK(session.get("_auth_user_backend") == "b.Backend");
}

TEST_CASE("auth: get_user gives the user only when the hash verifies", "[auth][get_user]") {
  AuthFixture f;
  AuthSession login_session{f.store};
  login_session.set("cart", 1);
  sessions::auth::login(login_session, f.users[0], f.config);
  login_session.save();
  const std::string key = *login_session.session_key();

  SECTION("verified") {
    AuthSession session{f.store, key};
    const auto result = sessions::auth::get_user(session, f.config, f.lookup());
    REQUIRE(result.authenticated());
    CHECK(result.status == AuthStatus::verified);
    CHECK(result.user->username == "alice");
  }
  SECTION("the password changed elsewhere: flushed") {
    f.users[0].password = "pbkdf2_sha256$260000$a$changed=";
    AuthSession session{f.store, key};
    const auto result = sessions::auth::get_user(session, f.config, f.lookup());
    CHECK(result.status == AuthStatus::hash_mismatch);
    CHECK_FALSE(result.authenticated());
    CHECK(session.is_empty());
    CHECK_FALSE(session.session_key().has_value());
    CHECK_FALSE(f.store.exists(key));  // flush deleted the stored session
  }
  SECTION("a missing hash: flushed") {
    AuthSession session{f.store, key};
    session.erase("_auth_user_hash");
    CHECK(sessions::auth::get_user(session, f.config, f.lookup()).status == AuthStatus::hash_mismatch);
    CHECK_FALSE(session.contains("cart"));
  }
  SECTION("unknown and inactive users: anonymous, session untouched") {
    AuthSession session{f.store, key};
    f.users.erase(f.users.begin());
    CHECK(sessions::auth::get_user(session, f.config, f.lookup()).status == AuthStatus::unknown_user);
    session.set("_auth_user_id", "3");
    CHECK(sessions::auth::get_user(session, f.config, f.lookup()).status == AuthStatus::inactive);
    CHECK(session.get("cart") == 1);
  }
  SECTION("a backend not configured: anonymous, session untouched") {
    AuthSession session{f.store, key};
    session.set("_auth_user_backend", "other.Backend");
    CHECK(sessions::auth::get_user(session, f.config, f.lookup()).status == AuthStatus::backend_not_allowed);
    CHECK(session.get("cart") == 1);
  }
  SECTION("no user keys") {
    AuthSession session{f.store};
    CHECK(sessions::auth::get_user(session, f.config, f.lookup()).status == AuthStatus::no_user);
  }
}

TEST_CASE("auth: a hash made with a fallback key cycles the key and is rewritten (Django 5.0+)", "[auth][get_user]") {
  AuthFixture f;
  AuthSession old_session{f.store};
  sessions::auth::login(old_session, f.users[0], f.config);  // signed with the old key
  old_session.save();
  const std::string key = *old_session.session_key();
  AuthSession copy{f.store};  // the same login state under a second key, for the 3.2 check below
  copy.update(old_session.data());
  copy.save();
  const std::string copy_key = *copy.session_key();
  const std::vector<std::string> fallbacks{std::string(django_vectors::secret)};
  const AuthConfig rotated{SessionAuthHasher("new key", fallbacks)};
  AuthSession session{f.store, key};
  const auto result = sessions::auth::get_user(session, rotated, f.lookup());
  CHECK(result.status == AuthStatus::verified_fallback);
  CHECK(session.session_key() != key);
  CHECK(session.get("_auth_user_hash") == rotated.hasher.hash(f.users[0].password));
  // Without the fallback (Django 3.2 has none) the same session is flushed.
  AuthSession again{f.store, copy_key};
  const AuthConfig no_fallback{SessionAuthHasher("new key", {}, DjangoVersion::v3_2)};
  CHECK(sessions::auth::get_user(again, no_fallback, f.lookup()).status == AuthStatus::hash_mismatch);
}

TEST_CASE("auth: update_session_auth_hash keeps the changing session logged in", "[auth][update]") {
  AuthFixture f;
  AuthSession session{f.store};
  sessions::auth::login(session, f.users[0], f.config);
  session.save();
  const std::string key = *session.session_key();
  f.users[0].password = "pbkdf2_sha256$260000$a$new=";
  sessions::auth::update_session_auth_hash(session, f.users[0], f.config);
  CHECK(session.session_key() != key);
  session.save();
  CHECK(sessions::auth::get_user(session, f.config, f.lookup()).status == AuthStatus::verified);
  // Another user's object: the key still cycles, the hash is left alone.
  const sessions::Data before = session.get("_auth_user_hash");
  sessions::auth::update_session_auth_hash(session, f.users[1], f.config);
  CHECK(session.get("_auth_user_hash") == before);
}

TEST_CASE("auth: logout flushes data and key", "[auth][logout]") {
  AuthFixture f;
  AuthSession session{f.store};
  sessions::auth::login(session, f.users[0], f.config);
  session.save();
  const std::string key = *session.session_key();
  sessions::auth::logout(session);
  CHECK(session.is_empty());
  CHECK_FALSE(f.store.exists(key));
}
