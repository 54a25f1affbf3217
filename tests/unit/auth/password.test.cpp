// Django's PBKDF2 password hashes, against Django 3.2's make_password (django_vectors.hpp).
#include <sessions/auth/password.hpp>

#include <string>

#include "support/catch.hpp"
#include "unit/auth/django_vectors.hpp"

using sessions::auth::check_password;

TEST_CASE("password: Django's pbkdf2_sha256 and pbkdf2_sha1 hashes check", "[auth][password]") {
  for (const auto& vector : django_vectors::passwords) {
    CHECK(check_password(vector.password, vector.encoded));
    CHECK_FALSE(check_password(std::string(vector.password) + "x", vector.encoded));
  }
  const auto& first = django_vectors::passwords[0];
  CHECK(sessions::auth::make_pbkdf2_password(first.password, "saltsalt1234") == first.encoded);
  CHECK(
      sessions::auth::make_pbkdf2_password("correct horse", "sha1salt", 260000, sessions::crypto::Pbkdf2Digest::sha1) ==
      django_vectors::passwords[3].encoded);
}

TEST_CASE("password: a tampered hash never verifies", "[auth][password]") {
  std::string encoded(django_vectors::passwords[0].encoded);
  encoded[encoded.size() - 3] = encoded[encoded.size() - 3] == 'A' ? 'B' : 'A';
  CHECK_FALSE(check_password(django_vectors::passwords[0].password, encoded));
  CHECK_FALSE(check_password("correct horse",
                             "pbkdf2_sha256$260001$saltsalt1234$9ymLdlJE6ce2aM+rgFsqrpRHjeEpjwljyIltxA6vTnw="));
}

TEST_CASE("password: other Django hashers are an UnsupportedHasher error, never 'wrong password'", "[auth][password]") {
  for (const char* encoded : {"argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA",
                              "bcrypt_sha256$$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234",
                              "scrypt$16384$salt$8$1$aGFzaA==", "md5$salt$0123456789abcdef0123456789abcdef"}) {
    CHECK_THROWS_AS(check_password("secret", encoded), sessions::auth::UnsupportedHasher);
  }
  try {
    (void)check_password("secret", "argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA");
    FAIL("no exception");
  } catch (const sessions::auth::UnsupportedHasher& e) {
    CHECK(e.algorithm() == "argon2");
    CHECK(std::string(e.what()).find("c2FsdA") == std::string::npos);  // the hash never appears
  }
}

TEST_CASE("password: unusable, empty, gibberish and malformed hashes are false", "[auth][password]") {
  CHECK_FALSE(check_password("", ""));
  CHECK_FALSE(check_password("x", "!unusablepasswordxxxxxxxxxxxxxxxxxxxxxxx"));
  CHECK_FALSE(check_password("x", "no dollar at all"));
  CHECK_FALSE(check_password("x", "nosuchhasher$1$2$3"));
  CHECK_FALSE(check_password("x", "pbkdf2_sha256$abc$salt$hash"));
  CHECK_FALSE(check_password("x", "pbkdf2_sha256$0$salt$hash"));
  CHECK_FALSE(check_password("x", "pbkdf2_sha256$1000"));
  CHECK_THROWS_AS(check_password("x", "pbkdf2_sha256$999999999999$salt$hash"), sessions::ConfigurationError);
  CHECK_THROWS_AS(sessions::auth::make_pbkdf2_password("x", "a$b"), sessions::ConfigurationError);
}
