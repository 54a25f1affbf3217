// docs/django-guide.md, "Settings": every SESSION_* setting of a Django settings.py as a
// sessions::Settings member, and the middleware built from them. Run by CTest
// (docs_snippet_settings), which checks the Set-Cookie header these settings produce.
#include <sessions/sessions.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

using namespace std::chrono_literals;

int main() {
  // SESSION_ENGINE = "django.contrib.sessions.backends.file"
  // SESSION_SERIALIZER = "django.contrib.sessions.serializers.JSONSerializer"
  using SessionT = sessions::Session<sessions::FileStore, sessions::JsonSerializer>;

  sessions::Settings settings;
  settings.cookie_name = "__Host-sessionid";          // SESSION_COOKIE_NAME
  settings.cookie_age = 8h;                           // SESSION_COOKIE_AGE = 8 * 3600
  settings.cookie_domain = std::nullopt;              // SESSION_COOKIE_DOMAIN = None
  settings.cookie_path = "/";                         // SESSION_COOKIE_PATH
  settings.cookie_secure = true;                      // SESSION_COOKIE_SECURE = True
  settings.cookie_httponly = true;                    // SESSION_COOKIE_HTTPONLY
  settings.cookie_samesite = sessions::SameSite::lax; // SESSION_COOKIE_SAMESITE = "Lax"
  settings.save_every_request = false;                // SESSION_SAVE_EVERY_REQUEST
  settings.expire_at_browser_close = false;           // SESSION_EXPIRE_AT_BROWSER_CLOSE
  settings.file_path = std::filesystem::temp_directory_path();  // SESSION_FILE_PATH
  settings.no_save_status_from = 500;                 // Django 4.2+: no save on any 5xx

  sessions::FileStore store{sessions::FileStore::options_from_settings(settings)};  // one per application
  const sessions::Middleware<SessionT> middleware{store, settings};  // settings outlive both

  SessionT session = middleware.open("");             // a request without a session cookie
  session.set("num_visits", 1);
  const sessions::HeaderFields headers = middleware.finish(session, 200);

  std::string set_cookie;
  for (const auto& h : headers) {
    if (h.name == "Set-Cookie") set_cookie = h.value;
  }
  std::printf("%s\n", set_cookie.c_str());
  const bool ok = set_cookie.starts_with("__Host-sessionid=") && set_cookie.find("Max-Age=28800;") != std::string::npos &&
                  set_cookie.find("; HttpOnly") != std::string::npos && set_cookie.find("; Secure") != std::string::npos &&
                  set_cookie.find("SameSite=Lax") != std::string::npos;
  session.flush();  // leave no file behind

  // docs/file-store.md, "Configuring it": the same store from a URL and from Options.
  const std::string dir = settings.file_path.string();
  sessions::FileStore by_url{"file://" + dir + "?cookie_name=__Host-sessionid&lock_timeout=2000"};
  sessions::FileStore by_options{{.directory = settings.file_path, .cookie_name = "__Host-sessionid"}};
  const bool same = by_url.directory() == store.directory() && by_options.directory() == store.directory() &&
                    by_url.options().lock_timeout == std::chrono::milliseconds{2000};
  return ok && same ? 0 : 1;
}
