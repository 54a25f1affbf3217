#pragma once
// HashedKeys<Inner>: session keys hashed at rest. A storage decorator that hands the inner store a
// digest of the session key instead of the key, so a leaked database, cache dump or session
// directory names no usable session: the cookie holds the key, the store only its hash, and a hash
// cannot be turned back into a key (the key has ~165 bits of entropy; a preimage search is out of
// reach, peppered or not).
//
//   stored key = the SHA-256 digest (or HMAC-SHA256 with a server pepper, see below) of the session
//                key, read as a big-endian integer and written in base 36 (a-z0-9), its 40 least
//                significant digits: 36^40 ~ 2^206.8, so ~206 bits of the digest are kept. The
//                result passes is_valid_session_key() and fits Django's varchar(40) session_key
//                column, so every store (and Django's tables) holds it unchanged.
//
// It is a pure key mapping: every operation is one operation of the inner store (lookups stay one
// round trip) and the payload is passed through untouched. The optional lost-update operation
// update_if(key, payload, expires_at, expected) is forwarded when, and only when, the inner store
// has it, so HashedKeys<S> offers exactly the capabilities S offers.
//
// Pepper (HashedKeysOptions::pepper): when not empty, the stored key is HMAC-SHA256(pepper, key).
// Against a leaked dump it adds nothing needed for keys this library generates (they are random),
// but it makes the stored names unlinkable to cookie values for whoever lacks the pepper (e.g. to
// confirm that a captured cookie belongs to a dumped row) and protects keys of lower entropy that an
// application may bring. Keep the pepper out of the database; changing it orphans every stored
// session (users are logged out, nothing else breaks). Empty (the default): plain SHA-256.
//
// Consequences to know: the inner store's own log lines and tools (sessionctl show, Django's
// admin) see hashed keys only; a session cannot be looked up from a stored row back to a cookie.
// Switching an existing deployment to HashedKeys orphans the sessions stored under plain keys
// (they expire normally). Data written by Django under plain keys is not found, by design.
//
// The inner store is held by reference and must outlive the decorator. Thread-safe when the inner
// store is (hashing keeps no shared mutable state; the peppered HMAC context is SharedHmacSha256).

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "../clock.hpp"
#include "../concepts.hpp"
#include "../crypto/hmac.hpp"
#include "../crypto/sha256.hpp"
#include "../record.hpp"
#include "../session_key.hpp"

namespace sessions {

struct HashedKeysOptions {
  /// Server-side secret mixed into the key hash (HMAC-SHA256); empty: plain SHA-256.
  std::string pepper{};
};

namespace detail::hashed_keys {

/// Digits kept from the digest: Django's session_key column is varchar(40).
inline constexpr std::size_t kStoredKeyLength = kMaxSessionKeyLength;

/// The 40 least significant base-36 digits of `digest` read as a big-endian number, most
/// significant first, in the session-key alphabet. Long division by 36, one digit per pass.
[[nodiscard]] inline std::string base36_40(const crypto::Sha256Digest& digest) {
  std::array<unsigned char, crypto::sha256_size> number = digest;
  std::string out(kStoredKeyLength, '0');
  for (std::size_t i = kStoredKeyLength; i-- > 0;) {
    unsigned remainder = 0;
    for (unsigned char& byte : number) {
      const unsigned value = (remainder << 8) | byte;
      byte = static_cast<unsigned char>(value / 36U);
      remainder = value % 36U;
    }
    out[i] = kSessionKeyChars[remainder];
  }
  return out;
}

}  // namespace detail::hashed_keys

template <ServerStorage Inner>
class HashedKeys {
 public:
  /// The store's name in events and messages.
  static constexpr std::string_view store_name = "HashedKeys";
  using payload_type = typename Inner::payload_type;
  using inner_type = Inner;
  /// Text only when the inner store keeps text (TextStorage).
  static constexpr bool text_payload = TextStorage<Inner>;
  using Options = HashedKeysOptions;

  explicit HashedKeys(Inner& inner, const Options& options = {}) : inner_(&inner) {
    if (!options.pepper.empty()) hmac_.emplace(std::string_view(options.pepper));
  }

  HashedKeys(const HashedKeys&) = delete;
  HashedKeys& operator=(const HashedKeys&) = delete;

  /// The key the inner store holds for session key `key`: 40 characters of [a-z0-9].
  [[nodiscard]] std::string stored_key(std::string_view key) const {
    return detail::hashed_keys::base36_40(hmac_ ? hmac_->mac(key) : crypto::sha256(key));
  }

  [[nodiscard]] std::optional<Record<payload_type>> load(std::string_view key) { return inner_->load(stored_key(key)); }

  [[nodiscard]] bool create(std::string_view key, const payload_type& payload, TimePoint expires_at) {
    return inner_->create(stored_key(key), payload, expires_at);
  }

  [[nodiscard]] bool update(std::string_view key, const payload_type& payload, TimePoint expires_at) {
    return inner_->update(stored_key(key), payload, expires_at);
  }

  /// Compare-and-set (the lost-update capability), present only when the inner store has it:
  /// `HashedKeys<S>` is a `CasStorage` exactly when `S` is.
  [[nodiscard]] CasResult update_if(std::string_view key, const payload_type& payload, TimePoint expires_at,
                                    const payload_type& expected) requires requirement::storage_update_if<Inner> {
    return inner_->update_if(stored_key(key), payload, expires_at, expected);
  }

  [[nodiscard]] bool touch(std::string_view key, TimePoint expires_at) {
    return inner_->touch(stored_key(key), expires_at);
  }

  void remove(std::string_view key) { inner_->remove(stored_key(key)); }

  [[nodiscard]] bool exists(std::string_view key) { return inner_->exists(stored_key(key)); }

  std::size_t clear_expired() { return static_cast<std::size_t>(inner_->clear_expired()); }

  [[nodiscard]] Inner& inner() const noexcept { return *inner_; }

 private:
  Inner* inner_;
  std::optional<crypto::SharedHmacSha256> hmac_{};
};

}  // namespace sessions
