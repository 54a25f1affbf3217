// A visit counter on Boost.Beast: a small synchronous HTTP server (one thread per connection)
// whose `/` counts this visitor's visits in a session, through the Beast adapter.
//
//   beast_counter [--host 127.0.0.1] [--port 8080]   (counter_options.hpp)
//
// Sessions live in memory (MemoryStore). `--port 0` picks a free port; the first line on stdout is
// `listening on http://HOST:PORT/`.

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <sessions/adapters/beast.hpp>
#include <sessions/sessions.hpp>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "../counter_options.hpp"

namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

using SessionT = sessions::Session<sessions::MemoryStore>;
using MiddlewareT = sessions::Middleware<SessionT>;

http::response<http::string_body> page(const http::request<http::string_body>& req, SessionT& session) {
  http::response<http::string_body> res{http::status::ok, req.version()};
  res.keep_alive(req.keep_alive());
  res.set(http::field::content_type, "text/html; charset=utf-8");
  if (req.target() != "/") {
    res.result(http::status::not_found);
    res.body() = "<!doctype html><title>Not found</title><p>Not found</p>\n";
  } else {
    const auto visits = session.get("num_visits", std::int64_t{0}) + 1;
    session.set("num_visits", visits);
    res.body() = "<!doctype html><title>Visits</title><p>Visits: " + std::to_string(visits) + "</p>\n";
  }
  res.prepare_payload();
  return res;
}

// One connection: requests in turn until the client closes or asks to close.
void serve_connection(tcp::socket socket, const MiddlewareT& middleware) {
  beast::error_code ec;
  beast::flat_buffer buffer;
  while (true) {
    http::request<http::string_body> req;
    http::read(socket, buffer, req, ec);
    if (ec) break;  // end_of_stream, or a request that cannot be read
    auto res = sessions::beast_adapter::handle(middleware, req, page);
    std::printf("%s %s %u\n", std::string(req.method_string()).c_str(), std::string(req.target()).c_str(),
                res.result_int());
    std::fflush(stdout);
    http::write(socket, res, ec);
    if (ec || !res.keep_alive()) break;
  }
  socket.shutdown(tcp::socket::shutdown_send, ec);
}

}  // namespace

int main(int argc, char** argv) {
  const std::optional<examples::CounterOptions> options = examples::parse_counter_options(argc, argv, "beast_counter");
  if (!options) return 2;
  const std::string& host = options->host;
  const unsigned short port = options->port;
  try {
    sessions::MemoryStore store;
    const MiddlewareT middleware{store};
    boost::asio::io_context io{1};
    tcp::acceptor acceptor{io, {boost::asio::ip::make_address(host), port}};
    std::printf("listening on http://%s:%u/\n", host.c_str(), static_cast<unsigned>(acceptor.local_endpoint().port()));
    std::fflush(stdout);
    while (true) {
      tcp::socket socket{io};
      acceptor.accept(socket);
      std::thread{serve_connection, std::move(socket), std::cref(middleware)}.detach();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "beast_counter: %s\n", e.what());
    return 1;
  }
}
