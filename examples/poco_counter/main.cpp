// A visit counter on POCO's HTTPServer: `/` counts this visitor's visits in a session, through the
// POCO adapter.
//
//   poco_counter [--host 127.0.0.1] [--port 8080]   (counter_options.hpp)
//
// Sessions live in memory (MemoryStore). `--port 0` picks a free port; the first line on stdout is
// `listening on http://HOST:PORT/`.

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

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <ostream>
#include <optional>
#include <string>
#include <thread>

#include "../counter_options.hpp"

namespace {

using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;
using SessionT = sessions::Session<sessions::MemoryStore>;
using MiddlewareT = sessions::Middleware<SessionT>;

// The handler writes its body into the adapter's stream: POCO sends headers with the first byte of
// body, and the session cookie must be among them.
void page(HTTPServerRequest& request, HTTPServerResponse& response, SessionT& session, std::ostream& body) {
  response.setContentType("text/html; charset=utf-8");
  if (request.getURI() != "/") {
    response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_NOT_FOUND);
    body << "<!doctype html><title>Not found</title><p>Not found</p>\n";
    return;
  }
  const auto visits = session.get("num_visits", std::int64_t{0}) + 1;
  session.set("num_visits", visits);
  body << "<!doctype html><title>Visits</title><p>Visits: " << visits << "</p>\n";
}

class CounterHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit CounterHandler(const MiddlewareT& middleware) : middleware_(middleware) {}
  void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
    const auto handled = sessions::poco_adapter::handle(middleware_, request, response, page);
    std::printf("%s %s %d\n", request.getMethod().c_str(), request.getURI().c_str(), handled.status);
    std::fflush(stdout);
  }

 private:
  const MiddlewareT& middleware_;
};

class CounterFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit CounterFactory(const MiddlewareT& middleware) : middleware_(middleware) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
    return new CounterHandler(middleware_);
  }

 private:
  const MiddlewareT& middleware_;
};

}  // namespace

int main(int argc, char** argv) {
  const std::optional<examples::CounterOptions> options = examples::parse_counter_options(argc, argv, "poco_counter");
  if (!options) return 2;
  const std::string& host = options->host;
  const unsigned short port = options->port;
  try {
    sessions::MemoryStore store;
    const MiddlewareT middleware{store};
    Poco::Net::ServerSocket socket{Poco::Net::SocketAddress(host, port)};
    Poco::Net::HTTPServer server{new CounterFactory(middleware), socket, new Poco::Net::HTTPServerParams};
    server.start();
    std::printf("listening on http://%s:%u/\n", host.c_str(), static_cast<unsigned>(socket.address().port()));
    std::fflush(stdout);
    while (true) std::this_thread::sleep_for(std::chrono::hours(1));  // until the process is stopped
  } catch (const std::exception& e) {
    std::fprintf(stderr, "poco_counter: %s\n", e.what());
    return 1;
  }
}
