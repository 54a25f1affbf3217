#pragma once
// SHA-1 and HMAC-SHA1 through libcrypto, for Django's legacy formats only: Django 3.2 still
// accepts session auth hashes made with salted_hmac(..., algorithm="sha1") before 3.1. Nothing
// new is ever signed with these.

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cstddef>

#include "bytes.hpp"
#include "libcrypto.hpp"

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
