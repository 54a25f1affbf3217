#pragma once
// Every SESSION_* setting of Django, with Django's defaults, plus the few our library adds. One
// Settings object usually serves a whole application; sessions and middleware hold a reference
// to it, so it must outlive them.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

#include "clock.hpp"
#include "cookie/parse.hpp"
#include "events.hpp"
#include "log.hpp"
#include "random.hpp"
#include "session_limit.hpp"

namespace sessions {

/// SESSION_COOKIE_SAMESITE: Lax, Strict, None, or `omit` for Django's False (no attribute).
enum class SameSite { lax, strict, none, omit };

/// What save() does when another request saved the same session after this one loaded it.
enum class LostUpdate {
  /// Django's behaviour: the later save overwrites the earlier one's changes. No cost at all.
  last_write_wins,
  /// The later save writes nothing and throws ConflictError.
  fail,
  /// The later save reloads the record, re-applies the keys this request changed (set, erased,
  /// or changed in place) on top of it, and tries again; ConflictError after merge_attempts.
  merge,
};

/// Where the middleware reads the session id and sends a new one (not in Django; Spring Session's
/// cookie and header resolvers). See Middleware and docs/DESIGN.md, "Session id in a header".
enum class SessionIdFrom {
  /// Django's session cookie, byte for byte as Django's middleware: the default.
  cookie,
  /// Only Settings::session_header, for API and mobile clients: no cookie is read or written.
  header,
  /// Settings::session_header when the request carries it (answered in it), else the cookie
  /// (answered with Django's cookie): one site for both browsers and API clients.
  header_then_cookie,
};

struct Settings {
  /// SESSION_COOKIE_NAME; also the file name prefix of FileStore, as in Django.
  std::string cookie_name = "sessionid";
  /// SESSION_COOKIE_AGE: the default session lifetime, two weeks.
  std::chrono::seconds cookie_age{1'209'600};
  /// SESSION_COOKIE_DOMAIN: no Domain attribute when empty (host-only cookie).
  std::optional<std::string> cookie_domain;
  /// SESSION_COOKIE_PATH.
  std::string cookie_path = "/";
  /// SESSION_COOKIE_SECURE.
  bool cookie_secure = false;
  /// Not in Django: also mark the cookie Secure whenever the request itself came over HTTPS.
  bool cookie_secure_auto = false;
  /// SESSION_COOKIE_HTTPONLY.
  bool cookie_httponly = true;
  /// SESSION_COOKIE_SAMESITE.
  SameSite cookie_samesite = SameSite::lax;
  /// Not in Django: the CHIPS `Partitioned` attribute (requires Secure).
  bool cookie_partitioned = false;
  /// Which session cookie counts when a request carries several with the name (one planted by a
  /// sibling subdomain, or left over at another Path): Django's last one by default, or the
  /// first, or none (`reject`) when they differ. A `__Host-` cookie name prevents the planting.
  cookie::DuplicateCookies duplicate_cookies = cookie::DuplicateCookies::last;
  /// SESSION_SAVE_EVERY_REQUEST.
  bool save_every_request = false;
  /// SESSION_EXPIRE_AT_BROWSER_CLOSE.
  bool expire_at_browser_close = false;
  /// SESSION_FILE_PATH: FileStore's directory; the system temporary directory when empty.
  std::filesystem::path file_path;
  /// The middleware saves no session for a response with this status or above. Django 4.2+ uses
  /// 500 (any 5xx); Django 3.2 skipped only exactly 500.
  int no_save_status_from = 500;

  /// Lost-update protection (not in Django). Anything but last_write_wins needs a store with
  /// update_if() (every server store of the library has it; cookie stores cannot): a Session or
  /// Middleware built with it over another store throws ConfigurationError.
  LostUpdate lost_update = LostUpdate::last_write_wins;
  /// LostUpdate::merge: how many times save() reloads and re-applies before ConflictError.
  int merge_attempts = 5;

  /// Limits against abuse (not in Django). For max_payload_bytes, max_keys and max_nodes, 0 disables
  /// the limit.
  /// The largest serialized session a server store is asked to keep; save() of a larger one
  /// throws LimitExceeded and writes nothing, and a stored record larger than this loads as an
  /// empty session (logged on sessions.security.SuspiciousSession, as corrupt data).
  /// (Cookie stores are bounded by the 4096-byte cookie limit instead: CookieTooLarge.)
  std::size_t max_payload_bytes = std::size_t{1} << 20;
  /// The most top-level keys a session may hold: save() beyond it throws LimitExceeded, and a
  /// record (or cookie) holding more loads as an empty session, logged as above.
  std::size_t max_keys = 10'000;
  /// The most values a session may hold at all depths: every object member and array element,
  /// nested or not, counts one (the top-level keys too). max_keys bounds only the top level; this
  /// bounds what one nested object or array can make a decode build. Enforced as max_keys: save()
  /// beyond it throws LimitExceeded, a record (or cookie) holding more loads as an empty session,
  /// logged. 100,000 is far above any real session (a typical one holds about ten values; a 1 MiB
  /// payload of small values holds a few hundred thousand). 0 disables the limit.
  std::size_t max_nodes = 100'000;
  /// The part of a request's Cookie header the middleware reads, and the most cookies it looks
  /// at (cookie::find_cookie's bounds): the rest is ignored, never allocated for. These two are
  /// always applied (0 reads nothing).
  std::size_t max_cookie_header_bytes = 8192;
  std::size_t max_cookie_pairs = 256;

  /// Not in Django: where the middleware reads the session id (cookie, header, or header then
  /// cookie); with the header, a new id goes back in the same header and a deleted session is
  /// answered with the header empty. An id longer than max_cookie_header_bytes is not read.
  SessionIdFrom session_id_from = SessionIdFrom::cookie;
  /// The request and response header that carries the session id when session_id_from says so.
  std::string session_header = "X-Session-Token";

  /// Where "now" comes from (injectable for tests).
  Clock clock;
  /// Where session keys' randomness comes from (injectable for tests).
  RandomSource random;
  /// Where warnings (tampered data, survived outages) go.
  Logger logger;
  /// Where session events go (created, saved, destroyed, expired, rejected, ...: events.hpp).
  /// Unset by default: nothing is told.
  EventHook on_event;

  /// The per-user index (user_indexed.hpp; only a store wrapped in UserIndexed keeps it): how many
  /// sessions one user (`_auth_user_id`) may hold at once, 0 for no limit, and what a save that
  /// would go over it does: evict the user's least recently seen sessions, or refuse the new one
  /// (its record is deleted and save() throws SessionLimitReached). Ignored by other stores.
  std::size_t max_sessions_per_user = 0;
  UserSessionLimit::AtLimit at_session_limit = UserSessionLimit::AtLimit::evict_oldest;
};

/// The settings used when a caller passes none: Django's defaults.
[[nodiscard]] inline const Settings& default_settings() noexcept {
  static const Settings defaults{};
  return defaults;
}

}  // namespace sessions
