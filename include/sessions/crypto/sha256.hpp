#pragma once
// SHA-256 through libcrypto: a one-shot digest and an incremental hasher. Django derives every
// signing key as the SHA-256 of `salt + "signer" + secret` (salted_hmac), so this sits on the hot
// path of key setup, not of each signature.

#include <openssl/evp.h>

#include <array>
#include <cstddef>
#include <string_view>

#include "bytes.hpp"
#include "libcrypto.hpp"

namespace sessions::crypto {

inline constexpr std::size_t sha256_size = 32;
using Sha256Digest = std::array<unsigned char, sha256_size>;

/// SHA-256 of `data`. Throws CryptoError if libcrypto fails.
[[nodiscard]] inline Sha256Digest sha256(ByteView data) {
  Sha256Digest out{};
  unsigned int length = 0;
  if (EVP_Digest(detail::non_null(data.data()), data.size(), out.data(), &length, detail::sha256_md(), nullptr) != 1 ||
      length != out.size()) {
    detail::throw_crypto_error("SHA-256 failed");
  }
  return out;
}

[[nodiscard]] inline Sha256Digest sha256(std::string_view text) { return sha256(as_bytes(text)); }

/// Incremental SHA-256: hash a message given in pieces without joining them first. After
/// finish() the hasher is ready for a new message. Movable, not copyable.
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_) detail::throw_crypto_error("cannot allocate a digest context");
    reset();
  }

  Sha256& update(ByteView data) {
    if (!data.empty() && EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) != 1) {
      detail::throw_crypto_error("SHA-256 update failed");
    }
    return *this;
  }
  Sha256& update(std::string_view text) { return update(as_bytes(text)); }

  /// The digest of everything given since construction or the last finish().
  [[nodiscard]] Sha256Digest finish() {
    Sha256Digest out{};
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(ctx_.get(), out.data(), &length) != 1 || length != out.size()) {
      detail::throw_crypto_error("SHA-256 final failed");
    }
    reset();
    return out;
  }

 private:
  void reset() {
    if (EVP_DigestInit_ex(ctx_.get(), detail::sha256_md(), nullptr) != 1) {
      detail::throw_crypto_error("SHA-256 init failed");
    }
  }

  detail::MdCtxPtr ctx_;
};

}  // namespace sessions::crypto
