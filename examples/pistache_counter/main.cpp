// A visit counter on Pistache: `/` counts this visitor's visits in a session, through the Pistache
// adapter.
//
//   pistache_counter [--host 127.0.0.1] [--port 8080]   (counter_options.hpp)
//
// Sessions live in memory (MemoryStore). `--port 0` picks a free port; the first line on stdout is
// `listening on http://HOST:PORT/`.

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/net.h>
#include <sessions/adapters/pistache.hpp>
#include <sessions/sessions.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "../counter_options.hpp"

namespace {

namespace Http = Pistache::Http;
using SessionT = sessions::Session<sessions::MemoryStore>;
using MiddlewareT = sessions::Middleware<SessionT>;
using sessions::pistache_adapter::Reply;

// The handler returns its status and body instead of sending them: the adapter sends them after
// adding the session's cookie.
Reply page(const Http::Request& request, Http::ResponseWriter& response, SessionT& session) {
  response.setMime(MIME(Text, Html));
  if (request.resource() != "/") {
    return {Http::Code::Not_Found, "<!doctype html><title>Not found</title><p>Not found</p>\n"};
  }
  const auto visits = session.get("num_visits", std::int64_t{0}) + 1;
  session.set("num_visits", visits);
  return {Http::Code::Ok, "<!doctype html><title>Visits</title><p>Visits: " + std::to_string(visits) + "</p>\n"};
}

class CounterHandler final : public Http::Handler {
 public:
  HTTP_PROTOTYPE(CounterHandler)
  explicit CounterHandler(const MiddlewareT& middleware) : middleware_(&middleware) {}
  void onRequest(const Http::Request& request, Http::ResponseWriter response) override {
    const auto handled = sessions::pistache_adapter::handle(*middleware_, request, response, page);
    std::printf("%s %s %d\n", Http::methodString(request.method()), request.resource().c_str(), handled.status);
    std::fflush(stdout);
  }

 private:
  const MiddlewareT* middleware_;
};

}  // namespace

int main(int argc, char** argv) {
  const std::optional<examples::CounterOptions> options =
      examples::parse_counter_options(argc, argv, "pistache_counter");
  if (!options) return 2;
  const std::string& host = options->host;
  const unsigned short port = options->port;
  try {
    sessions::MemoryStore store;
    const MiddlewareT middleware{store};
    Http::Endpoint endpoint{Pistache::Address(host, Pistache::Port(port))};
    endpoint.init(Http::Endpoint::options().threads(1));
    endpoint.setHandler(std::make_shared<CounterHandler>(middleware));
    endpoint.serveThreaded();
    std::printf("listening on http://%s:%u/\n", host.c_str(), static_cast<unsigned>(endpoint.getPort()));
    std::fflush(stdout);
    while (true) std::this_thread::sleep_for(std::chrono::hours(1));  // until the process is stopped
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pistache_counter: %s\n", e.what());
    return 1;
  }
}
