#pragma once
// EncryptedSerializer<Inner>: session data at rest sealed with AES-256-GCM, so that whoever reads
// the store (a Redis or memcached dump, an SQL backup, a replica) learns nothing without the
// secret, and cannot change a value or move it to another session (Spring Session's and
// connect-redis's encrypted stores). The data is first written by `Inner` (JsonSerializer by
// default, or CborSerializer / MessagePackSerializer), then sealed.
//
// Stored bytes: version (1 byte, 0x01) || KID (4 bytes) || nonce (12) || ciphertext || tag (16)
//   - Key: HKDF-SHA256 of the secret (salt "sessions.EncryptedSerializer", info "aes-256-gcm
//     v1"), never the raw secret, and not the key an EncryptedCookieStore or Django's signing
//     derives from the same secret.
//   - KID: the first 4 bytes of SHA-256 of that key, so loads() tries the right key at once.
//     Rotation: the new secret first, the old ones as fallback_keys; values sealed under a
//     fallback still load, and needs_rewrite() tells the session to seal them again under the
//     current key on its next save, even if the data did not change.
//   - Associated data: the version and KID, then the session key (the key the client holds): a
//     value copied under another key, in this store or another, does not open. The server flow
//     hands the key over through the keyed form (KeyedSerializer); there is no unkeyed form.
//   - Nonce: 96 random bits per seal. Random nonces keep one key safe for about 2^32 seals
//     (NIST SP 800-38D); nothing counts them (the processes sharing a secret would each count
//     their own): rotate the secret well before that many saves.
// A value that does not open (another key or secret, tampered, truncated, another version) is
// BadSignature; the session then reads as empty and the security logger says why, as for
// corrupted data. The bytes are binary: in an SQL store, wrap the serializer in Base64Serializer.

#include <array>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../concepts.hpp"
#include "../crypto/aead.hpp"
#include "../crypto/bytes.hpp"
#include "../crypto/kdf.hpp"
#include "../crypto/sha256.hpp"
#include "../data.hpp"
#include "../errors.hpp"
#include "json.hpp"

namespace sessions {

template <class Inner = JsonSerializer>
requires requirement::serializer_dumps<Inner> && requirement::serializer_loads<Inner>
class EncryptedSerializer {
 public:
  /// Every seal draws a fresh nonce: the session layer must fingerprint the data, not the bytes.
  static constexpr bool canonical = false;
  static constexpr bool binary = true;
  static constexpr unsigned char kVersion = 0x01;
  static constexpr std::size_t kKidSize = 4;
  static constexpr std::size_t kHeaderSize = 1 + kKidSize;
  /// Bytes a stored value has beyond what Inner wrote.
  static constexpr std::size_t kOverhead = kHeaderSize + crypto::aes256gcm_overhead;

  struct Options {
    /// The secret the key is derived from (e.g. the application's SECRET_KEY).
    std::string secret_key;
    /// Older secrets: their values still load, and are sealed again under secret_key on save.
    std::vector<std::string> fallback_keys{};
    Inner inner{};
  };

  explicit EncryptedSerializer(std::string secret_key, std::vector<std::string> fallback_keys = {})
      : EncryptedSerializer(Options{std::move(secret_key), std::move(fallback_keys)}) {}
  explicit EncryptedSerializer(Options options) : state_(std::make_shared<const State>(std::move(options))) {}

  [[nodiscard]] std::string dumps(const Data& data, std::string_view session_key) const {
    const std::string plaintext = state_->inner.dumps(data);
    const Key& key = state_->keys.front();
    const std::string aad = associated_data(key.kid, session_key);
    const std::vector<unsigned char> sealed =
        crypto::aes256gcm_seal(key.aes, crypto::as_bytes(plaintext), crypto::as_bytes(aad));
    std::string out(aad, 0, kHeaderSize);
    out.append(reinterpret_cast<const char*>(sealed.data()), sealed.size());
    return out;
  }

  [[nodiscard]] Data loads(std::string_view bytes, std::string_view session_key) const {
    if (bytes.size() < kOverhead) throw BadSignature("the stored session is too short to be sealed");
    if (static_cast<unsigned char>(bytes[0]) != kVersion)
      throw BadSignature("the stored session is not sealed (version)");
    const std::string_view kid = bytes.substr(1, kKidSize);
    const std::string aad = associated_data(kid, session_key);
    const crypto::ByteView sealed = crypto::as_bytes(bytes.substr(kHeaderSize));
    bool known = false;
    // Two keys may share a KID (one chance in 2^32): each one that matches is tried.
    for (const Key& key : state_->keys) {
      if (key.kid != kid) continue;
      known = true;
      if (auto plaintext = crypto::aes256gcm_open(key.aes, sealed, crypto::as_bytes(aad))) {
        const std::string_view text(reinterpret_cast<const char*>(plaintext->data()), plaintext->size());
        return state_->inner.loads(text);
      }
    }
    if (!known) throw BadSignature("the stored session was sealed with an unknown key");
    throw BadSignature("the stored session does not authenticate (another session's value, or changed)");
  }

  /// True for bytes sealed under a fallback key (or not sealed by this version at all).
  [[nodiscard]] bool needs_rewrite(std::string_view bytes) const {
    return bytes.size() < kHeaderSize || bytes.substr(1, kKidSize) != state_->keys.front().kid;
  }

 private:
  struct Key {
    crypto::Aes256GcmKey aes;
    std::string kid;
  };

  // Shared and immutable: Sessions copy their serializer, and the keys are worth deriving once.
  struct State {
    explicit State(Options o) : inner(std::move(o.inner)) {
      if (o.secret_key.empty()) throw ConfigurationError("EncryptedSerializer needs a non-empty secret key");
      keys.push_back(derive(o.secret_key));
      for (const std::string& fallback : o.fallback_keys) {
        if (fallback.empty()) throw ConfigurationError("EncryptedSerializer: a fallback key must not be empty");
        keys.push_back(derive(fallback));
      }
    }
    Inner inner;
    std::vector<Key> keys;  // the current key first
  };

  static Key derive(std::string_view secret) {
    Key key{crypto::hkdf_sha256_key<crypto::aes256gcm_key_size>(crypto::as_bytes(secret),
                                                                crypto::as_bytes("sessions.EncryptedSerializer"),
                                                                crypto::as_bytes("aes-256-gcm v1")),
            {}};
    const auto digest = crypto::sha256(crypto::ByteView(key.aes));
    key.kid.assign(reinterpret_cast<const char*>(digest.data()), kKidSize);
    return key;
  }

  static std::string associated_data(std::string_view kid, std::string_view session_key) {
    std::string aad;
    aad.reserve(kHeaderSize + session_key.size());
    aad.push_back(static_cast<char>(kVersion));
    aad.append(kid).append(session_key);
    return aad;
  }

  std::shared_ptr<const State> state_;
};

}  // namespace sessions
