// docs/middleware.md: the session id in a request header, and two sessions in one request. Run by
// CTest (docs_snippet_middleware), which checks the headers the page shows.
#include <sessions/sessions.hpp>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

using namespace std::chrono_literals;

namespace {

using SessionT = sessions::Session<sessions::MemoryStore>;

std::optional<std::string> header(const sessions::HeaderFields& headers, std::string_view name) {
  for (const auto& h : headers) {
    if (h.name == name) return h.value;
  }
  return std::nullopt;
}

bool api_client() {
  // Browsers keep the cookie; API and mobile clients send X-Session-Token instead.
  sessions::Settings settings;
  settings.session_id_from = sessions::SessionIdFrom::header_then_cookie;
  settings.session_header = "X-Session-Token";
  sessions::MemoryStore store;
  const sessions::Middleware<SessionT> middleware{store, settings};

  // An adapter passes the header's value when the request has it (std::nullopt when not):
  // middleware.session_header_name() says which header, null when only the cookie counts.
  SessionT session = middleware.open(/*cookie_header=*/"", /*secure=*/true, /*session_header=*/"");
  session.set("user", "ann");
  const sessions::HeaderFields headers = middleware.finish(session, 200);
  // X-Session-Token: <the new key>   (no Set-Cookie)
  // Vary: Cookie
  // Vary: X-Session-Token
  // Cache-Control: private

  const std::optional<std::string> token = header(headers, "X-Session-Token");
  SessionT next = middleware.open("", true, *token);  // the client's next request
  const bool same = next.get("user") == sessions::Data("ann");
  next.flush();  // logout
  const sessions::HeaderFields out = middleware.finish(next, 200);
  // X-Session-Token:                 (empty: forget the id)

  std::printf("token %zu chars, logout sends \"%s\"\n", token ? token->size() : 0,
              header(out, "X-Session-Token").value_or("(none)").c_str());
  return token && token->size() == 32 && !header(headers, "Set-Cookie") && same &&
         header(headers, "Cache-Control") == "private" && header(out, "X-Session-Token") == "";
}

bool two_sessions() {
  // A long-lived preferences session and a short authentication session.
  sessions::Settings prefs_settings;
  prefs_settings.cookie_name = "prefs";
  prefs_settings.cookie_age = std::chrono::hours(24 * 365);
  sessions::Settings auth_settings;
  auth_settings.cookie_name = "__Host-auth";
  auth_settings.cookie_age = 15min;
  auth_settings.cookie_secure = true;
  auth_settings.cookie_samesite = sessions::SameSite::strict;
  sessions::MemoryStore prefs_store;  // e.g. a FileStore or SqliteStore
  sessions::MemoryStore auth_store;   // e.g. a RedisStore
  const sessions::Middleware<SessionT> prefs{prefs_store, prefs_settings};
  const sessions::Middleware<SessionT> auth{auth_store, auth_settings};

  // One request: each middleware opens its own session from the same Cookie header...
  const std::string cookie_header = "";
  SessionT preferences = prefs.open(cookie_header);
  SessionT login = auth.open(cookie_header);
  preferences.set("theme", "dark");
  login.set("user", "ann");
  // ...and finishes it; the adapter applies both lists (Vary merges: Cookie once).
  sessions::HeaderFields headers = auth.finish(login, 200);
  for (auto& h : prefs.finish(preferences, 200)) headers.push_back(std::move(h));
  // Set-Cookie: __Host-auth=...; expires=...; HttpOnly; Max-Age=900; Path=/; SameSite=Strict; Secure
  // Vary: Cookie
  // Set-Cookie: prefs=...; expires=...; HttpOnly; Max-Age=31536000; Path=/; SameSite=Lax
  // Vary: Cookie

  int cookies = 0;
  bool lifetimes = true;
  for (const auto& h : headers) {
    if (h.name != "Set-Cookie") continue;
    ++cookies;
    std::printf("Set-Cookie: %s\n", h.value.c_str());
    lifetimes = lifetimes && (h.value.find(h.value.starts_with("prefs=") ? "Max-Age=31536000;" : "Max-Age=900;") !=
                              std::string::npos);
  }
  return cookies == 2 && lifetimes && auth_store.exists(*login.session_key()) &&
         !prefs_store.exists(*login.session_key());
}

}  // namespace

int main() {
  const bool ok = api_client() && two_sessions();
  std::printf("%s\n", ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
