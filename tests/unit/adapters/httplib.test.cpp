// The cpp-httplib adapter, against a real httplib::Server on a free loopback port.

#include <httplib.h>
#include <sessions/adapters/httplib.hpp>
#include <sessions/sessions.hpp>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>

#include "support/catch.hpp"
#include "unit/adapters/http_client.hpp"

namespace {

using SessionT = sessions::Session<sessions::MemoryStore>;
using MiddlewareT = sessions::Middleware<SessionT>;
namespace adapter = sessions::httplib_adapter;

// A server with the routes of one test, listening on a free port until the end of the scope.
class HttplibServer {
 public:
  HttplibServer() = default;
  HttplibServer(const HttplibServer&) = delete;
  HttplibServer& operator=(const HttplibServer&) = delete;
  ~HttplibServer() {
    server.stop();
    if (thread_.joinable()) thread_.join();
  }

  int start() {
    const int port = server.bind_to_any_port("127.0.0.1");
    if (port <= 0) throw std::runtime_error("no free port");
    // Connections wait in the listen backlog until the thread accepts them: no start-up race.
    thread_ = std::thread([this] { server.listen_after_bind(); });
    return port;
  }

  httplib::Server server;

 private:
  std::thread thread_;
};

std::int64_t httplib_count_visit(SessionT& session) {
  const std::int64_t visits = session.get("num_visits", std::int64_t{0}) + 1;
  session.set("num_visits", visits);
  return visits;
}

}  // namespace

TEST_CASE("httplib adapter: the count lives in the session, with Django's cookie", "[adapters][httplib]") {
  sessions::MemoryStore store;
  const MiddlewareT middleware{store};
  HttplibServer t;
  t.server.Get(
      "/", adapter::with_session(middleware, [](const httplib::Request&, httplib::Response& res, SessionT& session) {
        res.set_content("Visits: " + std::to_string(httplib_count_visit(session)), "text/plain");
      }));
  const int port = t.start();
  adapters_test::Browser browser{port};

  for (int expected = 1; expected <= 3; ++expected) {
    const adapters_test::Reply reply = browser.get("/");
    CHECK(reply.status == 200);
    CHECK(reply.body == "Visits: " + std::to_string(expected));
    CHECK(reply.vary == std::vector<std::string>{"Cookie"});
    REQUIRE(reply.set_cookies.size() == 1);
    const std::string& cookie = reply.set_cookies.front();
    CHECK(cookie.rfind("sessionid=" + *browser.session_cookie + "; expires=", 0) == 0);
    CHECK(cookie.find("; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax") != std::string::npos);
    CHECK(cookie.find("Secure") == std::string::npos);  // plain HTTP
  }
  REQUIRE(browser.session_cookie);
  CHECK(browser.session_cookie->size() == 32);
  CHECK(store.exists(*browser.session_cookie));

  // Another browser has a session of its own.
  adapters_test::Browser other{port};
  CHECK(other.get("/").body == "Visits: 1");
  CHECK(browser.get("/").body == "Visits: 4");
}

TEST_CASE("httplib adapter: Vary is merged, the handler's cookies stay", "[adapters][httplib]") {
  sessions::MemoryStore store;
  const MiddlewareT middleware{store};
  HttplibServer t;
  t.server.Get(
      "/", adapter::with_session(middleware, [](const httplib::Request&, httplib::Response& res, SessionT& session) {
        res.set_header("Vary", "Accept-Encoding");
        res.set_header("Vary", "Accept-Language");
        res.set_header("Set-Cookie", "theme=dark; Path=/");
        res.set_content("Visits: " + std::to_string(httplib_count_visit(session)), "text/plain");
      }));
  t.server.Get("/already", adapter::with_session(
                               middleware, [](const httplib::Request&, httplib::Response& res, SessionT& session) {
                                 res.set_header("Vary", "cookie");
                                 (void)session.get("num_visits");
                                 res.set_content("read", "text/plain");
                               }));
  adapters_test::Browser browser{t.start()};

  const adapters_test::Reply reply = browser.get("/");
  CHECK(reply.vary == std::vector<std::string>{"Accept-Encoding, Accept-Language, Cookie"});
  REQUIRE(reply.set_cookies.size() == 2);
  CHECK(reply.set_cookies[0] == "theme=dark; Path=/");
  CHECK(reply.set_cookies[1].rfind("sessionid=", 0) == 0);
  CHECK(browser.get("/already").vary == std::vector<std::string>{"cookie"});  // present already, any case
}

TEST_CASE("httplib adapter: a 5xx response saves nothing", "[adapters][httplib]") {
  sessions::MemoryStore store;
  const MiddlewareT middleware{store};
  HttplibServer t;
  t.server.Get(
      "/", adapter::with_session(middleware, [](const httplib::Request&, httplib::Response& res, SessionT& session) {
        res.set_content("Visits: " + std::to_string(httplib_count_visit(session)), "text/plain");
      }));
  t.server.Get("/fail", adapter::with_session(middleware,
                                              [](const httplib::Request&, httplib::Response& res, SessionT& session) {
                                                (void)httplib_count_visit(session);
                                                res.status = 503;  // the status is only known after the handler
                                              }));
  t.server.Get("/throw",
               adapter::with_session(middleware, [](const httplib::Request&, httplib::Response&, SessionT& session) {
                 (void)httplib_count_visit(session);
                 throw std::runtime_error("boom");
               }));
  adapters_test::Browser browser{t.start()};

  SECTION("a new session is not created") {
    const adapters_test::Reply reply = browser.get("/fail");
    CHECK(reply.status == 503);
    CHECK(reply.set_cookies.empty());
    CHECK(reply.vary == std::vector<std::string>{"Cookie"});
    CHECK(browser.get("/").body == "Visits: 1");
  }
  SECTION("an existing session keeps its data") {
    CHECK(browser.get("/").body == "Visits: 1");
    const adapters_test::Reply failed = browser.get("/fail");
    CHECK(failed.status == 503);
    CHECK(failed.set_cookies.empty());
    const adapters_test::Reply thrown = browser.get("/throw");
    CHECK(thrown.status == 500);
    CHECK(thrown.set_cookies.empty());
    CHECK(thrown.vary == std::vector<std::string>{"Cookie"});
    CHECK(browser.get("/").body == "Visits: 2");
  }
}

TEST_CASE("httplib adapter: a session deleted during the request answers 400", "[adapters][httplib]") {
  sessions::MemoryStore store;
  const MiddlewareT middleware{store};
  HttplibServer t;
  t.server.Get(
      "/", adapter::with_session(middleware, [](const httplib::Request&, httplib::Response& res, SessionT& session) {
        res.set_content("Visits: " + std::to_string(httplib_count_visit(session)), "text/plain");
      }));
  t.server.Get("/race", adapter::with_session(
                            middleware, [&store](const httplib::Request&, httplib::Response& res, SessionT& session) {
                              (void)httplib_count_visit(session);
                              store.remove(*session.session_key());  // a logout in another request, meanwhile
                              res.set_header("Set-Cookie", "theme=dark");
                              res.set_content("never sent", "text/plain");
                            }));
  adapters_test::Browser browser{t.start()};
  CHECK(browser.get("/").body == "Visits: 1");
  const std::string key = *browser.session_cookie;

  const adapters_test::Reply reply = browser.get("/race");
  CHECK(reply.status == 400);
  CHECK(reply.body.find("session was deleted") != std::string::npos);
  CHECK(reply.set_cookies.empty());  // a fresh response: nothing of the handler's survives
  CHECK_FALSE(store.exists(key));    // and the session is not brought back
}

TEST_CASE("httplib adapter: a cookie naming no session is deleted", "[adapters][httplib]") {
  sessions::MemoryStore store;
  const MiddlewareT middleware{store};
  HttplibServer t;
  t.server.Get(
      "/", adapter::with_session(middleware, [](const httplib::Request&, httplib::Response& res, SessionT& session) {
        res.set_content(session.contains("num_visits") ? "known" : "unknown", "text/plain");
      }));
  adapters_test::Browser browser{t.start()};
  browser.session_cookie = "abcdefghijklmnopqrstuvwxyz012345";
  const adapters_test::Reply reply = browser.get("/");
  CHECK(reply.body == "unknown");
  REQUIRE(reply.set_cookies.size() == 1);
  CHECK(reply.set_cookies.front().rfind("sessionid=\"\"; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0", 0) == 0);
  CHECK_FALSE(browser.session_cookie);
}

TEST_CASE("httplib adapter: a plain request is not secure", "[adapters][httplib]") {
  sessions::MemoryStore store;
  sessions::Settings settings;
  settings.cookie_secure_auto = true;  // Secure exactly when the request came over TLS
  const MiddlewareT middleware{store, settings};
  HttplibServer t;
  bool secure_seen = true;
  t.server.Get("/", adapter::with_session(
                        middleware, [&](const httplib::Request& req, httplib::Response& res, SessionT& session) {
                          secure_seen = adapter::is_secure(req) || MiddlewareT::request_secure(session);
                          res.set_content("Visits: " + std::to_string(httplib_count_visit(session)), "text/plain");
                        }));
  adapters_test::Browser browser{t.start()};
  const adapters_test::Reply reply = browser.get("/");
  CHECK_FALSE(secure_seen);
  REQUIRE(reply.set_cookies.size() == 1);
  CHECK(reply.set_cookies.front().find("Secure") == std::string::npos);
}

TEST_CASE("httplib adapter: a POST without Content-Length has an empty body (RFC 9112 6.3)", "[adapters][httplib]") {
  sessions::MemoryStore store;
  const MiddlewareT middleware{store};
  HttplibServer t;
  bool next_ran = false;
  adapter::accept_requests_without_length(t.server, [&](const httplib::Request&, httplib::Response&) {
    next_ran = true;  // the application's own pre-routing handler still runs
    return httplib::Server::HandlerResponse::Unhandled;
  });
  t.server.set_read_timeout(2, 0);  // without the fix the request would wait this long, then 400
  t.server.Get(
      "/", adapter::with_session(middleware, [](const httplib::Request&, httplib::Response& res, SessionT& session) {
        res.set_content("Visits: " + std::to_string(httplib_count_visit(session)), "text/plain");
      }));
  t.server.Post("/logout", adapter::with_session(
                               middleware, [](const httplib::Request& req, httplib::Response& res, SessionT& session) {
                                 session.flush();
                                 res.set_content("logged out, body [" + req.body + "]", "text/plain");
                               }));
  t.server.Delete("/logout", adapter::with_session(
                                 middleware, [](const httplib::Request&, httplib::Response& res, SessionT& session) {
                                   session.flush();
                                   res.set_content("deleted", "text/plain");
                                 }));
  const int port = t.start();
  adapters_test::Browser browser{port};
  REQUIRE(browser.get("/").body == "Visits: 1");
  const std::string key = *browser.session_cookie;

  // What `curl -X POST http://127.0.0.1:PORT/logout` sends: no Content-Length, no body.
  const std::string reply = adapters_test::raw_exchange(
      port, "POST /logout HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: sessionid=" + key + "\r\nConnection: close\r\n\r\n");
  CHECK(reply.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(reply.find("\r\nSet-Cookie: sessionid=\"\"; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0") !=
        std::string::npos);
  CHECK(reply.find("logged out, body []") != std::string::npos);
  CHECK_FALSE(store.exists(key));
  CHECK(next_ran);

  // The same for DELETE, and a body that is framed still arrives whole.
  CHECK(adapters_test::raw_exchange(port, "DELETE /logout HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  const std::string framed = adapters_test::raw_exchange(
      port, "POST /logout HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc");
  CHECK(framed.find("logged out, body [abc]") != std::string::npos);
}

namespace {

// The routes of the session-header tests: / counts, /login cycles the key, /logout flushes,
// /cached is a page the handler itself marks cacheable.
void install_token_routes(httplib::Server& server, const MiddlewareT& middleware) {
  server.Get("/",
             adapter::with_session(middleware, [](const httplib::Request&, httplib::Response& res, SessionT& session) {
               res.set_content("Visits: " + std::to_string(httplib_count_visit(session)), "text/plain");
             }));
  server.Post("/login",
              adapter::with_session(middleware, [](const httplib::Request&, httplib::Response& res, SessionT& session) {
                session.cycle_key();
                session.set("user", "ada");
                res.set_content("in", "text/plain");
              }));
  server.Post("/logout",
              adapter::with_session(middleware, [](const httplib::Request&, httplib::Response& res, SessionT& session) {
                session.flush();
                res.set_content("out", "text/plain");
              }));
  server.Get("/cached",
             adapter::with_session(middleware, [](const httplib::Request&, httplib::Response& res, SessionT& session) {
               res.set_header("Cache-Control", "public, max-age=60");
               res.set_header("Vary", "Accept-Encoding");
               res.set_content(session.contains("user") ? "user" : "anonymous", "text/plain");
             }));
}

// A server with those routes, its middleware reading the session id as `from` says.
struct TokenSite {
  explicit TokenSite(sessions::SessionIdFrom from) {
    settings.session_id_from = from;  // the middleware reads its settings at each request
    install_token_routes(t.server, middleware);
    port = t.start();
  }
  sessions::MemoryStore store;
  sessions::Settings settings;
  const MiddlewareT middleware{store, settings};
  HttplibServer t;
  int port = 0;
};

std::string token_request(const std::string& method, const std::string& path, const std::string& token) {
  return method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Session-Token: " + token +
         "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
}

}  // namespace

TEST_CASE("httplib adapter: the session id in a request header", "[adapters][httplib][header]") {
  TokenSite site{sessions::SessionIdFrom::header};
  sessions::MemoryStore& store = site.store;
  const int port = site.port;
  adapters_test::Browser api{port};
  api.token_header = "X-Session-Token";

  const adapters_test::Reply first = api.get("/");
  CHECK(first.body == "Visits: 1");
  REQUIRE(api.token);
  CHECK(api.token->size() == 32);
  CHECK(store.exists(*api.token));
  CHECK(first.set_cookies.empty());
  CHECK(first.vary == std::vector<std::string>{"X-Session-Token"});
  CHECK(first.headers.find("Cache-Control")->second == "private");

  // The same id is not sent again; the session goes on.
  const adapters_test::Reply second = api.get("/");
  CHECK(second.body == "Visits: 2");
  CHECK(second.headers.count("X-Session-Token") == 0);
  const std::string before_login = *api.token;

  // A cycled key goes back in the header; the old one is gone.
  const std::string login = adapters_test::raw_exchange(port, token_request("POST", "/login", before_login));
  REQUIRE(login.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  const auto at = login.find("\r\nX-Session-Token: ");
  REQUIRE(at != std::string::npos);
  const std::string after_login = login.substr(at + 19, 32);
  CHECK(after_login != before_login);
  CHECK(store.exists(after_login));
  CHECK_FALSE(store.exists(before_login));

  // The handler's own caching headers are merged: private wins over public, one Vary.
  api.token = after_login;
  const adapters_test::Reply cached = api.get("/cached");
  CHECK(cached.body == "user");
  CHECK(cached.headers.find("Cache-Control")->second == "max-age=60, private");
  CHECK(cached.vary == std::vector<std::string>{"Accept-Encoding, X-Session-Token"});

  // Logout: the header comes back empty (the client forgets its id).
  const std::string logout = adapters_test::raw_exchange(port, token_request("POST", "/logout", after_login));
  CHECK(logout.find("\r\nX-Session-Token: \r\n") != std::string::npos);
  CHECK_FALSE(store.exists(after_login));

  // An id that names no session is answered with the empty header, never echoed.
  const std::string forged = "forged0forged0forged0forged0abcd";
  const std::string unknown = adapters_test::raw_exchange(port, token_request("GET", "/cached", forged));
  CHECK(unknown.find("\r\nX-Session-Token: \r\n") != std::string::npos);
  CHECK(unknown.find(forged) == std::string::npos);
  // And the session cookie is not read at all in this mode.
  adapters_test::Browser browser{port};
  browser.session_cookie = after_login;
  CHECK(browser.get("/").set_cookies.empty());
}

TEST_CASE("httplib adapter: header first, then the cookie", "[adapters][httplib][header]") {
  TokenSite site{sessions::SessionIdFrom::header_then_cookie};
  const int port = site.port;

  // A browser sends no header: Django's cookie, and Vary names both.
  adapters_test::Browser browser{port};
  const adapters_test::Reply page = browser.get("/");
  REQUIRE(page.set_cookies.size() == 1);
  CHECK(page.set_cookies.front().find("; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax") != std::string::npos);
  CHECK(page.headers.count("X-Session-Token") == 0);
  CHECK(page.vary == std::vector<std::string>{"Cookie, X-Session-Token"});
  CHECK(browser.get("/").body == "Visits: 2");

  // An API client asks for its first id in the header (httplib drops an empty header value, so
  // any value that names no session does).
  adapters_test::Browser api{port};
  api.token_header = "X-Session-Token";
  api.token = "new";
  const adapters_test::Reply first = api.get("/");
  CHECK(first.body == "Visits: 1");
  CHECK(first.set_cookies.empty());
  REQUIRE(api.token);
  CHECK(api.token->size() == 32);
  CHECK(api.get("/").body == "Visits: 2");

  // The header wins over the cookie when both come.
  api.session_cookie = browser.session_cookie;
  CHECK(api.get("/").body == "Visits: 3");
}

TEST_CASE("httplib adapter: two sessions in one request", "[adapters][httplib][several]") {
  using namespace std::chrono_literals;
  // A long-lived preferences session and a short authentication session, each with its own
  // cookie, store and lifetime.
  sessions::MemoryStore prefs_store;
  sessions::MemoryStore auth_store;
  sessions::Settings prefs_settings;
  prefs_settings.cookie_name = "prefs";
  prefs_settings.cookie_age = std::chrono::hours(24 * 365);
  sessions::Settings auth_settings;
  auth_settings.cookie_name = "auth";
  auth_settings.cookie_age = 15min;
  auth_settings.cookie_samesite = sessions::SameSite::strict;
  const MiddlewareT prefs{prefs_store, prefs_settings};
  const MiddlewareT auth{auth_store, auth_settings};
  HttplibServer t;
  t.server.Get("/", adapter::with_session(prefs, [&](const httplib::Request& req, httplib::Response& res,
                                                     SessionT& prefs_session) {
                 (void)adapter::handle(auth, req, res,
                                       [&](const httplib::Request&, httplib::Response& r, SessionT& auth_session) {
                                         if (!prefs_session.contains("theme")) prefs_session.set("theme", "dark");
                                         const std::int64_t hits = auth_session.get("hits", std::int64_t{0}) + 1;
                                         auth_session.set("hits", hits);
                                         r.set_content("hits " + std::to_string(hits), "text/plain");
                                       });
               }));
  const int port = t.start();
  httplib::Client client{"127.0.0.1", port};

  const httplib::Result first = client.Get("/");
  REQUIRE(first);
  CHECK(first->body == "hits 1");
  REQUIRE(first->get_header_value_count("Set-Cookie") == 2);
  const std::string auth_cookie = first->get_header_value("Set-Cookie", 0);  // the inner middleware's first
  const std::string prefs_cookie = first->get_header_value("Set-Cookie", 1);
  CHECK(auth_cookie.rfind("auth=", 0) == 0);
  CHECK(auth_cookie.find("; Max-Age=900; Path=/; SameSite=Strict") != std::string::npos);
  CHECK(prefs_cookie.rfind("prefs=", 0) == 0);
  CHECK(prefs_cookie.find("; Max-Age=31536000; Path=/; SameSite=Lax") != std::string::npos);
  REQUIRE(first->get_header_value_count("Vary") == 1);
  CHECK(first->get_header_value("Vary") == "Cookie");  // once, though both sessions were read
  const std::string auth_key = auth_cookie.substr(5, 32);
  const std::string prefs_key = prefs_cookie.substr(6, 32);
  CHECK(auth_store.exists(auth_key));
  CHECK_FALSE(auth_store.exists(prefs_key));
  CHECK(prefs_store.exists(prefs_key));

  // Both come back in one Cookie header; each middleware picks its own. Only the changed
  // session is written again.
  const httplib::Result second = client.Get("/", {{"Cookie", "prefs=" + prefs_key + "; auth=" + auth_key}});
  REQUIRE(second);
  CHECK(second->body == "hits 2");
  REQUIRE(second->get_header_value_count("Set-Cookie") == 1);
  CHECK(second->get_header_value("Set-Cookie").rfind("auth=" + auth_key + ";", 0) == 0);
}
