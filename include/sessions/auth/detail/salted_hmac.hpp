#pragma once
// Django's salted_hmac(key_salt, value, secret, algorithm).hexdigest():
//   key = H(key_salt + secret);  HMAC-H(key, value) in lowercase hex.
// SHA-256, and SHA-1 only for Django 3.2's legacy session auth hash (sessions written before
// Django 3.1), both through the project's libcrypto wrappers (crypto/).

#include <cstddef>
#include <string>
#include <string_view>

#include "../../crypto/bytes.hpp"
#include "../../crypto/hmac.hpp"
#include "../../crypto/sha1.hpp"
#include "../../crypto/sha256.hpp"

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
