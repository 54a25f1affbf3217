// The Pistache adapter, against a real Pistache::Http::Endpoint on a free loopback port, driven
// over real HTTP through the checks of session_checks.hpp. The endpoint answers on threads of its
// own (its listener and reactor, pthread_create inside libpistache): the handler, and so the
// session's store, run there while the test reads the store from its own thread, which is why
// ThreadSanitizer's build keeps this file.

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/net.h>
#include <sessions/adapters/pistache.hpp>
#include <sessions/sessions.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "support/catch.hpp"
#include "unit/adapters/session_checks.hpp"

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

// The routes of session_checks.hpp, through the adapter, on a server of their own.
struct PistacheSite {
  sessions::MemoryStore store;
  const PistacheMiddleware middleware{store};
  PistacheServer server{[this](const Http::Request& request, Http::ResponseWriter& writer) {
    (void)sessions::pistache_adapter::handle(
        middleware, request, writer,
        [this](const Http::Request& req, Http::ResponseWriter& res, PistacheSession& session) {
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
            store.remove(*session.session_key());
            res.cookies().add(Http::Cookie("theme", "dark"));
            return Reply{Http::Code::Ok, "never sent"};
          } else if (resource == "/form") {
            return Reply{Http::Code::Ok,
                         "body: [" + req.body() + "], Visits: " + std::to_string(pistache_count_visit(session))};
          }
          return Reply{Http::Code::Ok, "Visits: " + std::to_string(pistache_count_visit(session))};
        });
  }};
};

}  // namespace

// Catch2 runs the case once for each section: every check gets a fresh store and server.
TEST_CASE("pistache adapter: what every adapter does (session_checks.hpp)", "[adapters][pistache]") {
  PistacheSite site;
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
