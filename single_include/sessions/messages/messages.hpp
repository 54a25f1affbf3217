#pragma once
// sessions 0.1.0: Django's session framework as a header-only C++20 library, single-header edition.
//
// GENERATED FILE, DO NOT EDIT.
// It is produced from include/sessions/messages/messages.hpp by
//     python3 tools/amalgamate.py
// Change the headers under include/sessions/ and run that command again; CI fails when this file
// is out of date (python3 tools/amalgamate.py --check).
//
// The core comes from the single-header sessions.hpp next to this directory.

#include <sessions/sessions.hpp>

// ---- begin sessions/messages/messages.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_MESSAGES_MESSAGES_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_MESSAGES_MESSAGES_HPP
// Everything in messages/: Django's messages framework (django.contrib.messages) over a shared
// session and Django's signed `messages` cookie.

// ---- begin sessions/messages/cookie_storage.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_MESSAGES_COOKIE_STORAGE_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_MESSAGES_COOKIE_STORAGE_HPP
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

// ---- begin sessions/django_version.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_DJANGO_VERSION_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_DJANGO_VERSION_HPP
// The Django release whose behaviour to reproduce where releases differ (auth's key fallbacks
// and legacy hashes, the messages' encoding of empty extra tags). Debian 12 ships 3.2.

namespace sessions {

enum class DjangoVersion {
  v3_2,     ///< Django 3.2 (Debian 12's python3-django)
  current,  ///< Django 5.0 and later
};

}  // namespace sessions
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_DJANGO_VERSION_HPP
// ---- end sessions/django_version.hpp ----
// ---- begin sessions/messages/detail/encoding.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_MESSAGES_DETAIL_ENCODING_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_MESSAGES_DETAIL_ENCODING_HPP
// Django's MessageEncoder / MessageDecoder JSON (django.contrib.messages.storage.cookie):
//   a message is  ["__json_message", safe 0|1, level, text]  plus  extra_tags  when Django
//   writes it: 3.2 only when the tags are non-empty, 4.1+ whenever they are not None.
// The cookie storage writes the list compactly (separators ',' ':'), the session storage with
// json's default separators (', ' ': '); both ensure_ascii. A cookie list may end with the
// sentinel string "__messagesnotfinished__" (the cookie could not hold every message).

// ---- begin sessions/messages/message.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_MESSAGES_MESSAGE_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_MESSAGES_MESSAGE_HPP
// One flash message of Django's messages framework (django.contrib.messages): a level, the text,
// optional extra tags, and whether Django marked the text safe (mark_safe: no HTML escaping).

#include <map>

namespace sessions::messages {

/// Django's message levels (django.contrib.messages.constants: DEBUG, INFO, SUCCESS, WARNING,
/// ERROR), named so that no DEBUG or ERROR macro of the application can clash with them. Any other
/// integer is a custom level; it has no tag unless given one (Message::level_tag).
inline constexpr int debug_level = 10;
inline constexpr int info_level = 20;
inline constexpr int success_level = 25;
inline constexpr int warning_level = 30;
inline constexpr int error_level = 40;
/// MESSAGE_LEVEL's default: messages below it are not recorded.
inline constexpr int default_minimum_level = info_level;

/// Level -> tag, Django's DEFAULT_TAGS plus any MESSAGE_TAGS a site adds.
using LevelTags = std::map<int, std::string>;

[[nodiscard]] inline const LevelTags& default_level_tags() {
  static const LevelTags tags{{debug_level, "debug"},
                              {info_level, "info"},
                              {success_level, "success"},
                              {warning_level, "warning"},
                              {error_level, "error"}};
  return tags;
}

struct Message {
  int level = info_level;
  std::string text;
  /// Django's extra_tags: "" for a message added without tags; nullopt after a Django 3.2
  /// round trip of "" (3.2 drops empty tags when encoding, and decodes their absence as None).
  std::optional<std::string> extra_tags;
  /// Django's SafeData flag (mark_safe), kept through every encoding.
  bool safe = false;

  /// Django's level_tag: the tag of the level, "" for a level without one.
  [[nodiscard]] std::string level_tag(const LevelTags& tags = default_level_tags()) const {
    const auto it = tags.find(level);
    return it == tags.end() ? std::string() : it->second;
  }
  /// Django's tags: extra tags then the level tag, space-separated, empty parts left out.
  [[nodiscard]] std::string tags(const LevelTags& level_tags = default_level_tags()) const {
    std::string out = extra_tags.value_or("");
    const std::string level_part = level_tag(level_tags);
    if (!out.empty() && !level_part.empty()) out += ' ';
    out += level_part;
    return out;
  }
  /// Django's Message.__eq__: the same level and text (tags are not compared).
  friend bool operator==(const Message& a, const Message& b) noexcept { return a.level == b.level && a.text == b.text; }
};

}  // namespace sessions::messages
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_MESSAGES_MESSAGE_HPP
// ---- end sessions/messages/message.hpp ----

namespace sessions::messages::detail {

inline constexpr std::string_view message_key = "__json_message";
inline constexpr std::string_view not_finished = "__messagesnotfinished__";

/// One encoded list entry: a message, or (cookie storage only) the sentinel.
struct Entry {
  std::optional<Message> message;  // nullopt: the not_finished sentinel
};

[[nodiscard]] inline bool writes_tags(const Message& m, DjangoVersion version) noexcept {
  if (!m.extra_tags) return false;
  return version == DjangoVersion::current || !m.extra_tags->empty();
}

/// The JSON list of `messages` (then the sentinel when `unfinished`), with ", " / ":" spacing
/// when `spaced` (json's defaults) or none (separators=(',', ':')).
[[nodiscard]] inline std::string encode(const std::vector<Message>& messages, bool unfinished, bool spaced,
                                        DjangoVersion version) {
  const std::string_view comma = spaced ? ", " : ",";
  std::string out = "[";
  bool first = true;
  for (const Message& m : messages) {
    if (!first) out += comma;
    first = false;
    out += "[\"__json_message\"";
    out += comma;
    out += m.safe ? '1' : '0';
    out += comma;
    out += std::to_string(m.level);
    out += comma;
    signing::dump_python_json(Data(m.text), out);
    if (writes_tags(m, version)) {
      out += comma;
      signing::dump_python_json(Data(*m.extra_tags), out);
    }
    out += ']';
  }
  if (unfinished) {
    if (!first) out += comma;
    out += "\"__messagesnotfinished__\"";
  }
  out += ']';
  return out;
}

/// The entries of an encoded list. DecodeError for JSON that is not a list of messages (with at
/// most a final sentinel): Django would build odd objects from it; nothing here renders those.
[[nodiscard]] inline std::vector<Entry> decode(std::string_view json, signing::NonAsciiInput non_ascii) {
  signing::PythonJsonReadOptions options;
  options.non_ascii = non_ascii;
  options.max_depth = 4;
  const Data list = signing::parse_python_json(json, options);
  if (!list.is_array()) throw DecodeError("messages: not a JSON list");
  std::vector<Entry> out;
  out.reserve(list.size());
  for (std::size_t i = 0; i < list.size(); ++i) {
    const Data& item = list[i];
    if (item.is_string() && item.get_ref<const std::string&>() == not_finished && i + 1 == list.size()) {
      out.push_back(Entry{});
      continue;
    }
    const bool shaped = item.is_array() && (item.size() == 4 || item.size() == 5) && item[0].is_string() &&
                        item[0].get_ref<const std::string&>() == message_key && item[1].is_number_integer() &&
                        item[2].is_number_integer() && item[3].is_string() &&
                        (item.size() == 4 || item[4].is_string() || item[4].is_null());
    if (!shaped) throw DecodeError("messages: an entry is not an encoded message");
    Message m;
    m.safe = item[1].get<long long>() != 0;
    const long long level = item[2].get<long long>();
    if (level < -2147483647LL || level > 2147483647LL) throw DecodeError("messages: level out of range");
    m.level = static_cast<int>(level);
    m.text = item[3].get<std::string>();
    if (item.size() == 5 && item[4].is_string()) m.extra_tags = item[4].get<std::string>();
    out.push_back(Entry{std::move(m)});
  }
  return out;
}

}  // namespace sessions::messages::detail
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_MESSAGES_DETAIL_ENCODING_HPP
// ---- end sessions/messages/detail/encoding.hpp ----
// ---- begin sessions/messages/storage.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_MESSAGES_STORAGE_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_MESSAGES_STORAGE_HPP
// Django's message storage rules (django.contrib.messages.storage.base.BaseStorage), over a
// backend that loads and stores the list (session_storage.hpp, cookie_storage.hpp,
// fallback_storage.hpp). One MessageStorage per request, as Django makes one per request:
//
//   add(level, text, extra_tags)  recorded only when text is non-empty and level >= the minimum
//                                 level (MESSAGE_LEVEL, default INFO = 20); queued until update()
//   consume()                     Django's iteration: the stored messages then the queued ones;
//                                 marks the storage used, so update() keeps none of them
//   peek()                        the same list without marking anything (Django's len()/`in`)
//   update()                      the end of the request (Django's MessageMiddleware):
//                                   used      -> store only what was added after the iteration
//                                   added new -> store the old messages and the new ones
//                                   neither   -> leave the backend alone
//                                 returns the messages the backend could not hold
//
// Messages are consumed by showing them, exactly once, on whichever side (C++ or Django) shows
// them first. Not thread-safe: a request's object.

namespace sessions::messages {

/// What a backend's load() found. `messages` is nullopt when the backend holds nothing at all
/// (Django's None: the fallback storage stops there); `invalid` when it held something that did
/// not verify or decode (the cookie storage then deletes it at update()).
struct Loaded {
  std::optional<std::vector<Message>> messages;
  bool all_retrieved = true;
  bool invalid = false;
};

template <class Backend>
class MessageStorage {
 public:
  explicit MessageStorage(Backend backend, int minimum_level = default_minimum_level)
      : backend_(std::move(backend)), level_(minimum_level), default_level_(minimum_level) {}

  /// Django's add_message. True when the message was recorded.
  bool add(int level, std::string text, std::string extra_tags = {}, bool safe = false) {
    if (text.empty() || level < level_) return false;
    added_new_ = true;
    queued_.push_back(Message{level, std::move(text), std::move(extra_tags), safe});
    return true;
  }
  bool debug(std::string text, std::string extra_tags = {}) {
    return add(debug_level, std::move(text), std::move(extra_tags));
  }
  bool info(std::string text, std::string extra_tags = {}) {
    return add(info_level, std::move(text), std::move(extra_tags));
  }
  bool success(std::string text, std::string extra_tags = {}) {
    return add(success_level, std::move(text), std::move(extra_tags));
  }
  bool warning(std::string text, std::string extra_tags = {}) {
    return add(warning_level, std::move(text), std::move(extra_tags));
  }
  bool error(std::string text, std::string extra_tags = {}) {
    return add(error_level, std::move(text), std::move(extra_tags));
  }

  /// Iterates as Django does: every message, which will not be stored again.
  [[nodiscard]] const std::vector<Message>& consume() {
    used_ = true;
    std::vector<Message>& all = loaded();
    for (Message& m : queued_) all.push_back(std::move(m));
    queued_.clear();
    return all;
  }

  /// The messages consume() would give, leaving them in place.
  [[nodiscard]] std::vector<Message> peek() {
    std::vector<Message> all = loaded();
    all.insert(all.end(), queued_.begin(), queued_.end());
    return all;
  }

  [[nodiscard]] std::size_t size() { return loaded().size() + queued_.size(); }

  /// The minimum level recorded (Django's storage.level).
  [[nodiscard]] int level() const noexcept { return level_; }
  void set_level(int level) noexcept { level_ = level; }
  /// Back to the level given at construction (Django's `storage.level = None`).
  void reset_level() noexcept { level_ = default_level_; }

  /// Stores what Django's update(response) stores; returns what did not fit.
  std::vector<Message> update() {
    if (used_) {
      // A backend whose data was invalid must be rewritten (emptied) too: Django marks it used.
      return backend_.store(std::move(queued_), true);
    }
    if (added_new_) {
      std::vector<Message> all = loaded();
      all.insert(all.end(), queued_.begin(), queued_.end());
      return backend_.store(std::move(all), true);
    }
    return {};
  }

  [[nodiscard]] Backend& backend() noexcept { return backend_; }
  [[nodiscard]] const Backend& backend() const noexcept { return backend_; }

 private:
  std::vector<Message>& loaded() {
    if (!loaded_) {
      Loaded got = backend_.load();
      if (got.invalid) used_ = true;
      loaded_ = got.messages ? std::move(*got.messages) : std::vector<Message>{};
    }
    return *loaded_;
  }

  Backend backend_;
  std::vector<Message> queued_;
  std::optional<std::vector<Message>> loaded_;
  bool used_ = false;
  bool added_new_ = false;
  int level_;
  int default_level_;
};

}  // namespace sessions::messages
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_MESSAGES_STORAGE_HPP
// ---- end sessions/messages/storage.hpp ----

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
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_MESSAGES_COOKIE_STORAGE_HPP
// ---- end sessions/messages/cookie_storage.hpp ----
// ---- begin sessions/messages/fallback_storage.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_MESSAGES_FALLBACK_STORAGE_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_MESSAGES_FALLBACK_STORAGE_HPP
// Django's FallbackStorage (its default MESSAGE_STORAGE): the cookie first, the session for what
// does not fit.
//   load: the cookie's messages; when the cookie says it could not hold them all (the sentinel),
//         the session's after them. A missing or invalid cookie stops there (Django's None), and
//         an invalid cookie is left as it is (Django marks only the inner storage used).
//   store: the cookie takes what it can, dropping the NEWEST (remove_oldest=False) so the order
//         survives; the session takes the rest; a storage that held messages at load time and
//         gets none now is emptied.

// ---- begin sessions/messages/session_storage.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_MESSAGES_SESSION_STORAGE_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_MESSAGES_SESSION_STORAGE_HPP
// Django's SessionStorage: the messages in the session under `_messages`, as a JSON *string*
// (MessageEncoder with json's default separators) inside the session's own JSON. An empty list
// removes the key. Everything is stored (nothing ever comes back from store()).

namespace sessions::messages {

inline constexpr std::string_view session_messages_key = "_messages";

template <class SessionT>
class SessionBackend {
 public:
  explicit SessionBackend(SessionT& session, DjangoVersion version = DjangoVersion::current)
      : session_(&session), version_(version) {}

  /// The session's messages; nullopt when it has none (no key, or an empty value, as Django's
  /// `if data`). DecodeError when `_messages` holds something that is not Django's encoding.
  [[nodiscard]] Loaded load() {
    if (!session_->contains(session_messages_key)) return {};
    const Data value = session_->get(session_messages_key);
    if (value.is_null() || (value.is_string() && value.template get_ref<const std::string&>().empty())) return {};
    if (!value.is_string()) throw DecodeError("_messages is not a string");
    std::vector<Message> out;
    for (detail::Entry& entry :
         detail::decode(value.template get_ref<const std::string&>(), signing::NonAsciiInput::utf8)) {
      if (!entry.message) throw DecodeError("_messages holds the cookie storage's sentinel");
      out.push_back(std::move(*entry.message));
    }
    return {std::move(out), true, false};
  }

  std::vector<Message> store(std::vector<Message> messages, bool /*remove_oldest*/) {
    if (!messages.empty()) {
      session_->set(session_messages_key, detail::encode(messages, false, true, version_));
    } else if (session_->contains(session_messages_key)) {
      session_->erase(session_messages_key);
    }
    return {};
  }

 private:
  SessionT* session_;
  DjangoVersion version_;
};

/// Django's SessionStorage over `session` (MESSAGE_STORAGE = ...session.SessionStorage).
template <class SessionT>
using SessionMessages = MessageStorage<SessionBackend<SessionT>>;

template <class SessionT>
[[nodiscard]] SessionMessages<SessionT> session_messages(SessionT& session,
                                                         DjangoVersion version = DjangoVersion::current,
                                                         int minimum_level = default_minimum_level) {
  return SessionMessages<SessionT>(SessionBackend<SessionT>(session, version), minimum_level);
}

}  // namespace sessions::messages
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_MESSAGES_SESSION_STORAGE_HPP
// ---- end sessions/messages/session_storage.hpp ----

namespace sessions::messages {

template <class SessionT>
class FallbackBackend {
 public:
  FallbackBackend(CookieBackend cookie, SessionBackend<SessionT> session)
      : cookie_(std::move(cookie)), session_(std::move(session)) {}

  [[nodiscard]] Loaded load() {
    Loaded out{std::vector<Message>{}, true, false};
    Loaded from_cookie = cookie_.load();
    if (!from_cookie.messages) return out;
    cookie_used_ = !from_cookie.messages->empty();
    for (Message& m : *from_cookie.messages) out.messages->push_back(std::move(m));
    out.all_retrieved = from_cookie.all_retrieved;
    if (from_cookie.all_retrieved) return out;
    Loaded from_session = session_.load();
    if (!from_session.messages) return out;
    session_used_ = !from_session.messages->empty();
    for (Message& m : *from_session.messages) out.messages->push_back(std::move(m));
    out.all_retrieved = from_session.all_retrieved;
    return out;
  }

  std::vector<Message> store(std::vector<Message> messages, bool /*remove_oldest*/) {
    if (!messages.empty()) {
      messages = cookie_.store(std::move(messages), false);
    } else if (cookie_used_) {
      (void)cookie_.store({}, false);
      cookie_used_ = false;
    }
    if (!messages.empty()) {
      messages = session_.store(std::move(messages), false);
    } else if (session_used_) {
      (void)session_.store({}, false);
      session_used_ = false;
    }
    return messages;
  }

  [[nodiscard]] const CookieUpdate& cookie_update() const noexcept { return cookie_.cookie_update(); }

 private:
  CookieBackend cookie_;
  SessionBackend<SessionT> session_;
  bool cookie_used_ = false;
  bool session_used_ = false;
};

/// Django's FallbackStorage over the request's `messages` cookie and `session`.
template <class SessionT>
using FallbackMessages = MessageStorage<FallbackBackend<SessionT>>;

template <class SessionT>
[[nodiscard]] FallbackMessages<SessionT> fallback_messages(CookieBackend cookie, SessionT& session,
                                                           DjangoVersion version = DjangoVersion::current,
                                                           int minimum_level = default_minimum_level) {
  return FallbackMessages<SessionT>(
      FallbackBackend<SessionT>(std::move(cookie), SessionBackend<SessionT>(session, version)), minimum_level);
}

}  // namespace sessions::messages
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_MESSAGES_FALLBACK_STORAGE_HPP
// ---- end sessions/messages/fallback_storage.hpp ----
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_MESSAGES_MESSAGES_HPP
// ---- end sessions/messages/messages.hpp ----
