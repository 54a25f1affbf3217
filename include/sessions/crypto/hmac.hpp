#pragma once
// HMAC-SHA256 through EVP_MAC (OpenSSL 3).
//
// Why a keyed object: one-shot HMAC() fetches the algorithm, allocates a context and hashes the
// padded key twice for every message. A context keyed once and re-initialised per message
// (EVP_MAC_init with a null key keeps the key) skips all of that: on a 17-byte message (OpenSSL
// 3.0, -O2) one-shot HMAC() took 1.7-3.5 us and a re-initialised keyed context 0.27-0.75 us, i.e.
// 3-7x faster. Signers therefore keep their keyed contexts.
//
// - HmacSha256: one keyed context; fastest; NOT safe to use from two threads at once.
// - SharedHmacSha256: the same, safe to call concurrently from const members (a signer shared by
//   every request thread); see its comment for how it avoids blocking.
// - hmac_sha256(): one-shot, for one-off uses and tests.

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <memory>
#include <mutex>
#include <string_view>

#include "bytes.hpp"
#include "libcrypto.hpp"
#include "sha256.hpp"

namespace sessions::crypto {

/// An HMAC-SHA256 context keyed once, re-used for any number of messages. Movable, not copyable
/// (use clone() for an independent copy). Not thread-safe: one thread at a time per object. A
/// moved-from object may only be assigned to or destroyed.
class HmacSha256 {
 public:
  explicit HmacSha256(ByteView key) : ctx_(EVP_MAC_CTX_new(detail::hmac_mac())) {
    if (!ctx_) detail::throw_crypto_error("cannot allocate an HMAC context");
    char digest_name[] = "SHA2-256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
                                 OSSL_PARAM_construct_end()};
    // A null key would mean "keep the previous key"; an empty key must still be a real pointer.
    if (EVP_MAC_init(ctx_.get(), detail::non_null(key.data()), key.size(), params) != 1) {
      detail::throw_crypto_error("HMAC-SHA256 keying failed");
    }
  }
  explicit HmacSha256(std::string_view key) : HmacSha256(as_bytes(key)) {}

  HmacSha256(HmacSha256&&) noexcept = default;
  HmacSha256& operator=(HmacSha256&&) noexcept = default;
  HmacSha256(const HmacSha256&) = delete;
  HmacSha256& operator=(const HmacSha256&) = delete;
  ~HmacSha256() = default;

  /// HMAC-SHA256(key, message).
  [[nodiscard]] Sha256Digest mac(ByteView message) {
    if (!ctx_) throw CryptoError("HmacSha256 used after it was moved from");
    // Null key: re-initialise with the key already set (the cheap path this class exists for).
    if (EVP_MAC_init(ctx_.get(), nullptr, 0, nullptr) != 1) detail::throw_crypto_error("HMAC re-init failed");
    return finish(message);
  }
  [[nodiscard]] Sha256Digest mac(std::string_view message) { return mac(as_bytes(message)); }

  /// An independent context with the same key (EVP_MAC_CTX_dup). Only reads this object, so
  /// several threads may clone the same object concurrently as long as none calls mac() on it.
  [[nodiscard]] HmacSha256 clone() const {
    if (!ctx_) throw CryptoError("HmacSha256 used after it was moved from");
    detail::MacCtxPtr copy(EVP_MAC_CTX_dup(ctx_.get()));
    if (!copy) detail::throw_crypto_error("cannot copy an HMAC context");
    return HmacSha256(std::move(copy));
  }

 private:
  explicit HmacSha256(detail::MacCtxPtr ctx) noexcept : ctx_(std::move(ctx)) {}

  // Runs update + final on a context that is already initialised for a new message.
  [[nodiscard]] Sha256Digest finish(ByteView message) {
    if (!message.empty() && EVP_MAC_update(ctx_.get(), message.data(), message.size()) != 1) {
      detail::throw_crypto_error("HMAC update failed");
    }
    Sha256Digest out{};
    std::size_t length = 0;
    if (EVP_MAC_final(ctx_.get(), out.data(), &length, out.size()) != 1 || length != out.size()) {
      detail::throw_crypto_error("HMAC final failed");
    }
    return out;
  }

  detail::MacCtxPtr ctx_;
};

/// HMAC-SHA256 that several threads may call at once through a const reference, without
/// blocking each other. The common, uncontended case takes a mutex with try_lock and re-uses the
/// keyed context (the fast path above). A caller that finds it busy does not wait: it clones a
/// pristine keyed context that nobody ever MACs with (so cloning it is a pure read) and uses the
/// copy once. Movable, not copyable.
class SharedHmacSha256 {
 public:
  explicit SharedHmacSha256(ByteView key) : state_(std::make_unique<State>(HmacSha256(key))) {}
  explicit SharedHmacSha256(std::string_view key) : SharedHmacSha256(as_bytes(key)) {}

  [[nodiscard]] Sha256Digest mac(ByteView message) const {
    State& state = *state_;
    std::unique_lock<std::mutex> lock(state.mutex, std::try_to_lock);
    if (lock.owns_lock()) return state.working.mac(message);
    return state.pristine.clone().mac(message);
  }
  [[nodiscard]] Sha256Digest mac(std::string_view message) const { return mac(as_bytes(message)); }

 private:
  struct State {
    explicit State(HmacSha256 keyed) : pristine(std::move(keyed)), working(pristine.clone()) {}
    const HmacSha256 pristine;  // only ever cloned
    std::mutex mutex;           // guards `working`
    HmacSha256 working;
  };
  std::unique_ptr<State> state_;
};

/// One-shot HMAC-SHA256(key, message).
[[nodiscard]] inline Sha256Digest hmac_sha256(ByteView key, ByteView message) { return HmacSha256(key).mac(message); }
[[nodiscard]] inline Sha256Digest hmac_sha256(std::string_view key, std::string_view message) {
  return hmac_sha256(as_bytes(key), as_bytes(message));
}

}  // namespace sessions::crypto
