#pragma once
// Every SESSION_* setting of Django, with Django's defaults, plus the few our library adds. One
// Settings object usually serves a whole application; sessions and middleware hold a reference
// to it, so it must outlive them.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "clock.hpp"
#include "log.hpp"
#include "random.hpp"

namespace sessions {

/// SESSION_COOKIE_SAMESITE: Lax, Strict, None, or `omit` for Django's False (no attribute).
enum class SameSite { lax, strict, none, omit };

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
  /// SESSION_SAVE_EVERY_REQUEST.
  bool save_every_request = false;
  /// SESSION_EXPIRE_AT_BROWSER_CLOSE.
  bool expire_at_browser_close = false;
  /// SESSION_FILE_PATH: FileStore's directory; the system temporary directory when empty.
  std::filesystem::path file_path;
  /// The middleware saves no session for a response with this status or above. Django 4.2+ uses
  /// 500 (any 5xx); Django 3.2 skipped only exactly 500.
  int no_save_status_from = 500;

  /// Where "now" comes from (injectable for tests).
  Clock clock;
  /// Where session keys' randomness comes from (injectable for tests).
  RandomSource random;
  /// Where warnings (tampered data, survived outages) go.
  Logger logger;
};

/// The settings used when a caller passes none: Django's defaults.
[[nodiscard]] inline const Settings& default_settings() noexcept {
  static const Settings defaults{};
  return defaults;
}

}  // namespace sessions
