#pragma once
// HKDF-SHA256 (RFC 5869) through EVP_KDF: derives independent sub-keys from one secret, so a
// single configured secret can key signing, encryption and anything else without one use ever
// weakening another. Use a distinct `info` per purpose (e.g. "sessions encrypted cookie v1").

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <array>
#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "bytes.hpp"
#include "libcrypto.hpp"

namespace sessions::crypto {

/// The most output HKDF-SHA256 can give (255 blocks of 32 bytes, RFC 5869 section 2.3).
inline constexpr std::size_t hkdf_sha256_max_output = 255 * 32;

/// Fills `out` with HKDF-SHA256(ikm, salt, info) (extract then expand). An empty salt means the
/// RFC's default (32 zero bytes). Throws CryptoError if `ikm` is empty (libcrypto refuses a
/// missing key, and an empty secret is a configuration mistake anyway), if more than
/// hkdf_sha256_max_output bytes are asked for, or if libcrypto fails.
inline void hkdf_sha256(ByteView ikm, ByteView salt, ByteView info, std::span<unsigned char> out) {
  if (out.empty()) return;
  if (out.size() > hkdf_sha256_max_output) throw CryptoError("HKDF-SHA256 cannot produce more than 8160 bytes");
  if (ikm.empty()) throw CryptoError("HKDF-SHA256 needs a non-empty input key");
  const detail::KdfCtxPtr ctx(EVP_KDF_CTX_new(detail::hkdf_kdf()));
  if (!ctx) detail::throw_crypto_error("cannot allocate a KDF context");

  char digest_name[] = "SHA2-256";
  // OSSL_PARAM wants non-const pointers but only reads through them for these inputs.
  auto octets = [](const char* name, ByteView bytes) {
    return OSSL_PARAM_construct_octet_string(name, const_cast<unsigned char*>(bytes.data()), bytes.size());
  };
  OSSL_PARAM params[5];
  std::size_t n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest_name, 0);
  params[n++] = octets(OSSL_KDF_PARAM_KEY, ikm);
  if (!salt.empty()) params[n++] = octets(OSSL_KDF_PARAM_SALT, salt);
  if (!info.empty()) params[n++] = octets(OSSL_KDF_PARAM_INFO, info);
  params[n] = OSSL_PARAM_construct_end();
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) {
    detail::throw_crypto_error("HKDF-SHA256 derivation failed");
  }
}

/// HKDF-SHA256 returning `length` bytes.
[[nodiscard]] inline std::vector<unsigned char> hkdf_sha256(ByteView ikm, ByteView salt, ByteView info,
                                                            std::size_t length) {
  if (length > hkdf_sha256_max_output) throw CryptoError("HKDF-SHA256 cannot produce more than 8160 bytes");
  std::vector<unsigned char> out(length);
  hkdf_sha256(ikm, salt, info, std::span<unsigned char>(out));
  return out;
}

/// HKDF-SHA256 into a fixed-size key, e.g. `hkdf_sha256_key<32>(secret, {}, as_bytes("purpose"))`.
template <std::size_t N>
[[nodiscard]] std::array<unsigned char, N> hkdf_sha256_key(ByteView ikm, ByteView salt, ByteView info) {
  static_assert(N > 0 && N <= hkdf_sha256_max_output, "HKDF-SHA256 output must be 1..8160 bytes");
  std::array<unsigned char, N> out{};
  hkdf_sha256(ikm, salt, info, std::span<unsigned char>(out));
  return out;
}

}  // namespace sessions::crypto
