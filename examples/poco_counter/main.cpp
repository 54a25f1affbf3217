// A visit counter on POCO's HTTPServer: `/` counts this visitor's visits in a session, through the
// POCO adapter.
//
//   poco_counter [--host 127.0.0.1] [--port 8080]
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
#include <cstdlib>
#include <exception>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>

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
  std::string host = "127.0.0.1";
  unsigned short port = 8080;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--host" && i + 1 < argc) {
      host = argv[++i];
    } else if (arg == "--port" && i + 1 < argc) {
      port = static_cast<unsigned short>(std::strtoul(argv[++i], nullptr, 10));
    } else {
      std::fprintf(stderr, "usage: poco_counter [--host HOST] [--port PORT]\n");
      return 2;
    }
  }
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
