#pragma once
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

#include <charconv>
#include <cstddef>
#include <string>
#include <string_view>

#include "../crypto/compare.hpp"
#include "../crypto/pbkdf2.hpp"
#include "../errors.hpp"
#include "detail/base64_std.hpp"
#include "errors.hpp"

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
