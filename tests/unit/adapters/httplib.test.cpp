// The cpp-httplib adapter, against a real httplib::Server on a free loopback port.

#include <httplib.h>
#include <sessions/adapters/httplib.hpp>
#include <sessions/sessions.hpp>

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
