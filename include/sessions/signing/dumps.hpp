#pragma once
// django.core.signing.dumps / loads: JSON, optionally zlib-compressed, URL-safe base64, signed
// with a TimestampSigner. The output is byte-identical to Django's for the same data, key, salt
// and time, so either side reads what the other wrote (Django's db/file/cache session_data and
// the signed_cookies backend's cookie are exactly this).
//
//   json = python_json(value)
//   if compress: z = zlib(json); use z only when it is at least 2 bytes shorter, marked by '.'
//   payload = ['.'] + b64url_nopad(bytes)
//   result  = TimestampSigner(key, salt).sign(payload)
//
// loads() errors, by category:
//   BadSignature        no separator, or the signature matches neither the key nor a fallback
//   SignatureExpired    older than max_age (a BadSignature)
//   MalformedSignedData validly signed, but the timestamp, base64, zlib stream or JSON is broken
//   LimitExceeded       the payload decompresses to more than max_decompressed_size bytes
// Nothing else escapes for malformed input of any size (CryptoError only if libcrypto fails).
//
// Salts: the default "django.core.signing" is dumps/loads' own default; an EMPTY salt means
// "django.core.signing.TimestampSigner", as in Django (see signer.hpp). Sessions use
// "django.contrib.sessions.SessionStore" (db, cache, file) and
// "django.contrib.sessions.backends.signed_cookies".

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "../clock.hpp"
#include "../data.hpp"
#include "../errors.hpp"
#include "base64.hpp"
#include "compression.hpp"
#include "errors.hpp"
#include "python_json.hpp"
#include "signer.hpp"

namespace sessions::signing {

inline constexpr std::string_view default_dumps_salt = "django.core.signing";

/// Limits applied to a payload after its signature verified.
struct PayloadLimits {
  std::size_t max_decompressed_size = default_max_decompressed_size;
  PythonJsonReadOptions json{};
};

/// Options for dumps(value, key, options).
struct DumpsOptions {
  std::string_view salt = default_dumps_salt;
  bool compress = false;
  /// The signing time; unset means clock.now().
  std::optional<TimePoint> now{};
  Clock clock{};
};

/// Options for loads(text, key, options).
struct LoadsOptions {
  std::string_view salt = default_dumps_salt;
  /// Seconds; unset means no age check (as session backends do).
  std::optional<double> max_age{};
  /// Keys that verify but never sign (Django's SECRET_KEY_FALLBACKS), tried in order.
  std::span<const std::string> fallback_keys{};
  /// The time the age is measured against; unset means clock.now().
  std::optional<TimePoint> now{};
  Clock clock{};
  PayloadLimits limits{};
};

// ---------------------------------------------------------------------------------------------
// With a signer you keep (cheapest: its keyed HMAC contexts are re-used)

/// Signs already-serialized JSON text (e.g. from python_json or a layered serializer), as given.
/// Throws EncodeError if the text has a byte >= 0x80: Django reads the payload as latin-1, so raw
/// UTF-8 would silently turn into different text there; write non-ASCII as `\u` escapes.
[[nodiscard]] inline std::string dumps_json_text(std::string_view json, const TimestampSigner& signer,
                                                 bool compress = false, std::optional<TimePoint> now = std::nullopt) {
  for (const char c : json) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      throw EncodeError("JSON text for Django signing must be ASCII (use \\uXXXX escapes)");
    }
  }
  // The payload is encoded straight into the output, which the signer then completes: one
  // allocation for the whole signed value.
  std::string z;
  // Django keeps the compressed form only if len(z) < len(json) - 1.
  if (compress) z = zlib_compress(json);
  const bool compressed = compress && z.size() + 1 < json.size();
  const std::string_view bytes = compressed ? std::string_view(z) : json;
  const std::size_t encoded = b64_encoded_size(bytes.size());
  std::string out;
  out.reserve(1 + encoded + 2 * signer.sep().size() + 12 + Signer::signature_size);
  if (compressed) out += '.';
  out.resize(out.size() + encoded);
  b64_encode_to(crypto::as_bytes(bytes), out.data() + (compressed ? 1 : 0));
  signer.sign_in_place(out, detail::python_int_time(now ? *now : signer.clock().now()));
  return out;
}

/// Django's dumps(value, compress=compress) with the signer's key and salt.
[[nodiscard]] inline std::string dumps(const Data& value, const TimestampSigner& signer, bool compress = false,
                                       std::optional<TimePoint> now = std::nullopt) {
  return dumps_json_text(dump_python_json(value), signer, compress, now);
}

/// Verifies `text` and returns the JSON text it carries (decompressed, not parsed): the bytes
/// Django would hand to its latin-1 decode and json.loads.
[[nodiscard]] inline std::string loads_json_text(std::string_view text, const TimestampSigner& signer,
                                                 std::optional<double> max_age = std::nullopt,
                                                 std::optional<TimePoint> now = std::nullopt,
                                                 const PayloadLimits& limits = {}) {
  const std::string_view payload = signer.unsign_view(text, max_age, now ? *now : signer.clock().now());
  const bool compressed = !payload.empty() && payload.front() == '.';
  std::string bytes = b64_decode(compressed ? payload.substr(1) : payload);
  if (compressed) bytes = zlib_decompress(bytes, limits.max_decompressed_size);
  return bytes;
}

/// Django's loads(text, max_age=max_age) with the signer's key, fallback keys and salt.
[[nodiscard]] inline Data loads(std::string_view text, const TimestampSigner& signer,
                                std::optional<double> max_age = std::nullopt,
                                std::optional<TimePoint> now = std::nullopt, const PayloadLimits& limits = {}) {
  const std::string json = loads_json_text(text, signer, max_age, now, limits);
  try {
    return parse_python_json(json, limits.json);
  } catch (const DecodeError& e) {
    throw MalformedSignedData(std::string("signed payload is not valid JSON: ") + e.what());
  }
}

// ---------------------------------------------------------------------------------------------
// One-off calls with a key (build a signer per call)

/// Django's signing.dumps(value, key=key, salt=salt, compress=compress).
[[nodiscard]] inline std::string dumps(const Data& value, std::string_view key,
                                       std::string_view salt = default_dumps_salt, bool compress = false) {
  return dumps(value, TimestampSigner(key, salt), compress);
}

[[nodiscard]] inline std::string dumps(const Data& value, std::string_view key, const DumpsOptions& options) {
  return dumps(value, TimestampSigner(key, options.salt, {}, options.clock), options.compress, options.now);
}

[[nodiscard]] inline std::string dumps_json_text(std::string_view json, std::string_view key,
                                                 const DumpsOptions& options = {}) {
  return dumps_json_text(json, TimestampSigner(key, options.salt, {}, options.clock), options.compress, options.now);
}

/// Django's signing.loads(text, key=key, salt=salt, max_age=max_age).
[[nodiscard]] inline Data loads(std::string_view text, std::string_view key, std::string_view salt = default_dumps_salt,
                                std::optional<double> max_age = std::nullopt) {
  return loads(text, TimestampSigner(key, salt), max_age);
}

/// Django's signing.loads(text, key=key, salt=..., max_age=..., fallback_keys=...), with an
/// injectable time and payload limits.
[[nodiscard]] inline Data loads(std::string_view text, std::string_view key, const LoadsOptions& options) {
  return loads(text, TimestampSigner(key, options.salt, options.fallback_keys, options.clock), options.max_age,
               options.now, options.limits);
}

[[nodiscard]] inline std::string loads_json_text(std::string_view text, std::string_view key,
                                                 const LoadsOptions& options = {}) {
  return loads_json_text(text, TimestampSigner(key, options.salt, options.fallback_keys, options.clock),
                         options.max_age, options.now, options.limits);
}

}  // namespace sessions::signing
