// Django's SessionMiddlewareTests, plus what our middleware adds (nested changes, read-only views,
// no writes of unchanged data).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/catch.hpp"
#include "support/fixtures.hpp"

using namespace std::chrono_literals;
using sessions::Data;
using MiddlewareSession = sessions::Session<sessions::MemoryStore>;
using MiddlewareT = sessions::Middleware<MiddlewareSession>;

namespace {

struct MiddlewareEnv : test_support::StoreFixture<sessions::MemoryStore> {
  MiddlewareT middleware{store, settings};

  // One request: open from the Cookie header, run the handler, finish with the status.
  template <class Handler>
  sessions::HeaderFields request(const std::string& cookie_header, Handler&& handler, int status = 200) {
    MiddlewareSession session = middleware.open(cookie_header);
    handler(session);
    return middleware.finish(session, status);
  }
};

const sessions::HeaderField* find_header(const sessions::HeaderFields& headers, std::string_view name) {
  for (const auto& h : headers) {
    if (h.name == name) return &h;
  }
  return nullptr;
}

std::string cookie_value(const sessions::HeaderFields& headers) {
  const auto* h = find_header(headers, "Set-Cookie");
  REQUIRE(h != nullptr);
  const auto eq = h->value.find('=');
  const auto semi = h->value.find(';');
  return h->value.substr(eq + 1, semi - eq - 1);
}

}  // namespace

TEST_CASE("test_secure_session_cookie, test_httponly_session_cookie, test_samesite_session_cookie", "[middleware]") {
  MiddlewareEnv env;
  env.settings.cookie_secure = true;
  env.settings.cookie_samesite = sessions::SameSite::strict;
  const auto headers = env.request("", [](MiddlewareSession& s) { s.set("hello", "world"); });
  const auto* set_cookie = find_header(headers, "Set-Cookie");
  REQUIRE(set_cookie != nullptr);
  CHECK(set_cookie->value.find("; Secure") != std::string::npos);
  CHECK(set_cookie->value.find("; HttpOnly") != std::string::npos);
  CHECK(set_cookie->value.find("; SameSite=Strict") != std::string::npos);
}

TEST_CASE("test_no_httponly_session_cookie", "[middleware]") {
  MiddlewareEnv env;
  env.settings.cookie_httponly = false;
  const auto headers = env.request("", [](MiddlewareSession& s) { s.set("hello", "world"); });
  const auto* set_cookie = find_header(headers, "Set-Cookie");
  REQUIRE(set_cookie != nullptr);
  CHECK(set_cookie->value.find("HttpOnly") == std::string::npos);
}

TEST_CASE("the session cookie has Django's attributes in Django's order", "[middleware]") {
  MiddlewareEnv env;
  env.settings.cookie_domain = ".example.local";
  env.settings.cookie_path = "/app/";
  const auto headers = env.request("", [](MiddlewareSession& s) { s.set("hello", "world"); });
  const std::string key = cookie_value(headers);
  CHECK(find_header(headers, "Set-Cookie")->value ==
        "sessionid=" + key +
            "; Domain=.example.local; expires=Tue, 28 Nov 2023 22:13:20 GMT; HttpOnly; Max-Age=1209600; "
            "Path=/app/; SameSite=Lax");
  CHECK(find_header(headers, "Vary")->value == "Cookie");
}

TEST_CASE("test_session_save_on_500 and test_session_save_on_5xx", "[middleware]") {
  for (const int status : {500, 503}) {
    MiddlewareEnv env;
    MiddlewareSession session = env.middleware.open("");
    session.set("hello", "world");
    const auto headers = env.middleware.finish(session, status);
    CHECK(find_header(headers, "Set-Cookie") == nullptr);
    CHECK(find_header(headers, "Vary") != nullptr);  // accessed: Vary even on errors
    CHECK_FALSE(session.session_key().has_value());
    CHECK(env.store.size() == 0);
  }
}

namespace {

// One request that changes its session, answered with `status`: whether the session was saved
// (a Set-Cookie naming a record that the store holds), checked both ways so that neither a save
// without its cookie nor a cookie without its record passes.
bool saved_with_status(int status, int no_save_status_from) {
  MiddlewareEnv env;
  env.settings.no_save_status_from = no_save_status_from;
  MiddlewareSession session = env.middleware.open("");
  session.set("hello", "world");
  const auto headers = env.middleware.finish(session, status);
  const bool cookie = find_header(headers, "Set-Cookie") != nullptr;
  const bool stored = env.store.size() == 1;
  CHECK(cookie == stored);
  CHECK(find_header(headers, "Vary") != nullptr);  // accessed, saved or not
  return cookie && stored;
}

}  // namespace

TEST_CASE("the status rule on both sides of no_save_status_from: 4xx saves, the threshold and above do not",
          "[middleware]") {
  // The default, 500 (Django 4.2+): every 4xx saves (a form error, a 404 page), every 5xx does not.
  CHECK(saved_with_status(200, 500));
  CHECK(saved_with_status(302, 500));
  CHECK(saved_with_status(400, 500));
  CHECK(saved_with_status(404, 500));
  CHECK(saved_with_status(499, 500));
  CHECK_FALSE(saved_with_status(500, 500));
  CHECK_FALSE(saved_with_status(503, 500));
  CHECK_FALSE(saved_with_status(599, 500));
  // 501: 500 saves now; the threshold itself and above still do not.
  CHECK(saved_with_status(499, 501));
  CHECK(saved_with_status(500, 501));
  CHECK_FALSE(saved_with_status(501, 501));
  CHECK_FALSE(saved_with_status(503, 501));
  // 400: the threshold moves down, and 4xx stops saving.
  CHECK(saved_with_status(399, 400));
  CHECK_FALSE(saved_with_status(400, 400));
  CHECK_FALSE(saved_with_status(404, 400));
  // 600: no status an HTTP response can have stops the save.
  CHECK(saved_with_status(500, 600));
  CHECK(saved_with_status(599, 600));
}

TEST_CASE("test_session_update_error_redirect: a session deleted meanwhile is SessionInterrupted", "[middleware]") {
  MiddlewareEnv env;
  MiddlewareSession session = env.middleware.open("");
  session.set("foo", "bar");
  session.save(true);
  session.destroy();
  try {
    (void)env.middleware.finish(session, 200);
    FAIL("SessionInterrupted expected");
  } catch (const sessions::SessionInterrupted& e) {
    CHECK(std::string(e.what()) ==
          "The request's session was deleted before the request completed. The user may have logged out in a "
          "concurrent request, for example.");
  }
  CHECK(env.store.size() == 0);  // not resurrected
}

TEST_CASE("test_session_delete_on_end", "[middleware]") {
  MiddlewareEnv env;
  const auto headers = env.request("sessionid=abc", [](MiddlewareSession& s) { s.flush(); });
  CHECK(find_header(headers, "Set-Cookie")->value ==
        "sessionid=\"\"; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax");
  CHECK(find_header(headers, "Vary")->value == "Cookie");
}

TEST_CASE("test_session_delete_on_end_with_custom_domain_and_path", "[middleware]") {
  MiddlewareEnv env;
  env.settings.cookie_domain = ".example.local";
  env.settings.cookie_path = "/example/";
  const auto headers = env.request("sessionid=abc", [](MiddlewareSession& s) { s.flush(); });
  CHECK(find_header(headers, "Set-Cookie")->value ==
        "sessionid=\"\"; Domain=.example.local; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/example/; "
        "SameSite=Lax");
}

TEST_CASE("test_flush_empty_without_session_cookie_doesnt_set_cookie", "[middleware]") {
  MiddlewareEnv env;
  const auto headers = env.request("", [](MiddlewareSession& s) { s.flush(); });
  CHECK(find_header(headers, "Set-Cookie") == nullptr);
  CHECK(find_header(headers, "Vary")->value == "Cookie");
}

TEST_CASE("test_empty_session_saved: a session emptied by the view is still saved", "[middleware]") {
  MiddlewareEnv env;
  auto headers = env.request("", [](MiddlewareSession& s) { s.set("foo", "bar"); });
  const std::string key = cookie_value(headers);
  CHECK(find_header(headers, "Vary")->value == "Cookie");
  headers = env.request("sessionid=" + key, [](MiddlewareSession& s) { s.erase("foo"); });
  CHECK(cookie_value(headers) == key);
  MiddlewareSession check(env.store, key, env.settings);
  CHECK(check.data().empty());
  CHECK(check.session_key() == std::optional<std::string>(key));
}

TEST_CASE("a request that only reads sets Vary but neither saves nor sends a cookie", "[middleware]") {
  MiddlewareEnv env;
  const std::string key = cookie_value(env.request("", [](MiddlewareSession& s) { s.set("n", 1); }));
  const auto headers =
      env.request("other=1; sessionid=" + key, [](MiddlewareSession& s) { CHECK(s.get("n", 0) == 1); });
  CHECK(find_header(headers, "Set-Cookie") == nullptr);
  CHECK(find_header(headers, "Vary") != nullptr);
  const auto untouched = env.request("sessionid=" + key, [](MiddlewareSession&) {});
  CHECK(untouched.empty());
}

TEST_CASE("SESSION_SAVE_EVERY_REQUEST re-sets the cookie without Vary when the session is untouched", "[middleware]") {
  MiddlewareEnv env;
  env.settings.save_every_request = true;
  const std::string key = cookie_value(env.request("", [](MiddlewareSession& s) { s.set("n", 1); }));
  env.clock.advance(100s);
  const auto headers = env.request("sessionid=" + key, [](MiddlewareSession&) {});
  CHECK(cookie_value(headers) == key);
  CHECK(find_header(headers, "Vary") == nullptr);
  CHECK(env.store.load(key)->expires_at == env.clock.now() + env.settings.cookie_age);  // expiry pushed forward

  // A stale key is dropped and its cookie deleted, instead of Django's failed update.
  const auto stale = env.request("sessionid=abcdefgh12345678", [](MiddlewareSession&) {});
  CHECK(find_header(stale, "Set-Cookie")->value.find("Max-Age=0") != std::string::npos);
}

TEST_CASE("SESSION_EXPIRE_AT_BROWSER_CLOSE gives a cookie without Max-Age or expires", "[middleware]") {
  MiddlewareEnv env;
  env.settings.expire_at_browser_close = true;
  const auto headers = env.request("", [](MiddlewareSession& s) { s.set("n", 1); });
  const auto& value = find_header(headers, "Set-Cookie")->value;
  CHECK(value.find("Max-Age") == std::string::npos);
  CHECK(value.find("expires") == std::string::npos);
  const std::string key = cookie_value(headers);
  CHECK(env.store.load(key)->expires_at == env.clock.now() + env.settings.cookie_age);  // server side unchanged
}

TEST_CASE("set_expiry(seconds) sets the cookie's Max-Age", "[middleware]") {
  MiddlewareEnv env;
  const auto headers = env.request("", [](MiddlewareSession& s) {
    s.set("n", 1);
    s.set_expiry(30);
  });
  CHECK(find_header(headers, "Set-Cookie")->value.find("Max-Age=30;") != std::string::npos);
}

TEST_CASE("a nested in-place change is saved (Django loses it)", "[middleware]") {
  MiddlewareEnv env;
  const std::string key = cookie_value(env.request("", [](MiddlewareSession& s) { s.set("cart", Data::array()); }));
  const auto headers = env.request("sessionid=" + key, [](MiddlewareSession& s) { s.at("cart").push_back("apple"); });
  CHECK(find_header(headers, "Set-Cookie") != nullptr);
  MiddlewareSession check(env.store, key, env.settings);
  CHECK(check.get("cart") == Data{"apple"});

  // Taking a mutable reference without changing anything writes nothing.
  const auto unchanged = env.request("sessionid=" + key, [](MiddlewareSession& s) { (void)s.at("cart").size(); });
  CHECK(find_header(unchanged, "Set-Cookie") == nullptr);
}

TEST_CASE("data that did not change is not written again, only its expiry refreshed", "[middleware]") {
  test_support::FixtureBase base;
  example::MapStore store{sessions::Clock(base.clock)};
  sessions::Middleware<sessions::Session<example::MapStore>> middleware{store, base.settings};
  auto s = middleware.open("");
  s.set("n", 1);
  auto headers = middleware.finish(s, 200);
  REQUIRE(store.writes() == 1);
  auto again = middleware.open("sessionid=" + *s.session_key());
  again.set("n", 1);  // Django writes this; the payload is unchanged
  base.clock.advance(60s);
  headers = middleware.finish(again, 200);
  CHECK(store.writes() == 1);
  CHECK(store.load(*s.session_key())->expires_at == base.clock.now() + base.settings.cookie_age);
  CHECK_FALSE(headers.empty());
}

TEST_CASE("a read-only view never causes a save or a Set-Cookie", "[middleware]") {
  MiddlewareEnv env;
  env.settings.save_every_request = true;
  const std::string key = cookie_value(env.request("", [](MiddlewareSession& s) { s.set("n", 1); }));
  const auto headers = env.request("sessionid=" + key, [](MiddlewareSession& s) {
    const auto view = s.read_only();
    CHECK(view.get("n", 0) == 1);
    CHECK(view.contains("n"));
  });
  CHECK(find_header(headers, "Set-Cookie") == nullptr);
  CHECK(find_header(headers, "Vary") != nullptr);
}

TEST_CASE("the cookie can be marked Secure from the request", "[middleware]") {
  MiddlewareEnv env;
  env.settings.cookie_secure_auto = true;
  auto https = env.middleware.open("", /*secure=*/true);
  https.set("n", 1);
  CHECK(find_header(env.middleware.finish(https, 200), "Set-Cookie")->value.find("; Secure") != std::string::npos);
  auto http = env.middleware.open("", /*secure=*/false);
  http.set("n", 1);
  CHECK(find_header(env.middleware.finish(http, 200), "Set-Cookie")->value.find("Secure") == std::string::npos);
}

TEST_CASE("patch_vary merges as Django's patch_vary_headers", "[middleware]") {
  CHECK(sessions::patch_vary("", "Cookie") == "Cookie");
  CHECK(sessions::patch_vary("Accept-Encoding", "Cookie") == "Accept-Encoding, Cookie");
  CHECK(sessions::patch_vary("accept-encoding, COOKIE", "Cookie") == "accept-encoding, COOKIE");
  CHECK(sessions::patch_vary("*", "Cookie") == "*");
}

TEST_CASE("patch_cache_control_private and merge_header merge as Django's patch_cache_control", "[middleware]") {
  CHECK(sessions::patch_cache_control_private("") == "private");
  CHECK(sessions::patch_cache_control_private("max-age=60") == "max-age=60, private");
  CHECK(sessions::patch_cache_control_private("Public, max-age=60") == "max-age=60, private");
  CHECK(sessions::patch_cache_control_private("private=\"Set-Cookie\", no-cache") ==
        "private=\"Set-Cookie\", no-cache");
  CHECK(sessions::merges_into_response("vary"));
  CHECK(sessions::merges_into_response("Cache-Control"));
  CHECK_FALSE(sessions::merges_into_response("Set-Cookie"));
  CHECK_FALSE(sessions::merges_into_response("X-Session-Token"));
  CHECK(sessions::merge_header("Vary", "", "X-Session-Token") == "X-Session-Token");
  CHECK(sessions::merge_header("Vary", "Accept-Encoding", "X-Session-Token") == "Accept-Encoding, X-Session-Token");
  CHECK(sessions::merge_header("Cache-Control", "public", "private") == "private");
}

namespace {

// One request in a header mode: the session header's value (nullopt: absent) and the Cookie header.
template <class Handler>
sessions::HeaderFields header_request(MiddlewareEnv& env, std::optional<std::string_view> token, Handler&& handler,
                                      const std::string& cookie_header = "") {
  MiddlewareSession session = env.middleware.open(cookie_header, false, token);
  handler(session);
  return env.middleware.finish(session, 200);
}

std::vector<std::string> header_values(const sessions::HeaderFields& headers, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& h : headers) {
    if (h.name == name) out.push_back(h.value);
  }
  return out;
}

}  // namespace

TEST_CASE("the session id in a header: a new id goes back in the header, never a cookie", "[middleware][header]") {
  MiddlewareEnv env;
  env.settings.session_id_from = sessions::SessionIdFrom::header;
  REQUIRE(env.middleware.session_header_name() != nullptr);
  CHECK(*env.middleware.session_header_name() == "X-Session-Token");

  const auto created = header_request(env, std::nullopt, [](MiddlewareSession& s) { s.set("n", 1); });
  CHECK(find_header(created, "Set-Cookie") == nullptr);
  CHECK(header_values(created, "Vary") == std::vector<std::string>{"X-Session-Token"});
  CHECK(header_values(created, "Cache-Control") == std::vector<std::string>{"private"});
  const auto ids = header_values(created, "X-Session-Token");
  REQUIRE(ids.size() == 1);
  const std::string key = ids.front();
  CHECK(env.store.exists(key));

  // Known and changed: saved, but the client has this id already.
  const auto changed = header_request(env, key, [](MiddlewareSession& s) { s.set("n", 2); });
  CHECK(header_values(changed, "X-Session-Token").empty());
  CHECK(MiddlewareSession(env.store, key, env.settings).get("n") == Data(2));
  CHECK(header_values(changed, "Vary") == std::vector<std::string>{"X-Session-Token"});

  // Untouched: nothing at all, as Django's middleware for an unread session.
  CHECK(header_request(env, key, [](MiddlewareSession&) {}).empty());

  // cycle_key: the new id; the cookie is never read in this mode.
  const auto cycled = header_request(
      env, key, [](MiddlewareSession& s) { s.cycle_key(); }, "sessionid=" + key);
  const auto new_ids = header_values(cycled, "X-Session-Token");
  REQUIRE(new_ids.size() == 1);
  CHECK(new_ids.front() != key);
  CHECK_FALSE(env.store.exists(key));
  CHECK(MiddlewareSession(env.store, new_ids.front(), env.settings).get("n") == Data(2));
  CHECK(
      header_request(
          env, std::nullopt, [](MiddlewareSession& s) { CHECK_FALSE(s.contains("n")); }, "sessionid=" + new_ids.front())
          .size() == 2);  // Vary and Cache-Control: the session was read, from no id

  // flush: the header empty.
  const auto flushed = header_request(env, new_ids.front(), [](MiddlewareSession& s) { s.flush(); });
  CHECK(header_values(flushed, "X-Session-Token") == std::vector<std::string>{""});
  CHECK(header_values(flushed, "Vary") == std::vector<std::string>{"X-Session-Token"});
}

TEST_CASE("the session id in a header: an invalid id is never sent back", "[middleware][header]") {
  MiddlewareEnv env;
  env.settings.session_id_from = sessions::SessionIdFrom::header;
  const std::string too_long(env.settings.max_cookie_header_bytes + 1, 'a');
  for (const std::string& id : {std::string("abcdefgh12345678abcdefgh12345678"), std::string("<script>x</script>"),
                                std::string("short"), too_long}) {
    const auto read = header_request(env, id, [](MiddlewareSession& s) { CHECK_FALSE(s.contains("n")); });
    CHECK(header_values(read, "X-Session-Token") == std::vector<std::string>{""});
    // A new session created in its place gets a fresh key, not the client's.
    const auto created = header_request(env, id, [](MiddlewareSession& s) { s.set("n", 1); });
    const auto ids = header_values(created, "X-Session-Token");
    REQUIRE(ids.size() == 1);
    CHECK(ids.front() != id);
    CHECK(ids.front().size() == 32);
  }
}

TEST_CASE("the session id in a header, then the cookie", "[middleware][header]") {
  MiddlewareEnv env;
  env.settings.session_id_from = sessions::SessionIdFrom::header_then_cookie;
  env.settings.session_header = "X-Auth-Token";

  // No header: Django's cookie, byte for byte, with Vary naming both and the response private.
  const auto by_cookie = header_request(env, std::nullopt, [](MiddlewareSession& s) { s.set("n", 1); });
  const std::string key = cookie_value(by_cookie);
  CHECK(find_header(by_cookie, "Set-Cookie")->value ==
        "sessionid=" + key +
            "; expires=Tue, 28 Nov 2023 22:13:20 GMT; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax");
  CHECK(header_values(by_cookie, "Vary") == std::vector<std::string>{"Cookie", "X-Auth-Token"});
  CHECK(header_values(by_cookie, "Cache-Control") == std::vector<std::string>{"private"});
  CHECK(header_values(by_cookie, "X-Auth-Token").empty());

  // The header present (even empty) is the client's choice of transport: answered in it.
  CHECK_FALSE(MiddlewareT::answers_in_header(env.middleware.open("", false, std::nullopt)));
  CHECK(MiddlewareT::answers_in_header(env.middleware.open("", false, "")));
  const auto by_header = header_request(env, "", [](MiddlewareSession& s) { s.set("n", 1); });
  CHECK(find_header(by_header, "Set-Cookie") == nullptr);
  REQUIRE(header_values(by_header, "X-Auth-Token").size() == 1);
  const std::string token = header_values(by_header, "X-Auth-Token").front();
  CHECK(token != key);

  // The header wins over the cookie.
  const auto both = header_request(
      env, token,
      [](MiddlewareSession& s) {
        CHECK(s.get("n") == Data(1));
        s.set("m", 2);
      },
      "sessionid=" + key);
  CHECK(find_header(both, "Set-Cookie") == nullptr);
  CHECK(MiddlewareSession(env.store, token, env.settings).contains("m"));
  CHECK_FALSE(MiddlewareSession(env.store, key, env.settings).contains("m"));

  // A stale cookie is deleted as Django deletes it.
  const auto stale = header_request(
      env, std::nullopt, [](MiddlewareSession& s) { (void)s.get("n"); }, "sessionid=abcdefgh12345678abcdefgh12345678");
  CHECK(find_header(stale, "Set-Cookie")->value.find("Max-Age=0") != std::string::npos);
}

TEST_CASE("the session id in a header with a cookie store: the new signed value on each save", "[middleware][header]") {
  test_support::StoreFixture<sessions::SignedCookieStore> env;
  env.settings.session_id_from = sessions::SessionIdFrom::header;
  using CookieSession = sessions::Session<sessions::SignedCookieStore>;
  const sessions::Middleware<CookieSession> middleware{env.store, env.settings};
  auto first = middleware.open("", false, std::nullopt);
  first.set("n", 1);
  const auto created = middleware.finish(first, 200);
  REQUIRE(header_values(created, "X-Session-Token").size() == 1);
  const std::string value = header_values(created, "X-Session-Token").front();

  env.clock.advance(1s);
  auto second = middleware.open("", false, value);
  CHECK(second.get("n") == Data(1));
  second.set("n", 2);
  const auto saved = middleware.finish(second, 200);
  REQUIRE(header_values(saved, "X-Session-Token").size() == 1);  // the data is the value: it changed
  CHECK(header_values(saved, "X-Session-Token").front() != value);

  // A tampered value loads empty and, as Django rewrites such a cookie, a newly signed empty
  // session goes back: never the client's value.
  auto tampered = middleware.open("", false, value + "x");
  CHECK_FALSE(tampered.contains("n"));
  const auto rewritten = header_values(middleware.finish(tampered, 200), "X-Session-Token");
  REQUIRE(rewritten.size() == 1);
  CHECK(rewritten.front() != value + "x");
  CHECK(CookieSession(env.store, rewritten.front(), env.settings).keys().empty());
}

TEST_CASE("two middlewares serve one request: each its own cookie, store and lifetime", "[middleware][several]") {
  test_support::FixtureBase base;
  sessions::MemoryStore prefs_store{sessions::Clock(base.clock)};
  sessions::MemoryStore auth_store{sessions::Clock(base.clock)};
  sessions::Settings prefs_settings = base.settings;
  prefs_settings.cookie_name = "prefs";
  prefs_settings.cookie_age = std::chrono::hours(24 * 365);
  sessions::Settings auth_settings = base.settings;
  auth_settings.cookie_name = "auth";
  auth_settings.cookie_age = 15min;
  const MiddlewareT prefs{prefs_store, prefs_settings};
  const MiddlewareT auth{auth_store, auth_settings};

  auto p = prefs.open("");
  auto a = auth.open("");
  p.set("theme", "dark");
  a.set("user", "ada");
  const auto auth_headers = auth.finish(a, 200);
  const auto prefs_headers = prefs.finish(p, 200);
  const std::string auth_cookie = find_header(auth_headers, "Set-Cookie")->value;
  const std::string prefs_cookie = find_header(prefs_headers, "Set-Cookie")->value;
  CHECK(auth_cookie.rfind("auth=" + *a.session_key() + "; expires=Tue, 14 Nov 2023 22:28:20 GMT;", 0) == 0);
  CHECK(auth_cookie.find("Max-Age=900;") != std::string::npos);
  CHECK(prefs_cookie.find("Max-Age=31536000;") != std::string::npos);
  CHECK(auth_store.exists(*a.session_key()));
  CHECK_FALSE(prefs_store.exists(*a.session_key()));

  // One Cookie header carries both; each middleware reads only its own name.
  const std::string cookie_header = "prefs=" + *p.session_key() + "; auth=" + *a.session_key();
  auto p2 = prefs.open(cookie_header);
  auto a2 = auth.open(cookie_header);
  CHECK(p2.get("theme") == Data("dark"));
  CHECK(a2.get("user") == Data("ada"));
  CHECK_FALSE(p2.contains("user"));
  a2.flush();  // logout ends the short session only
  const auto logged_out = auth.finish(a2, 200);
  CHECK(find_header(logged_out, "Set-Cookie")->value.rfind("auth=\"\"; expires=Thu, 01 Jan 1970", 0) == 0);
  CHECK(prefs.finish(p2, 200) == sessions::HeaderFields{{"Vary", "Cookie"}});
  CHECK(prefs_store.exists(*p.session_key()));

  // An adapter merges the two Vary: Cookie into one.
  CHECK(sessions::merge_header("Vary", "Cookie", "Cookie") == "Cookie");
}
