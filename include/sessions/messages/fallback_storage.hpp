#pragma once
// Django's FallbackStorage (its default MESSAGE_STORAGE): the cookie first, the session for what
// does not fit.
//   load: the cookie's messages; when the cookie says it could not hold them all (the sentinel),
//         the session's after them. A missing or invalid cookie stops there (Django's None), and
//         an invalid cookie is left as it is (Django marks only the inner storage used).
//   store: the cookie takes what it can, dropping the NEWEST (remove_oldest=False) so the order
//         survives; the session takes the rest; a storage that held messages at load time and
//         gets none now is emptied.

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cookie_storage.hpp"
#include "message.hpp"
#include "session_storage.hpp"
#include "storage.hpp"

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
