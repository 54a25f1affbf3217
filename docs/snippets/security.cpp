// docs/SECURITY.md: the settings and calls the application is responsible for. Run by CTest
// (docs_snippet_security), which checks that each does what the page says.
#include <sessions/sessions.hpp>
#include <sessions/storage/hashed_keys.hpp>

#include <chrono>
#include <cstdio>
#include <string>

using namespace std::chrono_literals;

int main() {
  // HTTPS only: the cookie is never sent in clear, and the __Host- prefix keeps subdomains from
  // planting or overwriting it.
  sessions::Settings settings;
  settings.cookie_name = "__Host-sessionid";
  settings.cookie_secure = true;
  settings.cookie_age = 12h;  // shorter than Django's two weeks: a stolen cookie is worth less

  // Rotating the secret: sign with the new one, still accept what the old one signed.
  const sessions::DjangoSignedSerializer serializer{"the new SECRET_KEY", {"the previous SECRET_KEY"}};

  // Keys hashed at rest: a dump of the store names no usable session.
  sessions::MemoryStore records;
  sessions::HashedKeys<sessions::MemoryStore> store{records};
  using SessionT = sessions::Session<sessions::HashedKeys<sessions::MemoryStore>, sessions::DjangoSignedSerializer>;
  const sessions::Middleware<SessionT> middleware{store, settings, serializer};

  SessionT session = middleware.open("");
  session.set("user", "ann");
  const sessions::HeaderFields headers = middleware.finish(session, 200);
  const std::string key = *session.session_key();
  const bool hashed = store.exists(key) && !records.exists(key);

  // Expired sessions pile up in server stores until something removes them (cron:
  // `sessionctl clearsessions --store URL`, or a timer thread calling this).
  const std::size_t removed = SessionT::clear_expired(store);

  std::string set_cookie;
  for (const auto& h : headers) {
    if (h.name == "Set-Cookie") set_cookie = h.value;
  }
  const bool secure = set_cookie.find("; Secure") != std::string::npos && set_cookie.find("; HttpOnly") != std::string::npos;
  std::printf("hashed at rest %d, Secure+HttpOnly %d, %zu expired removed\n", hashed, secure, removed);
  return hashed && secure && removed == 0 ? 0 : 1;
}
