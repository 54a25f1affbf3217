#pragma once
// EncryptedCookieStore: the session data travels in the cookie, sealed with AES-256-GCM, so the
// client can neither read nor change it (Rails' and actix-session's private cookies; Django has
// no such backend).
//
// Cookie value: `e1.` KID `.` base64url(nonce || ciphertext || tag)
//   - KID: 6 characters naming the key (base64url of 4 bytes of SHA-256 of the derived key), so
//     the reader picks the right key at once; rotation keeps old keys as fallbacks.
//   - Key: HKDF-SHA256 of the secret (salt "sessions.EncryptedCookieStore", info "aes-256-gcm
//     v1"): the cookie key is never the raw secret, and differs from the signing keys that
//     Django derives from the same secret.
//   - Nonce: 96 random bits per write, so two writes of the same data differ.
//   - Plaintext: the issue time (8 bytes, big-endian Unix seconds), a format byte (0: JSON,
//     1: zlib-compressed JSON, used when smaller), then the JSON text.
//   - Associated data: the cookie name, so a value cannot be moved into another encrypted
//     cookie sealed with the same secret.
// A cookie older than SESSION_COOKIE_AGE is SignatureExpired; any tampering is BadSignature, and
// so is any base64 but the canonical form written (so the cookie string is an identity).
// Nonce budget: random 96-bit nonces are safe for about 2^32 writes per key (NIST SP 800-38D);
// the store does not count them (a count in one process would not see the others sharing the
// secret): rotate the secret (keeping the old one as a fallback) well before that many writes.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../cookie/set_cookie.hpp"
#include "../crypto/aead.hpp"
#include "../crypto/bytes.hpp"
#include "../crypto/kdf.hpp"
#include "../crypto/sha256.hpp"
#include "../data.hpp"
#include "../detail/data_memory.hpp"
#include "../errors.hpp"
#include "../record.hpp"
#include "../serializer/json.hpp"
#include "../settings.hpp"
#include "../signing/base64.hpp"
#include "../signing/compression.hpp"

namespace sessions {

class EncryptedCookieStore {
 public:
  /// The store's name in events and messages.
  static constexpr std::string_view store_name = "EncryptedCookieStore";
  static constexpr bool client_side = true;
  static constexpr std::string_view kPrefix = "e1.";
  static constexpr std::size_t kKidLength = 6;

  struct Options {
    /// The secret the key is derived from (e.g. Django's SECRET_KEY).
    std::string secret_key;
    /// Older secrets: their cookies are still read, never written (key rotation).
    std::vector<std::string> fallback_keys{};
    /// Bound on the decompressed JSON.
    std::size_t max_decompressed_size = 64 * 1024;
    /// Bound on the memory a cookie's parsed data holds (detail::bounded_memory_size; 0: none):
    /// 64 KB of JSON can parse to ~20 times that. A cookie over it is refused (LimitExceeded: an
    /// empty session, logged), and encode() refuses to write one.
    std::size_t max_decoded_bytes = 256 * 1024;
  };

  explicit EncryptedCookieStore(std::string secret_key, std::vector<std::string> fallback_keys = {})
      : EncryptedCookieStore(Options{std::move(secret_key), std::move(fallback_keys)}) {}
  explicit EncryptedCookieStore(const Options& options)
      : max_decompressed_size_(options.max_decompressed_size),
        max_decoded_bytes_(options.max_decoded_bytes == 0 ? std::numeric_limits<std::size_t>::max()
                                                          : options.max_decoded_bytes) {
    if (options.secret_key.empty()) throw ConfigurationError("EncryptedCookieStore needs a non-empty secret key");
    keys_.push_back(derive(options.secret_key));
    for (const std::string& fallback : options.fallback_keys) {
      if (fallback.empty()) throw ConfigurationError("EncryptedCookieStore: a fallback key must not be empty");
      keys_.push_back(derive(fallback));
    }
  }

  /// Issue times (seconds since the epoch) that TimePoint can hold, both ways.
  static constexpr std::int64_t kIssueTimeLimit =
      std::chrono::duration_cast<std::chrono::seconds>(TimePoint::duration::max()).count();

  [[nodiscard]] std::string encode(const Data& data, const Settings& settings, TimePoint now) const {
    const std::string json = JsonSerializer{}.dumps(data);
    const std::string compressed = signing::zlib_compress(json);
    const bool use_zlib = compressed.size() < json.size();
    const std::string& body = use_zlib ? compressed : json;

    // decode() accepts the issue times TimePoint can hold in whole seconds; a clock outside them
    // (before 1677 or after 2262) would write a cookie that never decodes.
    const std::int64_t issued_seconds = unix_seconds(now);
    if (issued_seconds > kIssueTimeLimit || issued_seconds < -kIssueTimeLimit) {
      throw EncodeError("the clock is outside the range of issue times an encrypted cookie can carry");
    }
    std::string plaintext;
    plaintext.reserve(9 + body.size());
    const auto issued = static_cast<std::uint64_t>(issued_seconds);
    for (int shift = 56; shift >= 0; shift -= 8) plaintext.push_back(static_cast<char>((issued >> shift) & 0xFF));
    plaintext.push_back(use_zlib ? '\1' : '\0');
    plaintext += body;

    const Key& key = keys_.front();
    const std::vector<unsigned char> sealed =
        crypto::aes256gcm_seal(key.aes, crypto::as_bytes(plaintext), crypto::as_bytes(settings.cookie_name));
    std::string value;
    value.reserve(kPrefix.size() + kKidLength + 1 + sealed.size() * 4 / 3 + 4);
    value.append(kPrefix).append(key.kid).append(".").append(signing::b64_encode(crypto::ByteView(sealed)));

    const std::size_t size = settings.cookie_name.size() + 1 + value.size();
    if (size > cookie::kMaxSetCookieBytes) {
      throw CookieTooLarge("the session is too large for a cookie: " + std::to_string(size) +
                           " bytes of name and value, over the " + std::to_string(cookie::kMaxSetCookieBytes) +
                           "-byte limit; keep less in the session or use a server-side store");
    }
    // Never issue a cookie decode() would refuse (its JSON over max_decompressed_size when
    // compressed, its data over max_decoded_bytes); an uncompressed body that large is over the
    // cookie size anyway, and CookieTooLarge above said so.
    if (use_zlib && json.size() > max_decompressed_size_) {
      throw LimitExceeded("the session's JSON is " + std::to_string(json.size()) +
                          " bytes, over the encrypted cookie store's max_decompressed_size (" +
                          std::to_string(max_decompressed_size_) + ")");
    }
    check_decoded_size(data);
    return value;
  }

  [[nodiscard]] ClientRecord decode(std::string_view value, const Settings& settings, TimePoint now) const {
    if (!value.starts_with(kPrefix) || value.size() < kPrefix.size() + kKidLength + 1 ||
        value[kPrefix.size() + kKidLength] != '.') {
      throw BadSignature("not an encrypted session cookie");
    }
    const std::string_view kid = value.substr(kPrefix.size(), kKidLength);
    const Key* key = nullptr;
    for (const Key& candidate : keys_) {
      if (candidate.kid == kid) {
        key = &candidate;
        break;
      }
    }
    if (key == nullptr) throw BadSignature("the cookie was sealed with an unknown key");
    // Strict: only the canonical base64url that encode() writes. Django's lenient decoder would
    // also take inserted dots, padding and other padding bits, so that many strings decoded to
    // one cookie; with the canonical form only, the cookie string is its identity.
    const std::string_view text = value.substr(kPrefix.size() + kKidLength + 1);
    std::string sealed;
    try {
      sealed = signing::b64_decode(text);
    } catch (const Error&) {
      throw BadSignature("the encrypted cookie is not valid base64");
    }
    if (signing::b64_encode(sealed) != text) throw BadSignature("the encrypted cookie is not canonical base64");
    const auto plaintext =
        crypto::aes256gcm_open(key->aes, crypto::as_bytes(sealed), crypto::as_bytes(settings.cookie_name));
    if (!plaintext || plaintext->size() < 9) throw BadSignature("the encrypted cookie does not authenticate");

    std::uint64_t issued = 0;
    for (std::size_t i = 0; i < 8; ++i) issued = (issued << 8) | (*plaintext)[i];
    // Authenticated, but a key holder can seal any 8 bytes: an issue time TimePoint cannot hold,
    // or `now - issued_at` over centuries, would overflow (undefined behaviour; found by
    // tests/fuzz/encrypted_cookie.cpp). So: range-check, and measure the age in whole seconds.
    const auto issued_seconds = static_cast<std::int64_t>(issued);
    if (issued_seconds > kIssueTimeLimit || issued_seconds < -kIssueTimeLimit) {
      throw DecodeError("the encrypted cookie has an issue time out of range");
    }
    const TimePoint issued_at{std::chrono::seconds{issued_seconds}};
    // now - issued_at > cookie_age, exactly: whole seconds apart, plus now's fraction of a second.
    const std::int64_t whole = unix_seconds(now) - issued_seconds;  // both within +-2^34: no overflow
    const bool fraction = now.time_since_epoch() % std::chrono::seconds{1} != TimePoint::duration::zero();
    if (whole > settings.cookie_age.count() || (fraction && whole == settings.cookie_age.count())) {
      throw SignatureExpired("the encrypted cookie is older than the cookie age");
    }

    const std::string_view body(reinterpret_cast<const char*>(plaintext->data()) + 9, plaintext->size() - 9);
    const unsigned char format = (*plaintext)[8];
    if (format > 1) throw DecodeError("the encrypted cookie has an unknown format");
    const std::string json = format == 1 ? signing::zlib_decompress(body, max_decompressed_size_) : std::string(body);
    Data data = JsonSerializer{}.loads(json);
    check_decoded_size(data);
    return ClientRecord{std::move(data), issued_at};
  }

  [[nodiscard]] bool accepts(std::string_view value) const noexcept {
    if (value.size() > cookie::kMaxSetCookieBytes || !value.starts_with(kPrefix)) return false;
    for (const char c : value) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '_' || c == '.';
      if (!ok) return false;
    }
    return true;
  }

 private:
  void check_decoded_size(const Data& data) const {
    if (sessions::detail::bounded_memory_size(data, max_decoded_bytes_) > max_decoded_bytes_) {
      throw LimitExceeded("the session's data holds more than the encrypted cookie store's max_decoded_bytes (" +
                          std::to_string(max_decoded_bytes_) + ")");
    }
  }

  struct Key {
    crypto::Aes256GcmKey aes;
    std::string kid;
  };

  static Key derive(std::string_view secret) {
    Key key{crypto::hkdf_sha256_key<crypto::aes256gcm_key_size>(crypto::as_bytes(secret),
                                                                crypto::as_bytes("sessions.EncryptedCookieStore"),
                                                                crypto::as_bytes("aes-256-gcm v1")),
            {}};
    const auto digest = crypto::sha256(crypto::ByteView(key.aes));
    key.kid = signing::b64_encode(crypto::ByteView(digest.data(), 4)).substr(0, kKidLength);
    return key;
  }

  std::vector<Key> keys_;
  std::size_t max_decompressed_size_;
  std::size_t max_decoded_bytes_;
};

}  // namespace sessions
