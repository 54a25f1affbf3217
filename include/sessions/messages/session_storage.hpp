#pragma once
// Django's SessionStorage: the messages in the session under `_messages`, as a JSON *string*
// (MessageEncoder with json's default separators) inside the session's own JSON. An empty list
// removes the key. Everything is stored (nothing ever comes back from store()).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../data.hpp"
#include "../django_version.hpp"
#include "../errors.hpp"
#include "detail/encoding.hpp"
#include "message.hpp"
#include "storage.hpp"

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
