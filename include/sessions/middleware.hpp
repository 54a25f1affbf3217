#pragma once
// Middleware: Django's SessionMiddleware without a web framework. open() turns a request's
// Cookie header into a Session; finish() turns the Session and the response status into the
// headers to add to the response (Set-Cookie, Vary), saving the session on the way exactly when
// Django's middleware would.
//
// The session id can also travel in a request header (Settings::session_id_from, for API and
// mobile clients, as Spring Session's header resolver): the adapter then passes that header's
// value to open() too (session_header_name() says which header, null when only the cookie
// counts), and finish() answers in the same header: the new id when this request created the
// session or cycled its key, the header empty when the session the client named is gone (unknown,
// expired, flushed), nothing otherwise. The id the client sent is never sent back. Where Django
// adds `Vary: Cookie`, a header mode adds `Vary: <header>` (and `Vary: Cookie` when the cookie is
// read too) and `Cache-Control: private`: a shared cache must not serve one client's session page
// to another. The decisions (when to save, when to delete) are Django's in every mode.
//
// Several middlewares (different cookie names, stores, lifetimes) can serve one request: each
// opens and finishes its own session, and an adapter applies each one's headers in turn (Vary
// merges, so it names Cookie once).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cookie/parse.hpp"
#include "cookie/set_cookie.hpp"
#include "detail/session_access.hpp"
#include "errors.hpp"
#include "expiry/arithmetic.hpp"
#include "header_fields.hpp"
#include "settings.hpp"

namespace sessions {

namespace detail {
template <class MiddlewareT, class Handler>
class NativeFinish;  // async/detail/native_finish.hpp
}  // namespace detail
template <class MiddlewareT>
class AsyncMiddleware;  // async/async_middleware.hpp

template <class SessionT>
class Middleware {
 public:
  using session_type = SessionT;
  using storage_type = typename SessionT::storage_type;
  using serializer_type = typename SessionT::serializer_type;
  using expiry_type = typename SessionT::expiry_type;

  explicit Middleware(storage_type& store, const Settings& settings = default_settings(),
                      serializer_type serializer = {}, expiry_type expiry = {})
      : store_(&store), settings_(&settings), serializer_(std::move(serializer)), expiry_(std::move(expiry)) {
    SessionT::check_settings(settings);  // e.g. lost-update protection over a store without update_if
  }
  Middleware(storage_type&, const Settings&&, serializer_type = {}, expiry_type = {}) = delete;

  /// The request side: the session named by the request's session cookie (or a new one).
  /// `cookie_header` is the whole Cookie header (empty when absent); `secure` says whether the
  /// request came over HTTPS. `session_header` is the value of the header session_header_name()
  /// names, std::nullopt when the request has none (only read when Settings::session_id_from
  /// says so). With header_then_cookie, a request that carries the header (even empty: a client
  /// asking for its first id there) is answered in it; one without it is a cookie request.
  [[nodiscard]] SessionT open(std::string_view cookie_header, bool secure = false,
                              std::optional<std::string_view> session_header = std::nullopt) const {
    if (settings_->session_id_from != SessionIdFrom::cookie &&
        (session_header || settings_->session_id_from == SessionIdFrom::header)) {
      return open_from_header(session_header.value_or(std::string_view{}), secure);
    }
    // Both returns are prvalues: a named session returned beside another return would be moved
    // out instead of built in place (a measurable part of a request).
    return open_from_cookie(cookie_header, secure);
  }

  /// The response side, as Django's process_response: the headers to add. Throws
  /// SessionInterrupted when the session was deleted while the request ran (answer 400), and
  /// CookieError when the cookie cannot be written safely. Other save errors propagate as they
  /// are, nothing written: ConflictError (Settings::lost_update = fail, or merge out of attempts:
  /// answer 409 or retry the request), LimitExceeded (the session outgrew Settings::max_keys or
  /// max_payload_bytes: answer 413 or 400), StorageError (the store failed: 503).
  /// With the id in a header, that header (not Set-Cookie) says what became of the session.
  [[nodiscard]] HeaderFields finish(SessionT& session, int status) const {
    HeaderFields headers;
    if (decide_finish(session, status, headers)) save_and_finish(session, headers);
    return headers;
  }

  /// What open() learnt from the request: it carried the session cookie (in a header mode, the
  /// session id, from whichever of the two open() read).
  [[nodiscard]] static bool cookie_received(const SessionT& session) noexcept {
    return detail::SessionAccess::cookie_received(session);
  }
  /// What open() was told: the request came over HTTPS.
  [[nodiscard]] static bool request_secure(const SessionT& session) noexcept {
    return detail::SessionAccess::request_secure(session);
  }
  /// Reads the session's record now (if not read yet) without marking it accessed, as finish()
  /// does before deciding whether a stale key left the session empty.
  static void load_without_access(SessionT& session) { detail::SessionAccess::load_without_access(session); }

  /// The request header an adapter passes to open() (Settings::session_header), or null when
  /// the middleware reads only the cookie (Settings::session_id_from = cookie): then it need not look.
  [[nodiscard]] const std::string* session_header_name() const noexcept {
    return settings_->session_id_from == SessionIdFrom::cookie ? nullptr : &settings_->session_header;
  }
  /// What open() decided: the response carries the session id in the session header.
  [[nodiscard]] static bool answers_in_header(const SessionT& session) noexcept {
    return detail::SessionAccess::answers_in_header(session);
  }

  [[nodiscard]] const Settings& settings() const noexcept { return *settings_; }
  [[nodiscard]] storage_type& store() const noexcept { return *store_; }

 private:
  template <class, class>
  friend class detail::NativeFinish;  // the async API: makes finish()'s save itself, between these two steps
  template <class>
  friend class AsyncMiddleware;  // decides on its I/O thread; only a save goes to the pool

  // finish() up to its save: the headers that go out whatever the save does (Vary, or the
  // deletion of the cookie of a session gone empty); true when the session is to be saved
  // (begin_cookie(), the save, finish_headers()), false when `headers` are all.
  bool decide_finish(SessionT& session, int status, HeaderFields& headers) const {
    const Settings& s = *settings_;
    headers.reserve(2);  // at most Set-Cookie and Vary (a header mode's up to 4 grow it once)
    const bool in_header = detail::SessionAccess::answers_in_header(session);
    const auto add_vary = [&] {
      if (s.session_id_from == SessionIdFrom::cookie) {
        headers.push_back({"Vary", "Cookie"});
      } else {
        add_header_vary(headers);
      }
    };
    const bool accessed = session.accessed();
    const bool refresh = accessed && session.session_key() && session.expiry_policy().refresh_on_access(s);
    const bool read_only = detail::SessionAccess::read_only_requested(session);

    // A save on every request (or a refresh) reads the record first: a stale key then leaves
    // the session empty and its cookie is deleted, instead of failing the save.
    if ((s.save_every_request || refresh) && !read_only && session.session_key()) {
      detail::SessionAccess::load_without_access(session);
    }

    if (detail::SessionAccess::cookie_received(session) && session.is_empty()) {
      if (in_header) {
        headers.push_back({s.session_header, std::string()});  // the client forgets its id
      } else {
        headers.push_back({"Set-Cookie", cookie::delete_cookie_value(s.cookie_name, s.cookie_path, s.cookie_domain,
                                                                     s.cookie_samesite)});
      }
      add_vary();
      return false;
    }
    if (accessed) add_vary();
    if (session.is_empty()) return false;

    const bool changed = session.needs_save();
    if (read_only && !changed) return false;
    if (!changed && !s.save_every_request && !refresh) return false;
    return status < s.no_save_status_from;
  }

  // finish() after decide_finish() said to save: the save, then the headers it completes.
  void save_and_finish(SessionT& session, HeaderFields& headers) const {
    cookie::SetCookie c = begin_cookie(session);
    try {
      session.save();
    } catch (const UpdateError&) {
      throw SessionInterrupted();
    }
    finish_headers(session, headers, c);
  }

  // The cookie of a session decide_finish() said to save, its expiry read before the save (as
  // Django's middleware reads it); finish_headers() completes it.
  cookie::SetCookie begin_cookie(SessionT& session) const {
    cookie::SetCookie c;
    if (!detail::SessionAccess::answers_in_header(session)) {
      c.name = settings_->cookie_name;
      if (!session.get_expire_at_browser_close()) {
        const auto age = clamp_expiry_age(session.get_expiry_age());
        c.max_age = age;
        c.expires = add_saturating(settings_->clock.now(), age);
      }
    }
    return c;
  }

  // finish() after its save: the session's id, in the cookie (`c`, as begin_cookie() began it) or
  // in the session header.
  void finish_headers(const SessionT& session, HeaderFields& headers, cookie::SetCookie& c) const {
    const Settings& s = *settings_;
    if (detail::SessionAccess::answers_in_header(session)) {
      // Only an id the client does not have yet; an unchanged one is not repeated.
      if (detail::SessionAccess::key_issued(session)) headers.push_back({s.session_header, *session.session_key()});
      return;
    }
    c.value = *session.session_key();
    c.domain = s.cookie_domain;
    c.path = s.cookie_path;
    c.secure = s.cookie_secure || (s.cookie_secure_auto && detail::SessionAccess::request_secure(session));
    c.httponly = s.cookie_httponly;
    c.samesite = s.cookie_samesite;
    c.partitioned = s.cookie_partitioned;
    headers.push_back({"Set-Cookie", cookie::build_set_cookie(c, s.clock.now())});
  }

  SessionT open_from_cookie(std::string_view cookie_header, bool secure) const {
    // Bounded: only the first max_cookie_header_bytes of the header and max_cookie_pairs cookies
    // are looked at, and nothing is copied but the session cookie's value.
    const cookie::SessionCookie found =
        cookie::find_session_cookie(cookie_header, settings_->cookie_name, settings_->duplicate_cookies,
                                    settings_->max_cookie_header_bytes, settings_->max_cookie_pairs);
    if (found.conflicting) {
      settings_->logger(LogLevel::warning, "sessions.security.SuspiciousSession",
                        "the request carries several different session cookies (a planted cookie?)");
    }
    const std::optional<std::string_view>& value = found.value;
    SessionT session = value ? SessionT(*store_, *value, *settings_, serializer_, expiry_)
                             : SessionT(*store_, *settings_, serializer_, expiry_);
    detail::SessionAccess::note_request(session, value.has_value(), secure);
    return session;
  }

  SessionT open_from_header(std::string_view value, bool secure) const {
    value = detail::trim_ows(value);
    const bool received = !value.empty();
    // Bounded as the cookie is: a longer value names no session of ours, so the session starts
    // empty and the response tells the client to forget it (the value is never copied or echoed).
    SessionT session = received && value.size() <= settings_->max_cookie_header_bytes
                           ? SessionT(*store_, value, *settings_, serializer_, expiry_)
                           : SessionT(*store_, *settings_, serializer_, expiry_);
    detail::SessionAccess::note_request(session, received, secure);
    detail::SessionAccess::answer_in_header(session);
    return session;
  }

  // Where Django adds `Vary: Cookie`. A header mode names its header too (as a Vary of its own,
  // which an adapter merges like any other) and keeps shared caches out: a response that depends
  // on a header token is one client's.
  // (Out of finish()'s cookie path, which pushes its one Vary in place: a call there cost a
  // request 0.5% of its instructions.)
  void add_header_vary(HeaderFields& headers) const {
    if (settings_->session_id_from == SessionIdFrom::header_then_cookie) headers.push_back({"Vary", "Cookie"});
    headers.push_back({"Vary", settings_->session_header});
    headers.push_back({"Cache-Control", "private"});
  }

  storage_type* store_;
  const Settings* settings_;
  [[no_unique_address]] serializer_type serializer_;
  [[no_unique_address]] expiry_type expiry_;
};

}  // namespace sessions
