// The expiry policies: Django's rules, browser-session, idle, absolute, and idle + absolute.

#include <sessions/sessions.hpp>

#include "support/catch.hpp"
#include "support/fixtures.hpp"

using namespace std::chrono_literals;
using sessions::Data;

namespace {
template <class Expiry>
struct Env : test_support::StoreFixture<sessions::MemoryStore> {
  using SessionT = sessions::Session<sessions::MemoryStore, sessions::JsonSerializer, Expiry>;
  using MiddlewareT = sessions::Middleware<SessionT>;
  Expiry policy;
  MiddlewareT middleware;
  explicit Env(Expiry p) : policy(p), middleware(store, settings, {}, p) {}

  // One request returning the Set-Cookie value (empty if none) and the session key afterwards.
  template <class Handler>
  std::pair<std::string, std::optional<std::string>> request(const std::optional<std::string>& key, Handler&& h) {
    SessionT s = middleware.open(key ? "sessionid=" + *key : "");
    h(s);
    std::string set_cookie;
    for (const auto& header : middleware.finish(s, 200)) {
      if (header.name == "Set-Cookie") set_cookie = header.value;
    }
    return {set_cookie, s.session_key()};
  }
};
}  // namespace

TEST_CASE("ISO-8601 dates as Django writes and reads them", "[expiry]") {
  const sessions::TimePoint t{std::chrono::seconds{1'700'000'000}};
  CHECK(sessions::iso8601::format(t) == "2023-11-14T22:13:20+00:00");
  CHECK(sessions::iso8601::format(t + 250ms) == "2023-11-14T22:13:20.250000+00:00");
  CHECK(sessions::iso8601::parse("2023-11-14T22:13:20+00:00") == t);
  CHECK(sessions::iso8601::parse("2023-11-14T22:13:20.250000+00:00") == t + 250ms);
  CHECK(sessions::iso8601::parse("2023-11-14T23:13:20+01:00") == t);
  CHECK(sessions::iso8601::parse("2023-11-14 22:13:20") == t);
  CHECK(sessions::iso8601::parse("2023-11-14T22:13:20Z") == t);
  CHECK_FALSE(sessions::iso8601::parse("2023-02-30T00:00:00").has_value());
  CHECK_FALSE(sessions::iso8601::parse("yesterday").has_value());
  CHECK_FALSE(sessions::iso8601::parse("2023-11-14T22:13:20+00:00junk").has_value());
  CHECK_FALSE(sessions::iso8601::parse("").has_value());
}

TEST_CASE("DjangoExpiry reads _session_expiry as Django does", "[expiry]") {
  const sessions::DjangoExpiry policy;
  sessions::Settings settings;
  const sessions::TimePoint m{std::chrono::seconds{1'700'000'000}};
  CHECK(policy.expiry_age(Data::object(), settings, m) == 1209600s);
  CHECK(policy.expiry_age(Data{{"_session_expiry", 0}}, settings, m) == 1209600s);
  CHECK(policy.expiry_age(Data{{"_session_expiry", nullptr}}, settings, m) == 1209600s);
  CHECK(policy.expiry_age(Data{{"_session_expiry", 30}}, settings, m) == 30s);
  CHECK(policy.expiry_age(Data{{"_session_expiry", "2023-11-14T22:14:20+00:00"}}, settings, m) == 60s);
  CHECK(policy.expiry_age(Data{{"_session_expiry", "not a date"}}, settings, m) == 1209600s);
  CHECK(policy.expire_at_browser_close(Data{{"_session_expiry", 0}}, settings));
  CHECK_FALSE(policy.expire_at_browser_close(Data::object(), settings));
  settings.expire_at_browser_close = true;
  CHECK(policy.expire_at_browser_close(Data::object(), settings));
  CHECK_FALSE(policy.refresh_on_access(settings));
}

TEST_CASE("BrowserSession: the cookie has no Max-Age, the record keeps Django's age", "[expiry]") {
  Env<sessions::BrowserSession> env{{}};
  const auto [cookie, key] = env.request(std::nullopt, [](auto& s) { s.set("n", 1); });
  CHECK(cookie.find("Max-Age") == std::string::npos);
  CHECK(env.store.load(*key)->expires_at == env.clock.now() + env.settings.cookie_age);
}

TEST_CASE("Idle: every request pushes the expiry, inactivity ends the session", "[expiry]") {
  Env<sessions::Idle> env{sessions::Idle{.timeout = 60s}};
  const auto [first_cookie, key] = env.request(std::nullopt, [](auto& s) { s.set("n", 1); });
  CHECK(first_cookie.find("Max-Age=60;") != std::string::npos);
  for (int i = 0; i < 5; ++i) {
    env.clock.advance(50s);
    const auto [cookie, same] = env.request(key, [](auto& s) { CHECK(s.get("n", 0) == 1); });
    CHECK(same == key);
    CHECK(cookie.find("Max-Age=60;") != std::string::npos);  // refreshed though nothing changed
  }
  env.clock.advance(61s);
  const auto [cookie, gone] = env.request(key, [](auto& s) { CHECK(s.get("n", 0) == 0); });
  CHECK_FALSE(gone.has_value());
}

TEST_CASE("Absolute: activity does not extend the lifetime, cycle_key keeps it", "[expiry]") {
  Env<sessions::Absolute> env{sessions::Absolute{.lifetime = 100s}};
  const auto [cookie, key] = env.request(std::nullopt, [](auto& s) { s.set("n", 1); });
  CHECK(cookie.find("Max-Age=100;") != std::string::npos);
  env.clock.advance(40s);
  const auto [cookie2, key2] = env.request(key, [](auto& s) {
    s.cycle_key();  // a login
    s.set("n", 2);
  });
  CHECK(key2 != key);
  CHECK(cookie2.find("Max-Age=60;") != std::string::npos);
  env.clock.advance(59s);
  env.request(key2, [](auto& s) { CHECK(s.get("n", 0) == 2); });
  env.clock.advance(1s);
  env.request(key2, [](auto& s) { CHECK(s.get("n", 0) == 0); });
}

TEST_CASE("IdleAbsolute: whichever limit comes first", "[expiry]") {
  Env<sessions::IdleAbsolute> env{sessions::IdleAbsolute{.idle = 30s, .lifetime = 100s}};
  const auto [cookie, key] = env.request(std::nullopt, [](auto& s) { s.set("n", 1); });
  CHECK(cookie.find("Max-Age=30;") != std::string::npos);
  for (int i = 0; i < 3; ++i) {
    env.clock.advance(25s);  // active: idle never reached
    env.request(key, [](auto& s) { CHECK(s.get("n", 0) == 1); });
  }
  env.clock.advance(20s);  // 95 s after creation
  const auto [late, same] = env.request(key, [](auto& s) { CHECK(s.get("n", 0) == 1); });
  CHECK(late.find("Max-Age=5;") != std::string::npos);
  env.clock.advance(5s);
  env.request(key, [](auto& s) { CHECK(s.get("n", 0) == 0); });
}
