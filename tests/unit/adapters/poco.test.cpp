// The POCO HTTPServer adapter, against a real Poco::Net::HTTPServer on a free loopback port,
// driven over real HTTP by httplib::Client (and, for a request no client library sends as it is,
// by raw_request). The server answers on threads of its own (its TCPServer and thread pool,
// pthread_create inside libPocoFoundation): the handler, and so the session's store, run there
// while the test reads the store from its own thread, which is why ThreadSanitizer's build keeps
// this file.

#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <sessions/adapters/poco.hpp>
#include <sessions/sessions.hpp>

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <utility>

#include "support/catch.hpp"
#include "unit/adapters/http_client.hpp"
#include "unit/adapters/raw_request.hpp"

namespace {

using PocoSession = sessions::Session<sessions::MemoryStore>;
using PocoMiddleware = sessions::Middleware<PocoSession>;
using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

using PocoRoute = std::function<void(HTTPServerRequest&, HTTPServerResponse&)>;

// An HTTPServer on 127.0.0.1 that hands every request to `route`, until the end of the scope.
class PocoServer {
 public:
  explicit PocoServer(PocoRoute route)
      : socket_(Poco::Net::SocketAddress("127.0.0.1", 0)),
        server_(new Factory(std::move(route)), socket_, make_params()) {
    port = socket_.address().port();
    server_.start();
  }
  PocoServer(const PocoServer&) = delete;
  PocoServer& operator=(const PocoServer&) = delete;
  ~PocoServer() { server_.stopAll(true); }

  int port = 0;

 private:
  struct Handler final : Poco::Net::HTTPRequestHandler {
    explicit Handler(const PocoRoute& route) : route_(route) {}
    void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override { route_(request, response); }
    const PocoRoute& route_;
  };
  struct Factory final : Poco::Net::HTTPRequestHandlerFactory {
    explicit Factory(PocoRoute route) : route_(std::move(route)) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
      return new Handler(route_);
    }
    PocoRoute route_;
  };
  static Poco::Net::HTTPServerParams::Ptr make_params() {
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(2);
    return params;
  }

  Poco::Net::ServerSocket socket_;
  Poco::Net::HTTPServer server_;
};

std::int64_t poco_count_visit(PocoSession& session) {
  const std::int64_t visits = session.get("num_visits", std::int64_t{0}) + 1;
  session.set("num_visits", visits);
  return visits;
}

// The routes of these tests.
void poco_route(const PocoMiddleware& middleware, sessions::MemoryStore& store, HTTPServerRequest& request,
                HTTPServerResponse& response) {
  (void)sessions::poco_adapter::handle(
      middleware, request, response,
      [&](HTTPServerRequest& req, HTTPServerResponse& res, PocoSession& session, std::ostream& body) {
        res.setContentType("text/plain");
        const std::string& uri = req.getURI();
        if (uri == "/vary") {
          res.set("Vary", "Accept-Encoding");
          res.add("Set-Cookie", "theme=dark; Path=/");
        } else if (uri == "/fail") {
          (void)poco_count_visit(session);
          res.setStatusAndReason(HTTPResponse::HTTP_SERVICE_UNAVAILABLE);
          body << "down";
          return;
        } else if (uri == "/race") {
          (void)poco_count_visit(session);
          store.remove(*session.session_key());  // a logout in another request, meanwhile
          res.add("Set-Cookie", "theme=dark");
          body << "never sent";
          return;
        } else if (uri == "/form") {
          const Poco::Net::HTMLForm form(req, req.stream());  // reads the body, as a form handler does
          body << "fields: " << form.size() << ", ";
        }
        body << "Visits: " << poco_count_visit(session);
      });
}

}  // namespace

TEST_CASE("poco adapter: the count lives in the session, with Django's cookie", "[adapters][poco]") {
  sessions::MemoryStore store;
  const PocoMiddleware middleware{store};
  PocoServer server{[&](HTTPServerRequest& req, HTTPServerResponse& res) { poco_route(middleware, store, req, res); }};
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
    CHECK(cookie.find("Secure") == std::string::npos);  // plain HTTP
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

TEST_CASE("poco adapter: Vary is merged, the handler's cookies stay", "[adapters][poco]") {
  sessions::MemoryStore store;
  const PocoMiddleware middleware{store};
  PocoServer server{[&](HTTPServerRequest& req, HTTPServerResponse& res) { poco_route(middleware, store, req, res); }};
  adapters_test::Browser browser{server.port};

  const adapters_test::Reply reply = browser.get("/vary");
  CHECK(reply.vary == std::vector<std::string>{"Accept-Encoding, Cookie"});
  REQUIRE(reply.set_cookies.size() == 2);
  CHECK(reply.set_cookies[0] == "theme=dark; Path=/");
  CHECK(reply.set_cookies[1].rfind("sessionid=", 0) == 0);
}

TEST_CASE("poco adapter: a 5xx saves nothing, a session deleted meanwhile answers 400", "[adapters][poco]") {
  sessions::MemoryStore store;
  const PocoMiddleware middleware{store};
  PocoServer server{[&](HTTPServerRequest& req, HTTPServerResponse& res) { poco_route(middleware, store, req, res); }};
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

TEST_CASE("poco adapter: a POST with no body and no Content-Length is answered", "[adapters][poco]") {
  sessions::MemoryStore store;
  const PocoMiddleware middleware{store};
  PocoServer server{[&](HTTPServerRequest& req, HTTPServerResponse& res) { poco_route(middleware, store, req, res); }};
  adapters_test::Browser browser{server.port};
  CHECK(browser.get("/").body == "Visits: 1");

  // The handler reads the form; POCO alone would read until the client closes, and the client
  // waits for the answer.
  const adapters_test::RawReply reply = adapters_test::raw_request(
      server.port,
      "POST /form HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: sessionid=" + *browser.session_cookie + "\r\n\r\n");
  CHECK(reply.status == 200);
  CHECK(reply.body == "fields: 0, Visits: 2");
  CHECK(reply.head.find("\r\nVary: Cookie") != std::string::npos);
  CHECK(browser.get("/").body == "Visits: 3");
}
