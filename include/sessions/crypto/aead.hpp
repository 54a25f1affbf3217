#pragma once
// AES-256-GCM authenticated encryption, for stores that must hide session data from the client
// (an encrypted cookie) rather than only detect tampering (Django's signed cookie).
//
// Sealed layout: nonce (12 bytes) || ciphertext (same length as the plaintext) || tag (16 bytes).
// The nonce is fresh random bytes from crypto/random.hpp for every seal: with random 96-bit
// nonces, one key stays safe for about 2^32 seals (NIST SP 800-38D); derive per-purpose keys with
// kdf.hpp and rotate keys well before that.
//
// Error policy: open() returns std::nullopt for every input that does not authenticate (wrong
// key, wrong associated data, any changed/truncated/extended byte). That is an expected outcome
// for data from a client, not an exception. CryptoError is thrown only when libcrypto itself fails
// (allocation, missing algorithm), never because of the input's content.

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "bytes.hpp"
#include "libcrypto.hpp"
#include "random.hpp"

namespace sessions::crypto {

inline constexpr std::size_t aes256gcm_key_size = 32;
inline constexpr std::size_t aes256gcm_nonce_size = 12;
inline constexpr std::size_t aes256gcm_tag_size = 16;
/// Bytes a sealed message has beyond its plaintext.
inline constexpr std::size_t aes256gcm_overhead = aes256gcm_nonce_size + aes256gcm_tag_size;

using Aes256GcmKey = std::array<unsigned char, aes256gcm_key_size>;
using Aes256GcmKeyView = std::span<const unsigned char, aes256gcm_key_size>;
using Aes256GcmNonceView = std::span<const unsigned char, aes256gcm_nonce_size>;

namespace detail {

// EVP update calls take int lengths; feed larger buffers in pieces (GCM is a stream mode, so
// splitting changes nothing in the output).
inline constexpr std::size_t gcm_chunk = std::size_t{1} << 30;

template <class Update>
void gcm_update_chunks(ByteView in, unsigned char* out, Update update) {
  while (!in.empty()) {
    const std::size_t n = in.size() < gcm_chunk ? in.size() : gcm_chunk;
    int written = 0;
    if (update(out, &written, in.data(), static_cast<int>(n)) != 1 || static_cast<std::size_t>(written) != n) {
      throw_crypto_error("AES-GCM update failed");
    }
    in = in.subspan(n);
    if (out != nullptr) out += n;
  }
}

inline CipherCtxPtr gcm_context() {
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) throw_crypto_error("cannot allocate a cipher context");
  return ctx;
}

/// Seal with a caller-chosen nonce. Only for known-answer tests: re-using a nonce under one key
/// destroys GCM's security, which is why the public seal() always draws a random one.
[[nodiscard]] inline std::vector<unsigned char> aes256gcm_seal_with_nonce(Aes256GcmKeyView key,
                                                                          Aes256GcmNonceView nonce, ByteView plaintext,
                                                                          ByteView aad) {
  std::vector<unsigned char> out(aes256gcm_nonce_size + plaintext.size() + aes256gcm_tag_size);
  std::copy(nonce.begin(), nonce.end(), out.begin());
  const CipherCtxPtr ctx = gcm_context();
  // AES-256-GCM's default IV length in libcrypto is 12 bytes, the size used here.
  if (EVP_EncryptInit_ex2(ctx.get(), aes256gcm_cipher(), key.data(), nonce.data(), nullptr) != 1) {
    throw_crypto_error("AES-GCM encrypt init failed");
  }
  const auto update = [&](unsigned char* o, int* n, const unsigned char* i, int len) {
    return EVP_EncryptUpdate(ctx.get(), o, n, i, len);
  };
  gcm_update_chunks(aad, nullptr, update);
  gcm_update_chunks(plaintext, out.data() + aes256gcm_nonce_size, update);
  int tail = 0;
  if (EVP_EncryptFinal_ex(ctx.get(), out.data() + aes256gcm_nonce_size + plaintext.size(), &tail) != 1 || tail != 0) {
    throw_crypto_error("AES-GCM encrypt final failed");
  }
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, static_cast<int>(aes256gcm_tag_size),
                          out.data() + aes256gcm_nonce_size + plaintext.size()) != 1) {
    throw_crypto_error("AES-GCM tag retrieval failed");
  }
  return out;
}

}  // namespace detail

/// Encrypts and authenticates `plaintext` (and authenticates, without encrypting, `aad`) under a
/// fresh random nonce. Returns nonce || ciphertext || tag. Throws CryptoError if libcrypto fails.
[[nodiscard]] inline std::vector<unsigned char> aes256gcm_seal(Aes256GcmKeyView key, ByteView plaintext,
                                                               ByteView aad = {}) {
  std::array<unsigned char, aes256gcm_nonce_size> nonce{};
  random_bytes(nonce);
  return detail::aes256gcm_seal_with_nonce(key, nonce, plaintext, aad);
}

/// Verifies and decrypts what aes256gcm_seal produced with the same key and `aad`. Returns the
/// plaintext, or std::nullopt if the input is too short or does not authenticate. No plaintext
/// is ever returned (or left in memory) for input that fails the tag check.
[[nodiscard]] inline std::optional<std::vector<unsigned char>> aes256gcm_open(Aes256GcmKeyView key, ByteView sealed,
                                                                              ByteView aad = {}) {
  if (sealed.size() < aes256gcm_overhead) return std::nullopt;
  const ByteView nonce = sealed.first(aes256gcm_nonce_size);
  const ByteView ciphertext = sealed.subspan(aes256gcm_nonce_size, sealed.size() - aes256gcm_overhead);
  const ByteView tag = sealed.last(aes256gcm_tag_size);

  const detail::CipherCtxPtr ctx = detail::gcm_context();
  if (EVP_DecryptInit_ex2(ctx.get(), detail::aes256gcm_cipher(), key.data(), nonce.data(), nullptr) != 1) {
    detail::throw_crypto_error("AES-GCM decrypt init failed");
  }
  // The ctrl takes a non-const pointer but only copies the tag in.
  std::array<unsigned char, aes256gcm_tag_size> expected_tag{};
  std::copy(tag.begin(), tag.end(), expected_tag.begin());
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, static_cast<int>(expected_tag.size()),
                          expected_tag.data()) != 1) {
    detail::throw_crypto_error("AES-GCM set tag failed");
  }
  std::vector<unsigned char> plaintext(ciphertext.size());
  const auto update = [&](unsigned char* o, int* n, const unsigned char* i, int len) {
    return EVP_DecryptUpdate(ctx.get(), o, n, i, len);
  };
  detail::gcm_update_chunks(aad, nullptr, update);
  detail::gcm_update_chunks(ciphertext, plaintext.data(), update);
  int tail = 0;
  // Final is where the tag is checked; its failure means "not authentic".
  if (EVP_DecryptFinal_ex(ctx.get(), plaintext.data() + plaintext.size(), &tail) != 1) {
    ERR_clear_error();
    if (!plaintext.empty()) OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return std::nullopt;
  }
  return plaintext;
}

}  // namespace sessions::crypto
