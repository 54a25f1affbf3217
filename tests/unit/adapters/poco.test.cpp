// The POCO HTTPServer adapter, against a real Poco::Net::HTTPServer on a free loopback port,
// driven over real HTTP through the checks of session_checks.hpp. The server answers on threads of
// its own (its TCPServer and thread pool, pthread_create inside libPocoFoundation): the handler,
// and so the session's store, run there while the test reads the store from its own thread, which
// is why ThreadSanitizer's build keeps this file.

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
#include <iterator>
#include <ostream>
#include <string>
#include <utility>

#include "support/catch.hpp"
#include "unit/adapters/session_checks.hpp"

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

// The routes of session_checks.hpp, through the adapter, on a server of their own.
struct PocoSite {
  sessions::MemoryStore store;
  const PocoMiddleware middleware{store};
  PocoServer server{[this](HTTPServerRequest& request, HTTPServerResponse& response) {
    (void)sessions::poco_adapter::handle(
        middleware, request, response,
        [this](HTTPServerRequest& req, HTTPServerResponse& res, PocoSession& session, std::ostream& body) {
          res.setContentType("text/plain");
          const std::string& uri = req.getURI();
          if (uri == "/vary") {
            res.set("Vary", "Accept-Encoding");
            res.add("Set-Cookie", "theme=dark");
          } else if (uri == "/fail") {
            (void)poco_count_visit(session);
            res.setStatusAndReason(HTTPResponse::HTTP_SERVICE_UNAVAILABLE);
            return;
          } else if (uri == "/race") {
            (void)poco_count_visit(session);
            store.remove(*session.session_key());
            res.add("Set-Cookie", "theme=dark");
            return;
          } else if (uri == "/form") {
            // Read to the end, as a form handler does: POCO alone would read until the client
            // closes, and the client waits for the answer.
            const std::string text{std::istreambuf_iterator<char>(req.stream()), std::istreambuf_iterator<char>()};
            body << "body: [" << text << "], ";
          }
          body << "Visits: " << poco_count_visit(session);
        });
  }};
};

}  // namespace

// Catch2 runs the case once for each section: every check gets a fresh store and server.
TEST_CASE("poco adapter: what every adapter does (session_checks.hpp)", "[adapters][poco]") {
  PocoSite site;
  SECTION("the count lives in the session, with Django's cookie") {
    adapters_test::check_counter_and_cookie(site.server.port, site.store);
  }
  SECTION("Vary is merged, the handler's cookies stay") { adapters_test::check_vary_and_cookies(site.server.port); }
  SECTION("a 5xx saves nothing, a session deleted meanwhile answers 400") {
    adapters_test::check_failures(site.server.port, site.store);
  }
  SECTION("a POST with no body and no Content-Length is answered") {
    adapters_test::check_post_without_length(site.server.port);
  }
}
