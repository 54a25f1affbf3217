// The Pistache adapter, against a real Pistache::Http::Endpoint on a free loopback port, driven
// over real HTTP by httplib::Client (and, for a request no client library sends as it is, by
// raw_request). The endpoint answers on threads of its own (its listener and reactor,
// pthread_create inside libpistache): the handler, and so the session's store, run there while
// the test reads the store from its own thread, which is why ThreadSanitizer's build keeps this
// file.

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/net.h>
#include <sessions/adapters/pistache.hpp>
#include <sessions/sessions.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "support/catch.hpp"
#include "unit/adapters/http_client.hpp"
#include "unit/adapters/raw_request.hpp"

namespace {

namespace Http = Pistache::Http;
using PistacheSession = sessions::Session<sessions::MemoryStore>;
using PistacheMiddleware = sessions::Middleware<PistacheSession>;
using sessions::pistache_adapter::Reply;

using PistacheRoute = std::function<void(const Http::Request&, Http::ResponseWriter&)>;

// An Endpoint on 127.0.0.1 (one thread) that hands every request to `route`, until the end of the
// scope.
class PistacheServer {
 public:
  explicit PistacheServer(PistacheRoute route)
      : endpoint_(Pistache::Address(Pistache::Ipv4::loopback(), Pistache::Port(0))) {
    endpoint_.init(Http::Endpoint::options().threads(1));
    endpoint_.setHandler(std::make_shared<Handler>(std::make_shared<const PistacheRoute>(std::move(route))));
    endpoint_.serveThreaded();
    port = endpoint_.getPort();
  }
  PistacheServer(const PistacheServer&) = delete;
  PistacheServer& operator=(const PistacheServer&) = delete;
  ~PistacheServer() { endpoint_.shutdown(); }

  int port = 0;

 private:
  class Handler final : public Http::Handler {
   public:
    HTTP_PROTOTYPE(Handler)
    explicit Handler(std::shared_ptr<const PistacheRoute> route) : route_(std::move(route)) {}
    void onRequest(const Http::Request& request, Http::ResponseWriter response) override {
      (*route_)(request, response);
    }

   private:
    std::shared_ptr<const PistacheRoute> route_;
  };

  Http::Endpoint endpoint_;
};

std::int64_t pistache_count_visit(PistacheSession& session) {
  const std::int64_t visits = session.get("num_visits", std::int64_t{0}) + 1;
  session.set("num_visits", visits);
  return visits;
}

// The routes of these tests.
void pistache_route(const PistacheMiddleware& middleware, sessions::MemoryStore& store, const Http::Request& request,
                    Http::ResponseWriter& writer) {
  (void)sessions::pistache_adapter::handle(
      middleware, request, writer, [&](const Http::Request& req, Http::ResponseWriter& res, PistacheSession& session) {
        res.setMime(MIME(Text, Plain));
        const std::string& resource = req.resource();
        if (resource == "/vary") {
          res.headers().add<sessions::pistache_adapter::Vary>("Accept-Encoding");
          res.cookies().add(Http::Cookie("theme", "dark"));
        } else if (resource == "/fail") {
          (void)pistache_count_visit(session);
          return Reply{Http::Code::Service_Unavailable, "down"};
        } else if (resource == "/race") {
          (void)pistache_count_visit(session);
          store.remove(*session.session_key());  // a logout in another request, meanwhile
          res.cookies().add(Http::Cookie("theme", "dark"));
          return Reply{Http::Code::Ok, "never sent"};
        } else if (resource == "/form") {
          return Reply{Http::Code::Ok,
                       "body: [" + req.body() + "], Visits: " + std::to_string(pistache_count_visit(session))};
        }
        return Reply{Http::Code::Ok, "Visits: " + std::to_string(pistache_count_visit(session))};
      });
}

}  // namespace

TEST_CASE("pistache adapter: the count lives in the session, with Django's cookie", "[adapters][pistache]") {
  sessions::MemoryStore store;
  const PistacheMiddleware middleware{store};
  PistacheServer server{
      [&](const Http::Request& req, Http::ResponseWriter& res) { pistache_route(middleware, store, req, res); }};
  adapters_test::Browser browser{server.port};

  for (int expected = 1; expected <= 3; ++expected) {
    const adapters_test::Reply reply = browser.get("/");
    CHECK(reply.status == 200);
    CHECK(reply.body == "Visits: " + std::to_string(expected));
    CHECK(reply.vary == std::vector<std::string>{"Cookie"});
    REQUIRE(reply.set_cookies.size() == 1);
    const std::string& cookie = reply.set_cookies.front();
    CHECK(cookie.rfind("sessionid=" + *browser.session_cookie + "; expires=", 0) == 0);
    CHECK(cookie.find("; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax") != std::string::npos);
    CHECK(cookie.find("Secure") == std::string::npos);
  }
  REQUIRE(browser.session_cookie);
  CHECK(store.exists(*browser.session_cookie));
  adapters_test::Browser other{server.port};
  CHECK(other.get("/").body == "Visits: 1");
  CHECK(browser.get("/").body == "Visits: 4");

  // A tampered cookie names no session: a new one, and the bad cookie replaced.
  std::string tampered = *browser.session_cookie;
  tampered.back() = tampered.back() == 'a' ? 'b' : 'a';
  browser.session_cookie = tampered;
  const adapters_test::Reply fresh = browser.get("/");
  CHECK(fresh.body == "Visits: 1");
  REQUIRE(fresh.set_cookies.size() == 1);
  CHECK(*browser.session_cookie != tampered);
}

TEST_CASE("pistache adapter: Vary is merged, the handler's cookies stay", "[adapters][pistache]") {
  sessions::MemoryStore store;
  const PistacheMiddleware middleware{store};
  PistacheServer server{
      [&](const Http::Request& req, Http::ResponseWriter& res) { pistache_route(middleware, store, req, res); }};
  adapters_test::Browser browser{server.port};

  const adapters_test::Reply reply = browser.get("/vary");
  CHECK(reply.vary == std::vector<std::string>{"Accept-Encoding, Cookie"});
  REQUIRE(reply.set_cookies.size() == 2);
  // Pistache writes its cookies in an order of its own.
  CHECK(std::count(reply.set_cookies.begin(), reply.set_cookies.end(), "theme=dark") == 1);
  CHECK(std::count_if(reply.set_cookies.begin(), reply.set_cookies.end(),
                      [](const std::string& c) { return c.rfind("sessionid=", 0) == 0; }) == 1);
}

TEST_CASE("pistache adapter: a 5xx saves nothing, a session deleted meanwhile answers 400", "[adapters][pistache]") {
  sessions::MemoryStore store;
  const PistacheMiddleware middleware{store};
  PistacheServer server{
      [&](const Http::Request& req, Http::ResponseWriter& res) { pistache_route(middleware, store, req, res); }};
  adapters_test::Browser browser{server.port};

  const adapters_test::Reply failed = browser.get("/fail");
  CHECK(failed.status == 503);
  CHECK(failed.set_cookies.empty());
  CHECK(failed.vary == std::vector<std::string>{"Cookie"});
  CHECK(browser.get("/").body == "Visits: 1");
  CHECK(browser.get("/fail").set_cookies.empty());
  CHECK(browser.get("/").body == "Visits: 2");

  const std::string key = *browser.session_cookie;
  const adapters_test::Reply raced = browser.get("/race");
  CHECK(raced.status == 400);
  CHECK(raced.body.find("session was deleted") != std::string::npos);
  CHECK(raced.set_cookies.empty());  // a fresh response: nothing of the handler's survives
  CHECK_FALSE(store.exists(key));
}

TEST_CASE("pistache adapter: a POST with no body and no Content-Length is answered", "[adapters][pistache]") {
  sessions::MemoryStore store;
  const PistacheMiddleware middleware{store};
  PistacheServer server{
      [&](const Http::Request& req, Http::ResponseWriter& res) { pistache_route(middleware, store, req, res); }};
  adapters_test::Browser browser{server.port};
  CHECK(browser.get("/").body == "Visits: 1");

  const adapters_test::RawReply reply = adapters_test::raw_request(
      server.port,
      "POST /form HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: sessionid=" + *browser.session_cookie + "\r\n\r\n");
  CHECK(reply.status == 200);
  CHECK(reply.body == "body: [], Visits: 2");
  CHECK(reply.head.find("\r\nVary: Cookie") != std::string::npos);
  CHECK(browser.get("/").body == "Visits: 3");
}
