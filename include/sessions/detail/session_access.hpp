#pragma once
// The middleware's side door into a Session: what it learnt from the request (the cookie, HTTPS),
// the handler's read-only promise, and a load that does not count as an access. None of this is
// Django's session API, so none of it is a public member of Session; the middleware (and an
// adapter that needs the same facts) reaches it here.

#include <string>
#include <utility>

namespace sessions::detail {

struct SessionAccess {
  template <class SessionT>
  static void note_request(SessionT& session, bool cookie_received, bool secure) noexcept {
    session.s_.request_.cookie_received = cookie_received;
    session.s_.request_.secure = secure;
  }

  /// The response is to carry the session id in Settings::session_header, not in a cookie.
  template <class SessionT>
  static void answer_in_header(SessionT& session) noexcept {
    session.s_.request_.answer_in_header = true;
  }

  /// The request carried the session id (in its cookie, or in the session header).
  template <class SessionT>
  [[nodiscard]] static bool cookie_received(const SessionT& session) noexcept {
    return session.s_.request_.cookie_received;
  }

  template <class SessionT>
  [[nodiscard]] static bool answers_in_header(const SessionT& session) noexcept {
    return session.s_.request_.answer_in_header;
  }

  /// This request gave the session a key (create, cycle_key, a cookie store's save).
  template <class SessionT>
  [[nodiscard]] static bool key_issued(const SessionT& session) noexcept {
    return session.s_.request_.key_issued;
  }

  /// The request came over HTTPS (as the middleware was told).
  template <class SessionT>
  [[nodiscard]] static bool request_secure(const SessionT& session) noexcept {
    return session.s_.request_.secure;
  }

  /// read_only() was called: an unmodified session is never saved or re-sent.
  template <class SessionT>
  [[nodiscard]] static bool read_only_requested(const SessionT& session) noexcept {
    return session.s_.request_.read_only;
  }

  /// The key whose record the session's own load would read (null: nothing to read, or a client-
  /// side session, which reads none); the async API reads it off the session and hands it back
  /// through fetched().
  template <class SessionT>
  [[nodiscard]] static const std::string* key_to_fetch(const SessionT& session) noexcept {
    if constexpr (requires { session.s_.key_to_fetch(); }) {
      return session.s_.key_to_fetch();
    } else {
      return nullptr;
    }
  }
  template <class SessionT, class RecordT>
  static void fetched(SessionT& session, RecordT record) {
    session.s_.fetched(std::move(record));
  }

  /// An empty session over the same store, settings, serializer and expiry policy: what an
  /// asynchronous operation hands back beside an error when the session it was given is gone.
  template <class SessionT>
  [[nodiscard]] static SessionT blank_like(const SessionT& session) {
    return SessionT(*session.s_.store_, *session.s_.settings_, session.s_.serializer_, session.s_.expiry_);
  }

  /// The session's flow itself (detail/server_flow.hpp): for the async API's native path, which
  /// makes a save's store calls itself between the flow's steps.
  template <class SessionT>
  [[nodiscard]] static auto& flow(SessionT& session) noexcept {
    return session.s_;
  }

  /// Reads the record if not read yet without marking the session accessed.
  template <class SessionT>
  static void load_without_access(SessionT& session) {
    session.s_.load_without_access();
  }
};

}  // namespace sessions::detail
