// The Boost.Beast adapter, against a small synchronous Beast server on a free loopback port,
// driven over real HTTP by httplib::Client.

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <sessions/adapters/beast.hpp>
#include <sessions/sessions.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <utility>

#include "support/catch.hpp"
#include "unit/adapters/beast_pages.hpp"
#include "unit/adapters/http_client.hpp"

namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

using SessionT = sessions::Session<sessions::MemoryStore>;
using MiddlewareT = sessions::Middleware<SessionT>;

// Serves `handler` on 127.0.0.1, one connection at a time, until the end of the scope.
class TestServer {
 public:
  explicit TestServer(std::function<Response(const Request&)> handler)
      : handler_(std::move(handler)), acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    port = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { run(); });
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;
  ~TestServer() {
    stopping_ = true;
    // Wake the blocking accept() with one last connection.
    boost::asio::io_context io;
    tcp::socket wake{io};
    beast::error_code ec;
    wake.connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
    thread_.join();
  }

  unsigned short port = 0;

 private:
  void run() {
    while (!stopping_) {
      tcp::socket socket{io_};
      beast::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stopping_) break;
      beast::flat_buffer buffer;
      while (true) {
        Request req;
        http::read(socket, buffer, req, ec);
        if (ec) break;
        Response res = handler_(req);
        http::write(socket, res, ec);
        if (ec || !res.keep_alive()) break;
      }
      socket.shutdown(tcp::socket::shutdown_both, ec);
    }
  }

  std::function<Response(const Request&)> handler_;
  boost::asio::io_context io_;
  tcp::acceptor acceptor_;
  std::atomic<bool> stopping_ = false;
  std::thread thread_;
};

using beast_pages::count_visit;
using beast_pages::text;

// The routes of these tests. `secure` stands for "this server reads from an ssl_stream".
Response route(const MiddlewareT& middleware, sessions::MemoryStore& store, const Request& req, bool secure = false) {
  return sessions::beast_adapter::handle(
      middleware, req,
      [&](const Request& request, SessionT& session) {
        const auto target = request.target();
        if (target == "/vary") {
          Response res = text(request, http::status::ok, "Visits: " + std::to_string(count_visit(session)));
          res.set(http::field::vary, "Accept-Encoding");
          res.insert(http::field::set_cookie, "theme=dark; Path=/");
          return res;
        }
        if (target == "/fail") {
          (void)count_visit(session);
          return text(request, http::status::service_unavailable, "down");
        }
        if (target == "/race") {
          (void)count_visit(session);
          store.remove(*session.session_key());  // a logout in another request, meanwhile
          return text(request, http::status::ok, "never sent");
        }
        return text(request, http::status::ok, "Visits: " + std::to_string(count_visit(session)));
      },
      secure);
}

}  // namespace

TEST_CASE("beast adapter: the count lives in the session, with Django's cookie", "[adapters][beast]") {
  sessions::MemoryStore store;
  const MiddlewareT middleware{store};
  TestServer server{[&](const Request& req) { return route(middleware, store, req); }};
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
  }
  REQUIRE(browser.session_cookie);
  CHECK(store.exists(*browser.session_cookie));
  adapters_test::Browser other{server.port};
  CHECK(other.get("/").body == "Visits: 1");
  CHECK(browser.get("/").body == "Visits: 4");
}

TEST_CASE("beast adapter: Vary is merged, the handler's cookies stay", "[adapters][beast]") {
  sessions::MemoryStore store;
  const MiddlewareT middleware{store};
  TestServer server{[&](const Request& req) { return route(middleware, store, req); }};
  adapters_test::Browser browser{server.port};

  const adapters_test::Reply reply = browser.get("/vary");
  CHECK(reply.vary == std::vector<std::string>{"Accept-Encoding, Cookie"});
  REQUIRE(reply.set_cookies.size() == 2);
  CHECK(reply.set_cookies[0] == "theme=dark; Path=/");
  CHECK(reply.set_cookies[1].rfind("sessionid=", 0) == 0);
}

TEST_CASE("beast adapter: a 5xx response saves nothing", "[adapters][beast]") {
  sessions::MemoryStore store;
  const MiddlewareT middleware{store};
  TestServer server{[&](const Request& req) { return route(middleware, store, req); }};
  adapters_test::Browser browser{server.port};

  const adapters_test::Reply fresh = browser.get("/fail");
  CHECK(fresh.status == 503);
  CHECK(fresh.set_cookies.empty());
  CHECK(fresh.vary == std::vector<std::string>{"Cookie"});
  CHECK(browser.get("/").body == "Visits: 1");
  CHECK(browser.get("/fail").set_cookies.empty());
  CHECK(browser.get("/").body == "Visits: 2");
}

TEST_CASE("beast adapter: a session deleted during the request answers 400", "[adapters][beast]") {
  sessions::MemoryStore store;
  const MiddlewareT middleware{store};
  TestServer server{[&](const Request& req) { return route(middleware, store, req); }};
  adapters_test::Browser browser{server.port};
  CHECK(browser.get("/").body == "Visits: 1");
  const std::string key = *browser.session_cookie;

  const adapters_test::Reply reply = browser.get("/race");
  CHECK(reply.status == 400);
  CHECK(reply.body.find("session was deleted") != std::string::npos);
  CHECK(reply.set_cookies.empty());
  CHECK_FALSE(store.exists(key));
}

TEST_CASE("beast adapter: `secure` marks the cookie Secure with cookie_secure_auto", "[adapters][beast]") {
  sessions::MemoryStore store;
  sessions::Settings settings;
  settings.cookie_secure_auto = true;
  const MiddlewareT middleware{store, settings};
  const bool secure = GENERATE(false, true);
  TestServer server{[&](const Request& req) { return route(middleware, store, req, secure); }};
  adapters_test::Browser browser{server.port};
  const adapters_test::Reply reply = browser.get("/");
  REQUIRE(reply.set_cookies.size() == 1);
  CHECK((reply.set_cookies.front().find("; Secure") != std::string::npos) == secure);
}

TEST_CASE("beast adapter: a POST without Content-Length has an empty body (RFC 9112 6.3)", "[adapters][beast]") {
  sessions::MemoryStore store;
  const MiddlewareT middleware{store};
  TestServer server{[&](const Request& req) {
    return sessions::beast_adapter::handle(middleware, req, [&](const Request& request, SessionT& session) {
      if (request.method() == http::verb::post && request.target() == "/logout") {
        session.flush();
        return text(request, http::status::ok, "logged out, body [" + request.body() + "]");
      }
      return text(request, http::status::ok, "Visits: " + std::to_string(count_visit(session)));
    });
  }};
  adapters_test::Browser browser{server.port};
  REQUIRE(browser.get("/").body == "Visits: 1");
  const std::string key = *browser.session_cookie;

  // What `curl -X POST http://127.0.0.1:PORT/logout` sends: no Content-Length, no body.
  const std::string reply =
      adapters_test::raw_exchange(server.port, "POST /logout HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: sessionid=" + key +
                                                   "\r\nConnection: close\r\n\r\n");
  CHECK(reply.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(reply.find("\r\nSet-Cookie: sessionid=\"\"; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0") !=
        std::string::npos);
  CHECK(reply.find("logged out, body []") != std::string::npos);
  CHECK_FALSE(store.exists(key));
}

TEST_CASE("beast adapter: the session id in a request header", "[adapters][beast][header]") {
  sessions::MemoryStore store;
  sessions::Settings settings;
  settings.session_id_from = sessions::SessionIdFrom::header_then_cookie;
  const MiddlewareT middleware{store, settings};
  TestServer server{[&](const Request& req) {
    return sessions::beast_adapter::handle(middleware, req, [&](const Request& request, SessionT& session) {
      if (request.target() == "/logout") {
        session.flush();
        return text(request, http::status::ok, "out");
      }
      Response res = text(request, http::status::ok, "Visits: " + std::to_string(count_visit(session)));
      res.set(http::field::cache_control, "public, max-age=60");
      return res;
    });
  }};
  const auto exchange = [&](const std::string& target, const std::string& token) {
    return adapters_test::raw_exchange(server.port, "GET " + target +
                                                        " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Session-Token: " + token +
                                                        "\r\nConnection: close\r\n\r\n");
  };

  // Beast keeps an empty header value: an API client asks for its first id with it.
  const std::string first = exchange("/", "");
  CHECK(first.find("Visits: 1") != std::string::npos);
  CHECK(first.find("Set-Cookie") == std::string::npos);
  CHECK(first.find("\r\nVary: Cookie, X-Session-Token\r\n") != std::string::npos);
  CHECK(first.find("\r\nCache-Control: max-age=60, private\r\n") != std::string::npos);
  const auto at = first.find("\r\nX-Session-Token: ");
  REQUIRE(at != std::string::npos);
  const std::string token = first.substr(at + 19, 32);
  CHECK(store.exists(token));

  const std::string second = exchange("/", token);
  CHECK(second.find("Visits: 2") != std::string::npos);
  CHECK(second.find("X-Session-Token:") == std::string::npos);  // not repeated

  const std::string out = exchange("/logout", token);
  CHECK(out.find("\r\nX-Session-Token: \r\n") != std::string::npos);
  CHECK_FALSE(store.exists(token));
  const std::string forged = exchange("/logout", token);  // the same, now stale id
  CHECK(forged.find("\r\nX-Session-Token: \r\n") != std::string::npos);
  CHECK(forged.find(token) == std::string::npos);

  // A browser (no header) still gets Django's cookie.
  adapters_test::Browser browser{server.port};
  const adapters_test::Reply page = browser.get("/");
  REQUIRE(page.set_cookies.size() == 1);
  CHECK(page.set_cookies.front().rfind("sessionid=", 0) == 0);
}
