#pragma once
// Middleware: Django's SessionMiddleware without a web framework. open() turns a request's
// Cookie header into a Session; finish() turns the Session and the response status into the
// headers to add to the response (Set-Cookie, Vary), saving the session on the way exactly when
// Django's middleware would.

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cookie/parse.hpp"
#include "cookie/set_cookie.hpp"
#include "errors.hpp"
#include "expiry/arithmetic.hpp"
#include "detail/session_access.hpp"
#include "settings.hpp"

namespace sessions {

struct HeaderField {
  std::string name;
  std::string value;
  friend bool operator==(const HeaderField&, const HeaderField&) = default;
};
using HeaderFields = std::vector<HeaderField>;

/// Django's patch_vary_headers for one header: `add` appended to an existing Vary value unless
/// present already (compared case-insensitively); `*` stays `*`.
[[nodiscard]] inline std::string patch_vary(std::string_view existing, std::string_view add) {
  const auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
  };
  const auto iequal = [](std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
  };
  std::string_view rest = existing;
  bool any = false;
  while (true) {
    const auto comma = rest.find(',');
    const std::string_view item = trim(rest.substr(0, comma));
    if (!item.empty()) {
      any = true;
      if (item == "*") return "*";
      if (iequal(item, add)) return std::string(trim(existing));
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (!any) return std::string(add);
  std::string out(trim(existing));
  out += ", ";
  out += add;
  return out;
}

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
  /// request came over HTTPS.
  [[nodiscard]] SessionT open(std::string_view cookie_header, bool secure = false) const {
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

  /// The response side, as Django's process_response: the headers to add. Throws
  /// SessionInterrupted when the session was deleted while the request ran (answer 400), and
  /// CookieError when the cookie cannot be written safely. Other save errors propagate as they
  /// are, nothing written: ConflictError (Settings::lost_update = fail, or merge out of attempts:
  /// answer 409 or retry the request), LimitExceeded (the session outgrew Settings::max_keys or
  /// max_payload_bytes: answer 413 or 400), StorageError (the store failed: 503).
  [[nodiscard]] HeaderFields finish(SessionT& session, int status) const {
    HeaderFields headers;
    headers.reserve(2);  // at most Set-Cookie and Vary
    const Settings& s = *settings_;
    const bool accessed = session.accessed();
    const bool refresh = accessed && session.session_key() && session.expiry_policy().refresh_on_access(s);
    const bool read_only = detail::SessionAccess::read_only_requested(session);

    // A save on every request (or a refresh) reads the record first: a stale key then leaves
    // the session empty and its cookie is deleted, instead of failing the save.
    if ((s.save_every_request || refresh) && !read_only && session.session_key()) {
      detail::SessionAccess::load_without_access(session);
    }

    if (detail::SessionAccess::cookie_received(session) && session.is_empty()) {
      headers.push_back({"Set-Cookie", cookie::delete_cookie_value(s.cookie_name, s.cookie_path, s.cookie_domain,
                                                                   s.cookie_samesite)});
      headers.push_back({"Vary", "Cookie"});
      return headers;
    }
    if (accessed) headers.push_back({"Vary", "Cookie"});
    if (session.is_empty()) return headers;

    const bool changed = session.needs_save();
    if (read_only && !changed) return headers;
    if (!changed && !s.save_every_request && !refresh) return headers;
    if (status >= s.no_save_status_from) return headers;

    cookie::SetCookie c;
    c.name = s.cookie_name;
    if (!session.get_expire_at_browser_close()) {
      const auto age = clamp_expiry_age(session.get_expiry_age());
      c.max_age = age;
      c.expires = add_saturating(s.clock.now(), age);
    }
    try {
      session.save();
    } catch (const UpdateError&) {
      throw SessionInterrupted();
    }
    c.value = *session.session_key();
    c.domain = s.cookie_domain;
    c.path = s.cookie_path;
    c.secure = s.cookie_secure || (s.cookie_secure_auto && detail::SessionAccess::request_secure(session));
    c.httponly = s.cookie_httponly;
    c.samesite = s.cookie_samesite;
    c.partitioned = s.cookie_partitioned;
    headers.push_back({"Set-Cookie", cookie::build_set_cookie(c, s.clock.now())});
    return headers;
  }

  /// What open() learnt from the request: it carried the session cookie.
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

  [[nodiscard]] const Settings& settings() const noexcept { return *settings_; }
  [[nodiscard]] storage_type& store() const noexcept { return *store_; }

 private:
  storage_type* store_;
  const Settings* settings_;
  [[no_unique_address]] serializer_type serializer_;
  [[no_unique_address]] expiry_type expiry_;
};

}  // namespace sessions
