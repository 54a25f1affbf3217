// The server of the "does the async path block?" benchmark (tools/async_bench.sh drives it with
// wrk and writes the table in docs/benchmarks.md). One I/O thread, a coroutine per connection,
// and a store whose every call takes --delay-ms (5 ms: a remote store on a slow day):
//
//   blocking  the blocking adapter (beast_adapter::handle) on that thread over DelayingStore: what
//             an async server gets from a blocking store call, every request waiting on the one
//             before it
//   pool      beast_adapter::async_handle, the store's calls on a BlockingPool (--pool-threads)
//             over the same DelayingStore
//   native    beast_adapter::async_handle over TimerDelayedStore, whose calls wait on an Asio
//             timer on the I/O thread itself (the path of a store with a native async client)
//
//   sessions_bench_async_server --mode blocking|pool|native [--port 0] [--delay-ms 5]
//                               [--pool-threads 64] [--write]
//
// Prints `listening on http://127.0.0.1:PORT/` and `cookie: sessionid=KEY` (a session made at
// start, for the load generator to send), then serves until SIGINT or SIGTERM, and prints the
// number of requests, of store calls, the most store calls in progress at once and the I/O
// thread's CPU time. Each request sends that cookie and reads the session
// (one store call: the load); with --write it also counts the visit (load + update: two calls).

#include <sessions/adapters/beast_async.hpp>
#include <sessions/async.hpp>
#include <sessions/sessions.hpp>

#include <sys/resource.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "support/delaying_store.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

enum class Mode { blocking, pool, native };

struct Options {
  Mode mode = Mode::blocking;
  unsigned short port = 0;
  std::chrono::milliseconds delay{5};
  std::size_t pool_threads = 64;
  bool write = false;
};

std::atomic<std::uint64_t> requests{0};
template <class SessionT>
Response page(const Request& req, SessionT& session, bool write) {
  auto visits = session.get("num_visits", std::int64_t{0});
  if (write) session.set("num_visits", ++visits);
  Response res{http::status::ok, req.version()};
  res.keep_alive(req.keep_alive());
  res.set(http::field::content_type, "text/plain");
  res.body() = "Visits: " + std::to_string(visits) + "\n";
  res.prepare_payload();
  requests.fetch_add(1, std::memory_order_relaxed);
  return res;
}

Response server_error(const Request& req) {
  Response res{http::status::service_unavailable, req.version()};
  res.keep_alive(req.keep_alive());
  res.prepare_payload();
  return res;
}

// One connection: requests in turn until the client closes. `respond` is the mode's request path.
template <class Respond>
asio::awaitable<void> serve(tcp::socket socket, Respond& respond) {
  beast::error_code ec;
  beast::flat_buffer buffer;
  while (true) {
    Request req;
    co_await http::async_read(socket, buffer, req, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    Response res = co_await respond(req);
    co_await http::async_write(socket, res, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !res.keep_alive()) break;
  }
  socket.shutdown(tcp::socket::shutdown_send, ec);
}

template <class Respond>
asio::awaitable<void> accept(tcp::acceptor& acceptor, Respond& respond) {
  while (true) {
    tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
    asio::co_spawn(acceptor.get_executor(), serve(std::move(socket), respond), asio::detached);
  }
}

// Every store call made so far (TimerDelayedStore: its async operations and its blocking calls).
template <class Store>
int store_calls(Store& store) {
  if constexpr (requires { store.blocking_calls(); }) {
    return store.overlap().calls() + store.blocking_calls();
  } else {
    return store.overlap().calls();
  }
}

// A session with one visit counted, made through the store under test; its cookie value.
template <class SessionT, class Store>
std::string make_session(Store& store) {
  SessionT session{store};
  session.set("num_visits", std::int64_t{1});
  session.save();
  return *session.session_key();
}

// Serves until SIGINT or SIGTERM with `store` (made on `io`'s executor), then reports.
template <class Store>
int serve_with(const Options& options, asio::io_context& io, Store& store) {
  using SessionT = sessions::Session<Store>;
  using MiddlewareT = sessions::Middleware<SessionT>;

  const MiddlewareT middleware{store};
  sessions::BlockingPool pool{options.mode == Mode::pool ? options.pool_threads : 1};
  const sessions::AsyncMiddleware<MiddlewareT> async_middleware{middleware, pool, {}, io.get_executor()};
  const std::string key = make_session<SessionT>(store);
  const int calls_before = store_calls(store);

  tcp::acceptor acceptor{io, {asio::ip::make_address("127.0.0.1"), options.port}};
  std::printf("listening on http://127.0.0.1:%u/\ncookie: sessionid=%s\n",
              static_cast<unsigned>(acceptor.local_endpoint().port()), key.c_str());
  std::fflush(stdout);

  const bool write = options.write;
  auto handler = [write](const Request& req, SessionT& session) { return page(req, session, write); };
  auto respond = [&](const Request& req) -> asio::awaitable<Response> {
    try {
      if (options.mode == Mode::blocking) co_return sessions::beast_adapter::handle(middleware, req, handler);
      co_return co_await sessions::beast_adapter::async_handle(async_middleware, req, handler, asio::use_awaitable);
    } catch (const sessions::StorageError&) {
    }
    co_return server_error(req);
  };
  asio::co_spawn(io, accept(acceptor, respond), asio::detached);
  asio::signal_set signals{io, SIGINT, SIGTERM};
  signals.async_wait([&](const beast::error_code&, int) { io.stop(); });
  io.run();
  // The I/O thread's own CPU time (this thread ran io.run()): what it can serve on a CPU of its
  // own does not depend on how busy the machine was.
  rusage usage{};
  ::getrusage(RUSAGE_THREAD, &usage);
  const double cpu_us = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e6 +
                        static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
  std::printf("requests: %llu\nstore calls: %d\nstore calls at once, at most: %d\nI/O thread CPU: %.0f us\n",
              static_cast<unsigned long long>(requests.load()), store_calls(store) - calls_before,
              store.overlap().most(), cpu_us);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--mode" && has_value) {
      const std::string_view mode = argv[++i];
      if (mode == "blocking") {
        options.mode = Mode::blocking;
      } else if (mode == "pool") {
        options.mode = Mode::pool;
      } else if (mode == "native") {
        options.mode = Mode::native;
      } else {
        std::fprintf(stderr, "unknown mode %s\n", argv[i]);
        return 2;
      }
    } else if (arg == "--port" && has_value) {
      options.port = static_cast<unsigned short>(std::strtoul(argv[++i], nullptr, 10));
    } else if (arg == "--delay-ms" && has_value) {
      options.delay = std::chrono::milliseconds(std::strtol(argv[++i], nullptr, 10));
    } else if (arg == "--pool-threads" && has_value) {
      options.pool_threads = std::strtoul(argv[++i], nullptr, 10);
    } else if (arg == "--write") {
      options.write = true;
    } else {
      std::fprintf(stderr,
                   "usage: %s --mode blocking|pool|native [--port 0] [--delay-ms 5] [--pool-threads 64] [--write]\n",
                   argv[0]);
      return 2;
    }
  }
  try {
    asio::io_context io{1};
    if (options.mode == Mode::native) {
      async_test::TimerDelayedStore<sessions::MemoryStore> store{io.get_executor(), options.delay};
      return serve_with(options, io, store);
    }
    async_test::DelayingStore<sessions::MemoryStore> store{options.delay};
    return serve_with(options, io, store);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sessions_bench_async_server: %s\n", e.what());
    return 1;
  }
}
