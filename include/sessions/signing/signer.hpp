#pragma once
// Django's Signer and TimestampSigner (django.core.signing), byte for byte.
//
//   key       = SHA-256(salt + "signer" + secret)            (Django's salted_hmac key)
//   signature = b64url_nopad(HMAC-SHA256(key, value))         (43 characters)
//   Signer:          value + sep + signature(value)
//   TimestampSigner: v = value + sep + base62(int(time.time())); v + sep + signature(v)
//
// Verification tries the main key and then each fallback key in order (Django 4.1+'s
// SECRET_KEY_FALLBACKS); signing always uses the main key. Signatures are compared in constant
// time as text, like Django, so `=` padding, changed case or truncation never verify. Django 3.2
// also accepted legacy SHA-1 signatures; that was removed in 4.0 and is not done here.
//
// Salts mirror Django's quirk: an EMPTY salt means the class's default,
// "django.core.signing.Signer" / "django.core.signing.TimestampSigner" (Django tests `salt or
// default`). The separator must not be empty or made only of `A-z0-9-_=` (Django's check,
// including its regex accepting a trailing newline); otherwise ConfigurationError.
//
// Keys: an empty main or fallback key is a ConfigurationError. (Django substitutes
// settings.SECRET_KEY for an empty main key; there are no settings here.) Keys and salts are
// bytes, usually UTF-8 text, as Python's str.encode() gives them.
//
// Thread-safety: signers are immutable after construction and every member is const; they keep
// keyed HMAC contexts (crypto::SharedHmacSha256), so one signer can serve all threads and signing
// costs no key setup. Movable, not copyable.

#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "../clock.hpp"
#include "../crypto/compare.hpp"
#include "../crypto/hmac.hpp"
#include "../crypto/sha256.hpp"
#include "../errors.hpp"
#include "base62.hpp"
#include "base64.hpp"
#include "errors.hpp"
#include "python_json.hpp"

namespace sessions::signing {

inline constexpr std::string_view default_separator = ":";
inline constexpr std::string_view signer_default_salt = "django.core.signing.Signer";
inline constexpr std::string_view timestamp_signer_default_salt = "django.core.signing.TimestampSigner";

namespace detail {

/// time.time() for a time point, computed the way CPython turns its nanosecond clock into a
/// float, so that ages and int(time.time()) agree with Django to the last bit.
[[nodiscard]] inline double python_time(TimePoint t) noexcept {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  constexpr std::int64_t per_second = 1'000'000'000;
  if (ns % per_second == 0) return static_cast<double>(ns / per_second);
  return static_cast<double>(ns) / 1e9;
}

/// int(time.time()): truncation toward zero of the float time, as Django's timestamp() does.
[[nodiscard]] inline std::int64_t python_int_time(TimePoint t) noexcept {
  return static_cast<std::int64_t>(std::trunc(python_time(t)));
}

// Django's _SEP_UNSAFE: ^[A-z0-9-_=]*$ with re.match, where $ also matches before a final "\n".
[[nodiscard]] inline bool separator_is_unsafe(std::string_view sep) noexcept {
  if (!sep.empty() && sep.back() == '\n') sep.remove_suffix(1);
  for (const char c : sep) {
    const bool in_class = (c >= 'A' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '=';
    if (!in_class) return false;
  }
  return true;
}

[[nodiscard]] inline crypto::SharedHmacSha256 salted_hmac_key(std::string_view salt, std::string_view secret) {
  if (secret.empty()) throw ConfigurationError("a signing key must not be empty");
  crypto::Sha256 hasher;
  hasher.update(salt).update("signer").update(secret);
  const crypto::Sha256Digest key = hasher.finish();
  return crypto::SharedHmacSha256(crypto::ByteView(key));
}

}  // namespace detail

/// Django's Signer: `value:signature`.
class Signer {
 public:
  /// `key` signs and verifies; each of `fallback_keys` only verifies, tried in order after `key`.
  explicit Signer(std::string_view key, std::string_view salt = {}, std::span<const std::string> fallback_keys = {},
                  std::string_view sep = default_separator)
      : Signer(key, salt, fallback_keys, sep, signer_default_salt) {}

  /// The length of a signature: base64 of an HMAC-SHA256, unpadded.
  static constexpr std::size_t signature_size = 43;

  /// The signature of `value` under the main key (43 characters).
  [[nodiscard]] std::string signature(std::string_view value) const {
    const Signature sig = signature_with(0, value);
    return std::string(sig.data(), sig.size());
  }

  /// `value + sep + signature(value)`.
  [[nodiscard]] std::string sign(std::string_view value) const {
    std::string out;
    out.reserve(value.size() + sep_.size() + signature_size);
    out.append(value);
    sign_in_place(out);
    return out;
  }

  /// Appends `sep + signature(text)` to `text`: sign() without a copy of the value.
  void sign_in_place(std::string& text) const {
    const Signature sig = signature_with(0, text);
    text.append(sep_).append(sig.data(), sig.size());
  }

  /// The value part of `signed_value` if its signature verifies under the main key or a fallback
  /// key; BadSignature otherwise (also when there is no separator at all).
  [[nodiscard]] std::string unsign(std::string_view signed_value) const {
    return std::string(unsign_view(signed_value));
  }

  /// As unsign(), the value returned as a view into `signed_value` (no copy).
  [[nodiscard]] std::string_view unsign_view(std::string_view signed_value) const {
    const std::size_t at = signed_value.rfind(sep_);
    if (at == std::string_view::npos) throw BadSignature("No \"" + sep_ + "\" found in value");
    const std::string_view value = signed_value.substr(0, at);
    const std::string_view sig = signed_value.substr(at + sep_.size());
    for (std::size_t k = 0; k < keys_.size(); ++k) {
      const Signature expected = signature_with(k, value);
      if (crypto::constant_time_equal(sig, std::string_view(expected.data(), expected.size()))) return value;
    }
    throw BadSignature("Signature does not match");
  }

  [[nodiscard]] const std::string& salt() const noexcept { return salt_; }
  [[nodiscard]] const std::string& sep() const noexcept { return sep_; }
  /// 1 + the number of fallback keys.
  [[nodiscard]] std::size_t key_count() const noexcept { return keys_.size(); }

 protected:
  friend class TimestampSigner;

  Signer(std::string_view key, std::string_view salt, std::span<const std::string> fallback_keys, std::string_view sep,
         std::string_view default_salt)
      : sep_(sep), salt_(salt.empty() ? default_salt : salt) {
    if (detail::separator_is_unsafe(sep_)) {
      throw ConfigurationError("unsafe signer separator (cannot be empty or consist of only A-z0-9-_=)");
    }
    keys_.reserve(1 + fallback_keys.size());
    keys_.push_back(detail::salted_hmac_key(salt_, key));
    for (const std::string& fallback : fallback_keys) keys_.push_back(detail::salted_hmac_key(salt_, fallback));
  }

  using Signature = std::array<char, signature_size>;

  // Computed into a fixed array: a signature is 43 characters, over std::string's inline
  // capacity, and signing or verifying a cookie should not allocate for it.
  [[nodiscard]] Signature signature_with(std::size_t key_index, std::string_view value) const {
    const crypto::Sha256Digest mac = keys_[key_index].mac(value);
    static_assert(b64_encoded_size(std::tuple_size_v<crypto::Sha256Digest>) == signature_size);
    Signature out{};
    b64_encode_to(crypto::ByteView(mac), out.data());
    return out;
  }

 private:
  std::string sep_;
  std::string salt_;
  std::vector<crypto::SharedHmacSha256> keys_;  // [0] is the main key
};

/// Django's TimestampSigner: `value:timestamp:signature`, with an age check on unsign. "Now"
/// comes from the Clock given at construction unless a call passes a time explicitly.
class TimestampSigner {
 public:
  explicit TimestampSigner(std::string_view key, std::string_view salt = {},
                           std::span<const std::string> fallback_keys = {}, Clock clock = {},
                           std::string_view sep = default_separator)
      : signer_(key, salt, fallback_keys, sep, timestamp_signer_default_salt), clock_(clock) {}

  /// base62(int(time.time())) for the clock's now.
  [[nodiscard]] std::string timestamp() const { return b62_encode(detail::python_int_time(clock_.now())); }

  /// Signs with the clock's current time.
  [[nodiscard]] std::string sign(std::string_view value) const { return sign(value, clock_.now()); }
  /// Signs as if time.time() returned `at` (the timestamp is truncated to whole seconds).
  [[nodiscard]] std::string sign(std::string_view value, TimePoint at) const {
    return sign(value, detail::python_int_time(at));
  }
  /// Signs with an explicit Unix timestamp in seconds.
  [[nodiscard]] std::string sign(std::string_view value, std::int64_t unix_timestamp) const {
    std::string out;
    out.reserve(value.size() + 2 * signer_.sep().size() + 12 + Signer::signature_size);
    out.append(value);
    sign_in_place(out, unix_timestamp);
    return out;
  }
  /// Appends `sep + timestamp + sep + signature` to `text` (which holds the value): sign()
  /// without a copy of the value, for a caller that built the value in its output buffer.
  void sign_in_place(std::string& text, std::int64_t unix_timestamp) const {
    text.append(signer_.sep()).append(b62_encode(unix_timestamp));
    signer_.sign_in_place(text);
  }

  /// The value of `signed_value`, checking its signature and, when `max_age` (seconds) is given,
  /// its age against the clock's now.
  ///  - BadSignature: no separator, or the signature matches no key;
  ///  - MalformedSignedData: validly signed but without a timestamp or with a malformed one;
  ///  - SignatureExpired: now - timestamp > max_age (an age equal to max_age is still valid;
  ///    timestamps in the future are accepted; a negative max_age always expires).
  [[nodiscard]] std::string unsign(std::string_view signed_value, std::optional<double> max_age = std::nullopt) const {
    return unsign(signed_value, max_age, clock_.now());
  }
  [[nodiscard]] std::string unsign(std::string_view signed_value, std::optional<double> max_age, TimePoint now) const {
    return std::string(unsign_view(signed_value, max_age, now));
  }
  /// As unsign(), the value returned as a view into `signed_value` (no copy).
  [[nodiscard]] std::string_view unsign_view(std::string_view signed_value, std::optional<double> max_age,
                                             TimePoint now) const {
    std::string_view value = signer_.unsign_view(signed_value);
    const std::size_t at = value.rfind(signer_.sep());
    if (at == std::string_view::npos) throw MalformedSignedData("signed value has no timestamp");
    const std::string_view stamp = value.substr(at + signer_.sep().size());
    const double timestamp = detail::b62_decode_approx(stamp);  // validates even without max_age
    if (max_age) {
      if (std::isinf(timestamp)) throw MalformedSignedData("signature timestamp out of range");
      const double age = detail::python_time(now) - timestamp;
      if (age > *max_age) {
        std::string why = "Signature age ";
        detail::append_python_float(why, age);
        why += " > ";
        detail::append_python_float(why, *max_age);
        why += " seconds";
        throw SignatureExpired(why);
      }
    }
    return value.substr(0, at);
  }
  template <class Rep, class Period>
  [[nodiscard]] std::string unsign(std::string_view signed_value, std::chrono::duration<Rep, Period> max_age) const {
    return unsign(signed_value, std::chrono::duration<double>(max_age).count());
  }
  template <class Rep, class Period>
  [[nodiscard]] std::string unsign(std::string_view signed_value, std::chrono::duration<Rep, Period> max_age,
                                   TimePoint now) const {
    return unsign(signed_value, std::chrono::duration<double>(max_age).count(), now);
  }

  /// The underlying Signer (signs `value:timestamp` without adding a timestamp itself).
  [[nodiscard]] const Signer& signer() const noexcept { return signer_; }
  [[nodiscard]] const std::string& salt() const noexcept { return signer_.salt(); }
  [[nodiscard]] const std::string& sep() const noexcept { return signer_.sep(); }
  [[nodiscard]] Clock clock() const noexcept { return clock_; }

 private:
  Signer signer_;
  Clock clock_;
};

}  // namespace sessions::signing
