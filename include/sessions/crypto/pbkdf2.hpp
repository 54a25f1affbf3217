#pragma once
// PBKDF2-HMAC (RFC 8018) through libcrypto's PKCS5_PBKDF2_HMAC, for Django's password hashers
// (pbkdf2_sha256, pbkdf2_sha1). SHA-1 is only ever used here as the PRF of the legacy hasher,
// where its collision weakness does not matter.

#include <openssl/evp.h>

#include <climits>
#include <cstddef>
#include <string_view>
#include <vector>

#include "bytes.hpp"
#include "libcrypto.hpp"

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
