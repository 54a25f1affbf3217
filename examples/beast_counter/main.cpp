// A visit counter on Boost.Beast: a coroutine HTTP server (one I/O thread, a coroutine per
// connection) whose `/` counts this visitor's visits in a session, through the async Beast
// adapter. The session's store calls run on a BlockingPool, so the I/O thread serves other
// connections while one waits on its store (MemoryStore here never waits; a database would).
//
//   beast_counter [--host 127.0.0.1] [--port 8080]   (counter_options.hpp)
//
// Sessions live in memory (MemoryStore). `--port 0` picks a free port; the first line on stdout is
// `listening on http://HOST:PORT/`.

#include <sessions/adapters/beast_async.hpp>
#include <sessions/async.hpp>
#include <sessions/sessions.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <utility>

#include "../counter_options.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

using SessionT = sessions::Session<sessions::MemoryStore>;
using MiddlewareT = sessions::Middleware<SessionT>;
using AsyncMiddlewareT = sessions::AsyncMiddleware<MiddlewareT>;

Response page(const Request& req, SessionT& session) {
  Response res{http::status::ok, req.version()};
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

Response unavailable(const Request& req) {
  Response res{http::status::service_unavailable, req.version()};
  res.keep_alive(false);
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  res.body() = "The session store is unavailable.\n";
  res.prepare_payload();
  return res;
}

// One connection: requests in turn until the client closes or asks to close.
asio::awaitable<void> serve_connection(tcp::socket socket, const AsyncMiddlewareT& middleware) {
  beast::error_code ec;
  beast::flat_buffer buffer;
  while (true) {
    Request req;
    co_await http::async_read(socket, buffer, req, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;  // end_of_stream, or a request that cannot be read
    std::optional<Response> res;
    try {
      res = co_await sessions::beast_adapter::async_handle(middleware, req, page, asio::use_awaitable);
    } catch (const sessions::StorageError& e) {  // the store failed or timed out: 503, as Django
      std::fprintf(stderr, "beast_counter: %s\n", e.what());
    }
    if (!res) res = unavailable(req);
    std::printf("%s %s %u\n", std::string(req.method_string()).c_str(), std::string(req.target()).c_str(),
                res->result_int());
    std::fflush(stdout);
    co_await http::async_write(socket, *res, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !res->keep_alive()) break;
  }
  socket.shutdown(tcp::socket::shutdown_send, ec);
}

asio::awaitable<void> accept(tcp::acceptor& acceptor, const AsyncMiddlewareT& middleware) {
  while (true) {
    tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
    asio::co_spawn(acceptor.get_executor(), serve_connection(std::move(socket), middleware), asio::detached);
  }
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
    sessions::BlockingPool pool{2};
    asio::io_context io{1};
    const AsyncMiddlewareT async_middleware{middleware, pool, {}, io.get_executor()};
    tcp::acceptor acceptor{io, {asio::ip::make_address(host), port}};
    std::printf("listening on http://%s:%u/\n", host.c_str(), static_cast<unsigned>(acceptor.local_endpoint().port()));
    std::fflush(stdout);
    asio::co_spawn(io, accept(acceptor, async_middleware), asio::detached);
    asio::signal_set signals{io, SIGINT, SIGTERM};
    signals.async_wait([&](const beast::error_code&, int) { io.stop(); });
    io.run();
    pool.stop();  // a store call still queued completes (aborted) while `io` is still there
    pool.join();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "beast_counter: %s\n", e.what());
    return 1;
  }
}
