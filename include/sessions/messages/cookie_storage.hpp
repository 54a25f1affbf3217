#pragma once
// Django's CookieStorage: the messages in a `messages` cookie, signed as Django signs it.
//
//   value = TimestampSigner("django.http.cookies" + SECRET_KEY, salt="django.contrib.messages")
//             .sign_object(list, serializer=MessageSerializer, compress=True)
//   i.e. compact ensure_ascii JSON, zlib-compressed when that saves 2+ bytes ('.' prefix),
//   URL-safe base64 without padding, `:` base62 time `:` HMAC-SHA256 signature. (Django's
//   get_cookie_signer uses SIGNING_BACKEND, TimestampSigner by default; no age is checked.)
//
// Size: when the value is longer than max_cookie_size (2048, Django's), messages are dropped one
// at a time and the list gets the sentinel "__messagesnotfinished__" until it fits; the dropped
// ones are returned by store() (the fallback storage hands them to the session). Alone, the
// cookie drops the OLDEST first (Django's remove_oldest=True); under the fallback storage the
// NEWEST (remove_oldest=False), so the cookie keeps the order when read back.
//
// A cookie that does not verify (another key, tampered) or does not decode is "no messages", and
// the storage is marked used, so update() deletes it, as Django does. Django 5.0+ also verifies
// with SECRET_KEY_FALLBACKS (DjangoVersion::current); 3.2 has none. Not reproduced: Django 3.2's
// reading of cookies written before 3.1/3.2 (the `hash$json` and unencoded-JSON forms).
//
// The response side is cookie_update(): keep (nothing to write), set(value) or remove; writing the
// Set-Cookie header (Domain, Secure, HttpOnly, SameSite from the SESSION_COOKIE_* settings, as
// Django does) is the caller's, e.g. with cookie::SetCookie.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../clock.hpp"
#include "../django_version.hpp"
#include "../errors.hpp"
#include "../signing/base64.hpp"
#include "../signing/compression.hpp"
#include "../signing/errors.hpp"
#include "../signing/signer.hpp"
#include "detail/encoding.hpp"
#include "message.hpp"
#include "storage.hpp"

namespace sessions::messages {

inline constexpr std::string_view messages_cookie_name = "messages";
inline constexpr std::string_view messages_cookie_salt = "django.contrib.messages";
/// Django's get_cookie_signer prefixes SECRET_KEY with this.
inline constexpr std::string_view cookie_signer_key_prefix = "django.http.cookies";
/// CookieStorage.max_cookie_size.
inline constexpr std::size_t default_max_cookie_size = 2048;

/// What the response must do with the `messages` cookie.
struct CookieUpdate {
  enum class Action { keep, set, remove };
  Action action = Action::keep;
  std::string value;  ///< the new value, for Action::set
};

struct CookieOptions {
  /// SECRET_KEY_FALLBACKS: verify only (DjangoVersion::current only).
  std::vector<std::string> fallback_keys{};
  DjangoVersion version = DjangoVersion::current;
  /// 0: no limit (Django's max_cookie_size = 0).
  std::size_t max_cookie_size = default_max_cookie_size;
  /// The signing time.
  Clock clock{};
};

class CookieBackend {
 public:
  /// `cookie`: the request's `messages` cookie value, if any. `secret_key`: SECRET_KEY.
  CookieBackend(std::optional<std::string> cookie, std::string_view secret_key, const CookieOptions& options = {})
      : cookie_(std::move(cookie)),
        signer_(std::string(cookie_signer_key_prefix) + std::string(secret_key), messages_cookie_salt,
                prefixed(options.fallback_keys, options.version), options.clock),
        version_(options.version),
        max_size_(options.max_cookie_size) {}

  [[nodiscard]] Loaded load() const {
    if (!cookie_ || cookie_->empty()) return {};
    std::vector<detail::Entry> entries;
    try {
      entries = detail::decode(unsign_object(*cookie_), signing::NonAsciiInput::latin1);
    } catch (const BadSignature&) {
      return {std::nullopt, true, true};
    } catch (const signing::MalformedSignedData&) {
      return {std::nullopt, true, true};
    } catch (const DecodeError&) {
      return {std::nullopt, true, true};
    } catch (const LimitExceeded&) {
      return {std::nullopt, true, true};
    }
    Loaded out{std::vector<Message>{}, true, false};
    for (detail::Entry& entry : entries) {
      if (entry.message) {
        out.messages->push_back(std::move(*entry.message));
      } else {
        out.all_retrieved = false;  // the sentinel (only ever last)
      }
    }
    return out;
  }

  std::vector<Message> store(std::vector<Message> messages, bool remove_oldest) {
    std::vector<Message> unstored;
    std::string encoded = messages.empty() ? std::string() : encode(messages, false);
    while (!encoded.empty() && max_size_ != 0 && encoded.size() > max_size_) {
      if (remove_oldest) {
        unstored.push_back(std::move(messages.front()));
        messages.erase(messages.begin());
      } else {
        unstored.insert(unstored.begin(), std::move(messages.back()));
        messages.pop_back();
      }
      encoded = encode(messages, true);  // unstored is non-empty: the sentinel list is written
    }
    update_ = encoded.empty() ? CookieUpdate{CookieUpdate::Action::remove, {}}
                              : CookieUpdate{CookieUpdate::Action::set, std::move(encoded)};
    return unstored;
  }

  /// After MessageStorage::update(): what to do with the cookie.
  [[nodiscard]] const CookieUpdate& cookie_update() const noexcept { return update_; }

  /// The signed cookie value of `messages` (plus the sentinel when `unfinished`).
  [[nodiscard]] std::string encode(const std::vector<Message>& messages, bool unfinished) const {
    const std::string json = detail::encode(messages, unfinished, false, version_);
    const std::string z = signing::zlib_compress(json);
    const bool compressed = z.size() + 1 < json.size();
    std::string payload = compressed ? "." : "";
    payload += signing::b64_encode(compressed ? std::string_view(z) : std::string_view(json));
    return signer_.sign(payload);
  }

 private:
  static std::vector<std::string> prefixed(std::span<const std::string> keys, DjangoVersion version) {
    if (version == DjangoVersion::v3_2 && !keys.empty()) {
      throw ConfigurationError("Django 3.2 has no SECRET_KEY_FALLBACKS");
    }
    std::vector<std::string> out;
    for (const std::string& key : keys) out.push_back(std::string(cookie_signer_key_prefix) + key);
    return out;
  }

  // Django's unsign_object: the JSON text, decompressed (bounded) when marked with '.'.
  [[nodiscard]] std::string unsign_object(std::string_view value) const {
    const std::string_view payload = signer_.unsign_view(value, std::nullopt, signer_.clock().now());
    const bool compressed = !payload.empty() && payload.front() == '.';
    std::string bytes = signing::b64_decode(compressed ? payload.substr(1) : payload);
    // Only after the signature verified (a zip bomb needs the key); bounded as signing::loads is.
    if (compressed) bytes = signing::zlib_decompress(bytes, signing::default_max_decompressed_size);
    return bytes;
  }

  std::optional<std::string> cookie_;
  signing::TimestampSigner signer_;
  DjangoVersion version_;
  std::size_t max_size_;
  CookieUpdate update_;
};

/// Django's CookieStorage (MESSAGE_STORAGE = ...cookie.CookieStorage).
using CookieMessages = MessageStorage<CookieBackend>;

}  // namespace sessions::messages
