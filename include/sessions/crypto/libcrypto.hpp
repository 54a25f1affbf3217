#pragma once
// Internal glue to libcrypto (OpenSSL 3) shared by the crypto/ headers: owning handles, cached
// algorithm fetches, and turning libcrypto's error queue into sessions::CryptoError.
//
// Why fetch explicitly: with OpenSSL 3 the legacy getters (EVP_sha256(), ...) make every
// Init call look the algorithm up in the provider store again, under a lock. Fetching once per
// process and keeping the handle makes the per-message cost only the hashing itself. The handles
// live for the whole process (function-local statics: initialised once, thread-safely).

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <memory>
#include <string>

#include "../errors.hpp"

namespace sessions::crypto::detail {

/// Throws CryptoError for a failed libcrypto call, with libcrypto's reason when it gave one. The
/// thread's error queue is emptied so a stale entry cannot be blamed on a later, unrelated call.
[[noreturn]] inline void throw_crypto_error(const char* what) {
  std::string message = std::string("libcrypto: ") + what;
  if (const unsigned long code = ERR_peek_last_error(); code != 0) {
    char reason[256];
    ERR_error_string_n(code, reason, sizeof reason);
    message += " (";
    message += reason;
    message += ')';
  }
  ERR_clear_error();
  throw CryptoError(message);
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); }
};
struct MacCtxFree {
  void operator()(EVP_MAC_CTX* p) const noexcept { EVP_MAC_CTX_free(p); }
};
struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* p) const noexcept { EVP_CIPHER_CTX_free(p); }
};
struct KdfCtxFree {
  void operator()(EVP_KDF_CTX* p) const noexcept { EVP_KDF_CTX_free(p); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using MacCtxPtr = std::unique_ptr<EVP_MAC_CTX, MacCtxFree>;
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;
using KdfCtxPtr = std::unique_ptr<EVP_KDF_CTX, KdfCtxFree>;

// Each getter throws if the default provider lacks the algorithm; a later call tries again,
// because a static whose initialiser throws is not considered initialised.

[[nodiscard]] inline EVP_MD* sha256_md() {
  static EVP_MD* const md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
    if (fetched == nullptr) throw_crypto_error("SHA-256 is not available");
    return fetched;
  }();
  return md;
}

[[nodiscard]] inline EVP_MAC* hmac_mac() {
  static EVP_MAC* const mac = [] {
    EVP_MAC* fetched = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (fetched == nullptr) throw_crypto_error("HMAC is not available");
    return fetched;
  }();
  return mac;
}

[[nodiscard]] inline EVP_CIPHER* aes256gcm_cipher() {
  static EVP_CIPHER* const cipher = [] {
    EVP_CIPHER* fetched = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
    if (fetched == nullptr) throw_crypto_error("AES-256-GCM is not available");
    return fetched;
  }();
  return cipher;
}

[[nodiscard]] inline EVP_KDF* hkdf_kdf() {
  static EVP_KDF* const kdf = [] {
    EVP_KDF* fetched = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
    if (fetched == nullptr) throw_crypto_error("HKDF is not available");
    return fetched;
  }();
  return kdf;
}

/// libcrypto refuses a null pointer even for zero bytes in some calls; this gives a valid one.
[[nodiscard]] inline const unsigned char* non_null(const unsigned char* p) noexcept {
  static const unsigned char empty = 0;
  return p != nullptr ? p : &empty;
}

}  // namespace sessions::crypto::detail
