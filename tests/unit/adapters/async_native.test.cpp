// The async API's native path (sessions/async.hpp over an AsyncStorage store): async_open reads
// with the store's async_load and async_finish writes with async_create/update/touch, no pool
// thread used, with the blocking middleware's answers; compare-and-set saves fall back to the
// pool; a taken key is retried; deadlines and store errors as on the pool path.

#include <sessions/async.hpp>  // first: it sets up Asio's coroutine support (async/config.hpp)

#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "support/catch.hpp"
#include "unit/adapters/async_site.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using sessions::HeaderFields;
using Native = async_test::TimerDelayedStore<sessions::MemoryStore>;
using NativeSession = sessions::Session<Native>;

static_assert(sessions::AsyncStorage<Native>);
static_assert(!sessions::AsyncStorage<sessions::MemoryStore>);
static_assert(!sessions::AsyncStorage<async_test::DelayingStore<sessions::MemoryStore>>);

// Runs five_requests through `async` with callbacks on `io`.
template <class Async>
std::vector<HeaderFields> five_async_requests(Async& async, asio::io_context& io) {
  return async_test::five_requests([&](const std::string& cookie, auto use) {
    HeaderFields out;
    std::exception_ptr error;
    async.async_open(cookie, false, std::nullopt, [&](std::exception_ptr e, NativeSession s) {
      if (e) {
        error = e;
        return;
      }
      use(s);
      async.async_finish(std::move(s), 200, [&](std::exception_ptr e2, HeaderFields h) {
        error = e2;
        out = std::move(h);
      });
    });
    io.restart();
    io.run();
    if (error) std::rethrow_exception(error);
    return out;
  });
}

}  // namespace

TEST_CASE("async native: reads and writes through the store's async operations, no pool thread") {
  const auto expected = async_test::blocking_answers<sessions::MemoryStore>();
  asio::io_context io;
  async_test::Site<Native> site{io.get_executor(), 1ms};
  sessions::BlockingPool pool{1};
  sessions::AsyncMiddleware async{site.middleware, pool, {}, io.get_executor()};
  CHECK(five_async_requests(async, io) == expected);
  CHECK(pool.jobs_run() == 0);
  CHECK(site.store.blocking_calls() == 0);
  CHECK(site.store.overlap().calls() >= 5);  // the loads and writes went through the async operations
}

TEST_CASE("async native: a compare-and-set save falls back to the pool, with the same answers") {
  const auto expected = [] {
    async_test::Site<sessions::MemoryStore> twin;
    twin.settings.lost_update = sessions::LostUpdate::fail;
    return async_test::five_requests([&](const std::string& cookie, auto use) {
      auto session = twin.middleware.open(cookie);
      use(session);
      return twin.middleware.finish(session, 200);
    });
  }();
  asio::io_context io;
  async_test::Site<Native> site{io.get_executor(), 1ms};
  site.settings.lost_update = sessions::LostUpdate::fail;
  sessions::BlockingPool pool{1};
  sessions::AsyncMiddleware async{site.middleware, pool, {}, io.get_executor()};
  CHECK(five_async_requests(async, io) == expected);
  CHECK(pool.jobs_run() > 0);
  CHECK(site.store.blocking_calls() > 0);
}

TEST_CASE("async native: a new session whose first key is taken gets the next one") {
  asio::io_context io;
  async_test::Site<Native> site{io.get_executor(), 1ms};
  const std::string taken = sessions::generate_session_key(site.settings.random);
  site.counter = 0;  // the session's first key will be `taken` again
  REQUIRE(site.store.inner().create(taken, "{}", site.clock.now() + 1h));
  sessions::BlockingPool pool{1};
  sessions::AsyncMiddleware async{site.middleware, pool, {}, io.get_executor()};
  std::string cookie;
  async.async_open("", false, std::nullopt, [&](std::exception_ptr, NativeSession s) {
    s.set("n", 1);
    async.async_finish(std::move(s), 200, [&](std::exception_ptr e, HeaderFields h) {
      REQUIRE_FALSE(e);
      cookie = async_test::cookie_of(h);
    });
  });
  io.run();
  REQUIRE(cookie.size() == 10 + 32);
  CHECK(cookie.substr(10) != taken);
  CHECK(site.store.inner().load(cookie.substr(10)).has_value());
  CHECK(site.store.inner().load(taken)->payload == "{}");  // never taken over
  CHECK(pool.jobs_run() == 0);
}

TEST_CASE("async native: many sessions on one io_context thread wait on the store together") {
  constexpr int kSessions = 16;
  asio::io_context io;
  async_test::Site<Native> site{io.get_executor(), 20ms};
  sessions::BlockingPool pool{1};
  sessions::AsyncMiddleware async{site.middleware, pool, {}, io.get_executor()};
  std::vector<std::string> cookies;
  for (int i = 0; i < kSessions; ++i) cookies.push_back(async_test::saved_cookie(site));
  int read = 0;
  for (const auto& cookie : cookies) {
    async.async_open(cookie, false, std::nullopt, [&](std::exception_ptr e, NativeSession s) {
      if (!e && s.contains("n")) ++read;
    });
  }
  io.run();
  CHECK(read == kSessions);
  CHECK(site.store.overlap().most() == kSessions);  // all loads waited at once: one delay, not sixteen
  CHECK(pool.jobs_run() == 0);
}

TEST_CASE("async native: a deadline past and a failing store") {
  asio::io_context io;
  async_test::Site<Native> site{io.get_executor(), 50ms};
  sessions::BlockingPool pool{1};
  const std::string cookie = async_test::saved_cookie(site);

  SECTION("StorageTimeout") {
    sessions::AsyncMiddleware async{site.middleware, pool, {.timeout = 5ms}, io.get_executor()};
    auto future = async.async_open(cookie, false, std::nullopt, asio::use_future);
    io.run();
    CHECK_THROWS_AS(future.get(), sessions::StorageTimeout);
  }
  SECTION("StorageError") {
    sessions::AsyncMiddleware async{site.middleware, pool, {}, io.get_executor()};
    site.store.fail(true);
    auto future = async.async_open(cookie, false, std::nullopt, asio::use_future);
    io.run();
    CHECK_THROWS_AS(future.get(), sessions::StorageError);
  }
  CHECK(pool.jobs_run() == 0);
}
