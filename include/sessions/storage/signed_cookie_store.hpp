#pragma once
// SignedCookieStore: Django's signed_cookies backend. The session data travels in the cookie,
// as `signing.dumps(data, compress=True, salt="django.contrib.sessions.backends.signed_cookies")`,
// so a Django application with the same SECRET_KEY reads our cookies and we read its cookies.
// The client can read the data (it is signed, not encrypted) and can replay an old cookie until
// it expires: see EncryptedCookieStore for a cookie the client cannot read.
//
// As in Django: the cookie's age is bounded by SESSION_COOKIE_AGE (the signature's max_age);
// exists() is always false; destroy() only forgets the cookie; cycle_key() re-signs.
// Unlike Django: set_expiry() is enforced (the session layer checks the policy against the
// signing time), and a session too large for a cookie is a CookieTooLarge at save, not a cookie
// the browser silently drops.
//
// Read path: a cookie value that verified recently is remembered with its decoded data
// (signing::VerifiedCache, Options::verified_cache_entries), so a request carrying exactly that
// value again costs a lookup and a reference count (the data is shared immutably with the
// Session, which copies it only if it changes it): no HMAC, base64, inflate or JSON parse. The
// age limit (SESSION_COOKIE_AGE) is checked against the value's timestamp at every hit, only a
// value that verified under this store's keys is ever remembered, and the match is on the whole
// value in constant time. The cache is bounded by the bytes it holds, not only by entries
// (Options::verified_cache_bytes, verified_cache_max_entry_bytes), and a cookie's parsed data by
// Options::max_decoded_bytes, since a short cookie can inflate to a large value.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../cookie/set_cookie.hpp"
#include "../data.hpp"
#include "../detail/data_memory.hpp"
#include "../errors.hpp"
#include "../record.hpp"
#include "../settings.hpp"
#include "../signing/base62.hpp"
#include "../signing/dumps.hpp"
#include "../signing/signer.hpp"
#include "../signing/verified_cache.hpp"

namespace sessions {

inline constexpr std::string_view kSignedCookiesSalt = "django.contrib.sessions.backends.signed_cookies";

namespace detail {
/// The characters of a Django signed value: base64url, base62, `:` and the `.` of compression.
[[nodiscard]] constexpr bool is_signed_value_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == ':' || c == '.';
}

/// is_signed_value_char as a table: accepts() runs it over every byte of every cookie, and a
/// lookup costs a third of the comparisons.
inline constexpr std::array<bool, 256> signed_value_chars = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) t[static_cast<std::size_t>(c)] = is_signed_value_char(static_cast<char>(c));
  return t;
}();

/// The signing timestamp (Unix seconds) of a value that already verified: `payload:timestamp:signature`.
[[nodiscard]] inline std::int64_t signed_value_timestamp(std::string_view value) {
  const auto sig = value.rfind(':');
  const auto ts = value.rfind(':', sig == 0 ? 0 : sig - 1);
  if (sig == std::string_view::npos || ts == std::string_view::npos || ts >= sig) {
    throw signing::MalformedSignedData("signed value has no timestamp");
  }
  const std::int64_t timestamp = signing::b62_decode(value.substr(ts + 1, sig - ts - 1));
  // Verified, but a key holder can sign any timestamp: one TimePoint cannot hold would overflow
  // its conversion (undefined behaviour; found by tests/fuzz/signed_cookie_store.cpp).
  constexpr std::int64_t kLimit = std::chrono::duration_cast<std::chrono::seconds>(TimePoint::duration::max()).count();
  if (timestamp > kLimit || timestamp < -kLimit)
    throw signing::MalformedSignedData("signed value's timestamp is out of range");
  return timestamp;
}

/// The signing time of a value that already verified.
[[nodiscard]] inline TimePoint signed_value_time(std::string_view value) {
  return TimePoint{std::chrono::seconds{signed_value_timestamp(value)}};
}
}  // namespace detail

class SignedCookieStore {
 public:
  /// The store's name in events and messages.
  static constexpr std::string_view store_name = "SignedCookieStore";
  static constexpr bool client_side = true;

  struct Options {
    /// Django's SECRET_KEY: signs and verifies.
    std::string secret_key;
    /// Django's SECRET_KEY_FALLBACKS: verify only, tried in order (key rotation).
    std::vector<std::string> fallback_keys{};
    std::string salt{kSignedCookiesSalt};
    /// Django compresses session cookies when that makes them shorter.
    bool compress = true;
    /// Bound on decompressed payloads (a compressed cookie could otherwise inflate enormously).
    std::size_t max_decompressed_size = 64 * 1024;
    /// Bound on the memory a cookie's parsed data holds (detail::bounded_memory_size; 0: none).
    /// The text bound above is not enough: 63 KB of `[[],[],...]` parses to ~0.6 MB. A cookie over
    /// it is refused (LimitExceeded: an empty session, logged), and encode() refuses to write one.
    std::size_t max_decoded_bytes = 256 * 1024;
    /// How many recently verified cookie values to remember with their data (0: none).
    std::size_t verified_cache_entries = 1024;
    /// The most the cache of verified values holds in all, as measured (its values and parsed
    /// data), and the largest entry it keeps: a larger one is decoded at every request, never kept
    /// (0 for either: no cache).
    std::size_t verified_cache_bytes = signing::VerifiedCache::kDefaultMaxBytes;
    std::size_t verified_cache_max_entry_bytes = signing::VerifiedCache::kDefaultMaxEntryBytes;
  };

  explicit SignedCookieStore(std::string secret_key, std::vector<std::string> fallback_keys = {})
      : SignedCookieStore(Options{std::move(secret_key), std::move(fallback_keys)}) {}
  explicit SignedCookieStore(Options options)
      : options_(std::move(options)),
        signer_(options_.secret_key, options_.salt, std::span<const std::string>(options_.fallback_keys)),
        verified_(options_.verified_cache_entries, options_.verified_cache_bytes,
                  options_.verified_cache_max_entry_bytes) {
    limits_.max_decompressed_size = options_.max_decompressed_size;
  }

  SignedCookieStore(const SignedCookieStore&) = delete;
  SignedCookieStore& operator=(const SignedCookieStore&) = delete;

  /// The cookie value for `data`, signed at `now`. CookieTooLarge when the cookie
  /// (`name=value`) would exceed what browsers keep; LimitExceeded when decode() would refuse it
  /// (its JSON over max_decompressed_size, or its data over max_decoded_bytes): the server never
  /// issues a cookie it would itself reject.
  [[nodiscard]] std::string encode(const Data& data, const Settings& settings, TimePoint now) const {
    const std::string json = signing::dump_python_json(data);
    std::string value = signing::dumps_json_text(json, signer_, options_.compress, now);
    const std::size_t size = settings.cookie_name.size() + 1 + value.size();
    if (size > cookie::kMaxSetCookieBytes) {
      throw CookieTooLarge("the session is too large for a cookie: " + std::to_string(size) +
                           " bytes of name and value, over the " + std::to_string(cookie::kMaxSetCookieBytes) +
                           "-byte limit; keep less in the session or use a server-side store");
    }
    // What decode() would refuse: a compressed payload over max_decompressed_size (an uncompressed
    // one that large is over the cookie size already), or data over max_decoded_bytes.
    if (value.front() == '.' && json.size() > options_.max_decompressed_size) {
      throw LimitExceeded("the session's JSON is " + std::to_string(json.size()) +
                          " bytes, over the signed cookie store's max_decompressed_size (" +
                          std::to_string(options_.max_decompressed_size) + ")");
    }
    (void)check_decoded_size(data);
    return value;
  }

  /// The data of a cookie value: BadSignature (tampered, wrong key), SignatureExpired (older than
  /// SESSION_COOKIE_AGE) or MalformedSignedData/DecodeError when it is not a session.
  [[nodiscard]] ClientRecord decode(std::string_view value, const Settings& settings, TimePoint now) const {
    ClientRecord record = decode_shared(value, settings, now);
    if (record.shared) {
      record.data = *record.shared;
      record.shared.reset();
    }
    return record;
  }

  /// As decode(), with the data handed over shared (ClientRecord::shared): a value found in the
  /// cache of verified values costs a reference count, no copy of its data. What Session uses.
  [[nodiscard]] ClientRecord decode_shared(std::string_view value, const Settings& settings, TimePoint now) const {
    const double max_age = static_cast<double>(settings.cookie_age.count());
    if (auto hit = verified_.find(value)) {
      // The signer's own age rule (age > max_age expires), on the remembered timestamp; an
      // expired value goes the long way and fails there with SignatureExpired.
      if (!(signing::detail::python_time(now) - static_cast<double>(hit->timestamp) > max_age)) {
        return ClientRecord{Data{}, TimePoint{std::chrono::seconds{hit->timestamp}}, std::move(hit->data)};
      }
    }
    Data data = signing::loads(value, signer_, max_age, now, limits_);
    if (!data.is_object()) throw DecodeError("the signed session is not a JSON object");
    const std::size_t data_bytes = check_decoded_size(data);
    const std::int64_t timestamp = detail::signed_value_timestamp(value);
    auto shared = std::make_shared<const Data>(std::move(data));
    if (verified_.enabled()) (void)verified_.insert(value, {shared, timestamp}, data_bytes);
    return ClientRecord{Data{}, TimePoint{std::chrono::seconds{timestamp}}, std::move(shared)};
  }

  /// The cache of recently verified values (tests, and to clear() it).
  [[nodiscard]] signing::VerifiedCache& verified_cache() const noexcept { return verified_; }

  /// A cheap look at a cookie value before any cryptography: Django's characters, a bounded size.
  [[nodiscard]] bool accepts(std::string_view value) const noexcept {
    if (value.size() > cookie::kMaxSetCookieBytes) return false;
    for (const char c : value) {
      if (!detail::signed_value_chars[static_cast<unsigned char>(c)]) return false;
    }
    return true;
  }

 private:
  // The measured size of `data`; LimitExceeded over max_decoded_bytes.
  std::size_t check_decoded_size(const Data& data) const {
    const std::size_t limit =
        options_.max_decoded_bytes == 0 ? std::numeric_limits<std::size_t>::max() : options_.max_decoded_bytes;
    const std::size_t bytes = sessions::detail::bounded_memory_size(data, limit);
    if (bytes > limit) {
      throw LimitExceeded("the session's data holds more than the signed cookie store's max_decoded_bytes (" +
                          std::to_string(limit) + ")");
    }
    return bytes;
  }

  Options options_;
  signing::TimestampSigner signer_;
  signing::PayloadLimits limits_{};
  mutable signing::VerifiedCache verified_;
};

}  // namespace sessions
