#pragma once
// Django's salted_hmac(key_salt, value, secret, algorithm).hexdigest():
//   key = H(key_salt + secret);  HMAC-H(key, value) in lowercase hex.
// SHA-256 through the project's wrappers; SHA-1 only for Django 3.2's legacy session auth hash
// (sessions written before Django 3.1), through libcrypto's one-shot HMAC.

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "../../crypto/bytes.hpp"
#include "../../crypto/hmac.hpp"
#include "../../crypto/libcrypto.hpp"
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
  std::array<unsigned char, 20> key{};
  unsigned int key_length = 0;
  if (EVP_Digest(key_input.data(), key_input.size(), key.data(), &key_length, EVP_sha1(), nullptr) != 1 ||
      key_length != key.size()) {
    crypto::detail::throw_crypto_error("SHA-1 failed");
  }
  std::array<unsigned char, 20> mac{};
  unsigned int mac_length = 0;
  if (HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()),
           crypto::detail::non_null(crypto::as_bytes(value).data()), value.size(), mac.data(),
           &mac_length) == nullptr ||
      mac_length != mac.size()) {
    crypto::detail::throw_crypto_error("HMAC-SHA1 failed");
  }
  return to_hex(mac.data(), mac.size());
}

}  // namespace sessions::auth::detail
