// The asynchronous Boost.Beast adapter, against a small coroutine Beast server (one I/O thread,
// co_spawn per connection) on a free loopback port, the sessions read and saved through a
// BlockingPool; driven over real HTTP with the checks every adapter passes (session_checks.hpp).

#include <sessions/adapters/beast_async.hpp>
#include <sessions/async.hpp>
#include <sessions/sessions.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include "support/catch.hpp"
#include "unit/adapters/beast_pages.hpp"
#include "unit/adapters/http_client.hpp"
#include "unit/adapters/session_checks.hpp"

namespace beast_async_test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

using SessionT = sessions::Session<sessions::MemoryStore>;
using MiddlewareT = sessions::Middleware<SessionT>;
using Route = std::function<asio::awaitable<Response>(const Request&)>;

// Serves `route` on 127.0.0.1 from one I/O thread, a coroutine per connection, until the end of
// the scope. A route that throws gets a 500 (what a real server would log and answer).
class CoroutineServer {
 public:
  explicit CoroutineServer(Route route)
      : route_(std::move(route)), acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    port = acceptor_.local_endpoint().port();
    asio::co_spawn(io_, accept(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  CoroutineServer(const CoroutineServer&) = delete;
  CoroutineServer& operator=(const CoroutineServer&) = delete;
  ~CoroutineServer() {
    io_.stop();
    thread_.join();
  }

  unsigned short port = 0;

 private:
  asio::awaitable<void> accept() {
    while (true) {
      tcp::socket socket = co_await acceptor_.async_accept(asio::use_awaitable);
      asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> serve(tcp::socket socket) {
    beast::error_code ec;
    beast::flat_buffer buffer;
    while (true) {
      Request req;
      co_await http::async_read(socket, buffer, req, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      Response res;
      bool failed = false;
      try {
        res = co_await route_(req);
      } catch (const std::exception&) {
        failed = true;
      }
      if (failed) {
        res = Response{http::status::internal_server_error, req.version()};
        res.body() = "error";
        res.prepare_payload();
      }
      co_await http::async_write(socket, res, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || !res.keep_alive()) break;
    }
    socket.shutdown(tcp::socket::shutdown_send, ec);
  }

  Route route_;
  asio::io_context io_{1};
  tcp::acceptor acceptor_;
  std::thread thread_;
};

using beast_pages::count_visit;
using beast_pages::text;

// The routes of session_checks.hpp, plus /throw (the handler throws after counting a visit).
Response page(sessions::MemoryStore& store, const Request& request, SessionT& session) {
  const auto target = request.target();
  if (target == "/throw") {
    (void)count_visit(session);
    throw std::runtime_error("the handler failed");
  }
  if (target == "/vary") {
    Response res = text(request, http::status::ok, "Visits: " + std::to_string(count_visit(session)));
    res.set(http::field::vary, "Accept-Encoding");
    res.insert(http::field::set_cookie, "theme=dark");
    return res;
  }
  if (target == "/fail") {
    (void)count_visit(session);
    return text(request, http::status::service_unavailable, "down");
  }
  if (target == "/race") {
    (void)count_visit(session);
    store.remove(*session.session_key());  // a logout in another request, meanwhile
    Response res = text(request, http::status::ok, "never sent");
    res.insert(http::field::set_cookie, "theme=dark");
    return res;
  }
  if (target == "/form") {
    const std::string body = request.body();
    return text(request, http::status::ok, "body: [" + body + "], Visits: " + std::to_string(count_visit(session)));
  }
  return text(request, http::status::ok, "Visits: " + std::to_string(count_visit(session)));
}

// A store, the pool, the middleware and a coroutine server whose handler is a plain function or
// (`coroutine_handler`) a coroutine that first waits on a timer, as one awaiting its own I/O does.
struct AsyncSite {
  explicit AsyncSite(bool coroutine_handler) {
    server.emplace([this, coroutine_handler](const Request& req) -> asio::awaitable<Response> {
      if (!coroutine_handler) {
        co_return co_await sessions::beast_adapter::async_handle(
            async_middleware, req, [this](const Request& r, SessionT& s) { return page(store, r, s); },
            asio::use_awaitable);
      }
      co_return co_await sessions::beast_adapter::async_handle(
          async_middleware, req,
          [this](const Request& r, SessionT& s) -> asio::awaitable<Response> {
            asio::steady_timer timer{co_await asio::this_coro::executor, std::chrono::milliseconds(1)};
            co_await timer.async_wait(asio::use_awaitable);
            co_return page(store, r, s);
          },
          asio::use_awaitable);
    });
  }

  sessions::MemoryStore store;
  const MiddlewareT middleware{store};
  sessions::BlockingPool pool{2};
  sessions::AsyncMiddleware<MiddlewareT> async_middleware{middleware, pool};
  std::optional<CoroutineServer> server;
};

// The session id in a request header (Settings::session_id_from = header_then_cookie).
sessions::Settings header_settings() {
  sessions::Settings settings;
  settings.session_id_from = sessions::SessionIdFrom::header_then_cookie;
  return settings;
}

struct HeaderSite {
  // A named handler rather than a lambda of the test case: the coroutine frame holding it is a
  // type of the adapter's header, and a field of a type without linkage there is a warning.
  struct Page {
    sessions::MemoryStore* store;
    Response operator()(const Request& r, SessionT& s) const { return page(*store, r, s); }
  };

  sessions::MemoryStore store;
  const sessions::Settings settings = header_settings();
  const MiddlewareT middleware{store, settings};
  sessions::BlockingPool pool{1};
  sessions::AsyncMiddleware<MiddlewareT> async_middleware{middleware, pool};
  CoroutineServer server{[this](const Request& req) {
    return sessions::beast_adapter::async_handle(async_middleware, req, Page{&store}, asio::use_awaitable);
  }};
};

}  // namespace beast_async_test

// Catch2 runs the case once for each section: every check gets a fresh store and server.
TEST_CASE("async beast adapter: what every adapter does (session_checks.hpp)", "[adapters][beast][async]") {
  const bool coroutine_handler = GENERATE(false, true);
  CAPTURE(coroutine_handler);
  beast_async_test::AsyncSite site{coroutine_handler};
  const int port = site.server->port;
  SECTION("the count lives in the session, with Django's cookie") {
    adapters_test::check_counter_and_cookie(port, site.store);
  }
  SECTION("Vary is merged, the handler's cookies stay") { adapters_test::check_vary_and_cookies(port); }
  SECTION("a 5xx saves nothing, a session deleted meanwhile answers 400") {
    adapters_test::check_failures(port, site.store);
  }
  SECTION("a POST with no body and no Content-Length is answered") { adapters_test::check_post_without_length(port); }
}

TEST_CASE("async beast adapter: a handler that throws saves nothing", "[adapters][beast][async]") {
  beast_async_test::AsyncSite site{false};
  adapters_test::Browser browser{site.server->port};
  const adapters_test::Reply fresh = browser.get("/throw");
  CHECK(fresh.status == 500);
  CHECK(fresh.set_cookies.empty());
  CHECK(browser.get("/").body == "Visits: 1");
  CHECK(browser.get("/throw").status == 500);
  CHECK(browser.get("/").body == "Visits: 2");  // the thrown request's visit was not saved
}

TEST_CASE("async beast adapter: the session id in a request header", "[adapters][beast][async][header]") {
  beast_async_test::HeaderSite site;
  const auto exchange = [&](const std::string& token) {
    return adapters_test::raw_request(site.server.port,
                                      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Session-Token: " + token + "\r\n\r\n");
  };
  const adapters_test::RawReply first = exchange("");
  CHECK(first.body == "Visits: 1");
  CHECK(first.head.find("Set-Cookie") == std::string::npos);
  CHECK(first.head.find("\r\nVary: Cookie, X-Session-Token") != std::string::npos);
  const auto at = first.head.find("\r\nX-Session-Token: ");
  REQUIRE(at != std::string::npos);
  const std::string token = first.head.substr(at + 19, 32);
  CHECK(site.store.exists(token));
  CHECK(exchange(token).body == "Visits: 2");
}
