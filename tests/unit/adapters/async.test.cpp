// The async API's pool path (sessions/async.hpp over blocking stores): the same answers as the
// blocking Middleware through callbacks, use_future and use_awaitable; completion on the caller's
// executor; deadlines, a stopped pool, a full queue; typed errors passed through; requests that
// wait on the store together.

#include <sessions/async.hpp>  // first: it sets up Asio's coroutine support (async/config.hpp)

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <algorithm>
#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "support/catch.hpp"
#include "unit/adapters/async_site.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using sessions::HeaderFields;
using MemorySession = sessions::Session<sessions::MemoryStore>;
using Slow = async_test::DelayingStore<sessions::MemoryStore>;
using SlowSession = sessions::Session<Slow>;

// Rethrows the error an operation completed with (a test names the type it expects).
template <class T>
T value_or_throw(std::exception_ptr error, T value) {
  if (error) std::rethrow_exception(error);
  return value;
}

}  // namespace

TEST_CASE("async: callbacks, use_future and use_awaitable answer as the blocking middleware does") {
  const auto expected = async_test::blocking_answers<sessions::MemoryStore>();
  REQUIRE(expected[0].size() == 2);                                         // Vary and Set-Cookie
  REQUIRE(expected[4].at(0).value.find("Max-Age=0") != std::string::npos);  // the stale cookie deleted

  SECTION("callbacks") {
    async_test::Site<sessions::MemoryStore> site;
    sessions::BlockingPool pool{1};
    asio::io_context io;
    sessions::AsyncMiddleware async{site.middleware, pool, {}, io.get_executor()};
    const auto answers = async_test::five_requests([&](const std::string& cookie, auto use) {
      HeaderFields out;
      async.async_open(cookie, false, std::nullopt, [&](std::exception_ptr e, MemorySession s) {
        s = value_or_throw(e, std::move(s));
        use(s);
        async.async_finish(std::move(s), 200,
                           [&](std::exception_ptr e2, HeaderFields h) { out = value_or_throw(e2, std::move(h)); });
      });
      io.restart();
      io.run();
      return out;
    });
    CHECK(answers == expected);
  }
  SECTION("use_future") {
    async_test::Site<sessions::MemoryStore> site;
    sessions::BlockingPool pool{1};
    sessions::AsyncMiddleware async{site.middleware, pool};
    const auto answers = async_test::five_requests([&](const std::string& cookie, auto use) {
      MemorySession s = async.async_open(cookie, false, std::nullopt, asio::use_future).get();
      use(s);
      return async.async_finish(std::move(s), 200, asio::use_future).get();
    });
    CHECK(answers == expected);
  }
  SECTION("use_awaitable") {
    async_test::Site<sessions::MemoryStore> site;
    sessions::BlockingPool pool{1};
    sessions::AsyncMiddleware async{site.middleware, pool};
    asio::io_context io;
    std::vector<HeaderFields> answers;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          // five_requests' five, as a coroutine (five_requests takes a plain function).
          auto request = [&](std::string cookie, auto use) -> asio::awaitable<HeaderFields> {
            MemorySession s = co_await async.async_open(std::move(cookie), false, std::nullopt, asio::use_awaitable);
            use(s);
            co_return co_await async.async_finish(std::move(s), 200, asio::use_awaitable);
          };
          answers.push_back(co_await request("", [](auto& s) { s.set("n", 1); }));
          const std::string cookie = async_test::cookie_of(answers.back());
          answers.push_back(co_await request(cookie, [](auto& s) { s.set("n", s.get("n", 0) + 1); }));
          answers.push_back(co_await request(cookie, [](auto& s) { (void)s.get("n", 0); }));
          answers.push_back(co_await request("sessionid=abcdefghijklmnopqrstuvwxyz012345", [](auto&) {}));
          answers.push_back(
              co_await request("sessionid=abcdefghijklmnopqrstuvwxyz012345", [](auto& s) { (void)s.get("n", 0); }));
        },
        asio::detached);
    io.run();
    CHECK(answers == expected);
  }
}

TEST_CASE("async: the guide's example (docs/async.md)") {
  asio::io_context io;
  sessions::MemoryStore store;  // or any store
  sessions::Middleware<sessions::Session<sessions::MemoryStore>> middleware{store};
  sessions::BlockingPool pool{4};  // the threads that wait on blocking stores
  sessions::AsyncMiddleware async{middleware, pool, {.timeout = 200ms}, io.get_executor()};

  // A coroutine of the server's: the request's Cookie header in, the headers to add out.
  auto handle = [&](std::string cookie_header) -> asio::awaitable<HeaderFields> {
    auto session = co_await async.async_open(std::move(cookie_header), false, std::nullopt, asio::use_awaitable);
    session.set("n", session.get("n", 0) + 1);  // the record is read already: no store call
    co_return co_await async.async_finish(std::move(session), 200, asio::use_awaitable);
  };

  std::vector<HeaderFields> answers;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        answers.push_back(co_await handle(""));
        const std::string cookie = async_test::cookie_of(answers.back());
        answers.push_back(co_await handle(cookie));
      },
      asio::detached);
  io.run();
  REQUIRE(answers.size() == 2);
  const std::string cookie = async_test::cookie_of(answers[0]);
  REQUIRE_FALSE(cookie.empty());
  CHECK(async_test::cookie_of(answers[1]) == cookie);  // the same session, saved again
  auto session = middleware.open(cookie);
  CHECK(session.get("n", 0) == 2);
}

TEST_CASE("async: save, load, cycle_key and flush hand the session back as the blocking calls leave it") {
  sessions::MemoryStore store;
  sessions::BlockingPool pool{1};

  MemorySession fresh{store};
  fresh.set("n", 1);
  MemorySession saved = sessions::async_save(std::move(fresh), pool, asio::use_future).get();
  REQUIRE(saved.session_key());
  const std::string first_key = *saved.session_key();
  CHECK(store.exists(first_key));

  MemorySession loaded = sessions::async_load(MemorySession{store, first_key}, pool, asio::use_future).get();
  CHECK(loaded.get("n", 0) == 1);

  MemorySession cycled = sessions::async_cycle_key(std::move(loaded), pool, asio::use_future).get();
  REQUIRE(cycled.session_key());
  const std::string second_key = *cycled.session_key();
  CHECK(second_key != first_key);
  CHECK_FALSE(store.exists(first_key));  // the old record is gone, the data went with the new key
  CHECK(MemorySession(store, second_key).get("n", 0) == 1);

  MemorySession flushed = sessions::async_flush(std::move(cycled), pool, asio::use_future).get();
  CHECK_FALSE(flushed.session_key());
  CHECK(flushed.is_empty());
  CHECK_FALSE(store.exists(second_key));
  CHECK(pool.jobs_run() == 4);
}

TEST_CASE("async: finish goes to the pool only to save") {
  async_test::Site<Slow> site{0ms};
  const std::string cookie = async_test::saved_cookie(site);
  sessions::BlockingPool pool{1};
  sessions::AsyncMiddleware async{site.middleware, pool};
  const auto calls_before = site.store.overlap().calls();

  SECTION("a request that only reads: the record read on the pool, the finish decided at once") {
    SlowSession s = async.async_open(cookie, false, std::nullopt, asio::use_future).get();
    CHECK(pool.jobs_run() == 1);
    CHECK(s.get("n", 0) == 1);
    const HeaderFields headers = async.async_finish(std::move(s), 200, asio::use_future).get();
    CHECK(pool.jobs_run() == 1);  // no second pool job: nothing to save
    CHECK(site.store.overlap().calls() == calls_before + 1);
    REQUIRE(headers.size() == 1);
    CHECK(headers[0].name == "Vary");
  }
  SECTION("a request that saves: the save on the pool") {
    SlowSession s = async.async_open(cookie, false, std::nullopt, asio::use_future).get();
    s.set("n", 2);
    const HeaderFields headers = async.async_finish(std::move(s), 200, asio::use_future).get();
    CHECK(pool.jobs_run() == 2);
    CHECK(async_test::cookie_of(headers) == cookie);
  }
  SECTION("a session not opened by async_open (its record unread): the whole finish on the pool") {
    SlowSession s = site.middleware.open(cookie);
    const HeaderFields headers = async.async_finish(std::move(s), 200, asio::use_future).get();
    CHECK(pool.jobs_run() == 1);
    CHECK(headers.empty());  // never accessed: no Vary, nothing saved
  }
}

TEST_CASE("async: the handler runs on the caller's executor (its strand), never on a pool thread") {
  async_test::Site<Slow> site{1ms};
  sessions::BlockingPool pool{2};
  asio::io_context io;
  auto strand = asio::make_strand(io);
  sessions::AsyncMiddleware async{site.middleware, pool, {}, io.get_executor()};
  std::thread::id io_thread;
  std::thread::id open_thread;
  std::thread::id finish_thread;
  bool open_in_strand = false;
  bool finish_in_strand = false;
  bool inline_completion = true;
  async.async_open("", false, std::nullopt, asio::bind_executor(strand, [&](std::exception_ptr e, SlowSession s) {
                     s = value_or_throw(e, std::move(s));
                     open_thread = std::this_thread::get_id();
                     open_in_strand = strand.running_in_this_thread();
                     s.set("n", 1);
                     async.async_finish(std::move(s), 200,
                                        asio::bind_executor(strand, [&](std::exception_ptr e2, HeaderFields h) {
                                          (void)value_or_throw(e2, std::move(h));
                                          finish_thread = std::this_thread::get_id();
                                          finish_in_strand = strand.running_in_this_thread();
                                        }));
                   }));
  inline_completion = open_thread != std::thread::id();  // nothing ran inside async_open
  std::thread runner([&] {
    io_thread = std::this_thread::get_id();
    io.run();
  });
  runner.join();
  CHECK_FALSE(inline_completion);
  CHECK(open_thread == io_thread);
  CHECK(finish_thread == io_thread);
  CHECK(open_in_strand);
  CHECK(finish_in_strand);
  CHECK(pool.jobs_run() == 1);  // the save ran on the pool (a new session has no record to read)
}

TEST_CASE("async: a deadline past completes with StorageTimeout; the session is gone with it") {
  async_test::Site<Slow> site{0ms};
  asio::io_context io;
  sessions::BlockingPool pool{1};
  site.store.hold();  // the save waits in the store until the deadline has been told
  SlowSession session{site.store, site.settings};
  session.set("n", 1);
  std::exception_ptr error;
  std::optional<bool> handed_back_empty;
  sessions::async_save(std::move(session), pool, {.timeout = 5ms}, io.get_executor(),
                       [&](std::exception_ptr e, SlowSession s) {
                         error = e;
                         handed_back_empty = !s.session_key().has_value() && s.is_empty();
                       });
  io.run();
  site.store.release();
  pool.join();
  REQUIRE(error);
  CHECK_THROWS_AS(std::rethrow_exception(error), sessions::StorageTimeout);
  CHECK(handed_back_empty == true);
}

TEST_CASE("async: stop() completes queued operations with OperationAborted, a full queue refuses at once") {
  async_test::Site<Slow> site{0ms};
  asio::io_context io;
  std::vector<std::string> outcomes;
  auto record = [&](std::exception_ptr e, SlowSession) {
    try {
      if (e) std::rethrow_exception(e);
      outcomes.emplace_back("saved");
    } catch (const sessions::OperationAborted&) {
      outcomes.emplace_back("aborted");
    } catch (const sessions::StorageTimeout& t) {
      outcomes.emplace_back(std::string("timeout: ") + t.what());
    }
  };
  auto fresh = [&] {
    SlowSession s{site.store, site.settings};
    s.set("n", 1);
    return s;
  };
  {
    sessions::BlockingPool pool{1, /*max_queued=*/1};
    site.store.hold();
    sessions::async_save(fresh(), pool, {}, io.get_executor(), record);
    while (site.store.overlap().now() == 0) std::this_thread::yield();   // the first one is in the store
    sessions::async_save(fresh(), pool, {}, io.get_executor(), record);  // queued
    sessions::async_save(fresh(), pool, {}, io.get_executor(), record);  // refused: the queue is full
    pool.stop();
    sessions::async_save(fresh(), pool, {}, io.get_executor(), record);  // refused: stopped
    site.store.release();
    pool.join();
  }
  io.run();
  std::sort(outcomes.begin(), outcomes.end());
  CHECK(outcomes ==
        std::vector<std::string>{"aborted", "aborted", "saved", "timeout: the blocking pool's queue is full"});
  static_assert(std::is_base_of_v<sessions::StorageError, sessions::OperationAborted>);
}

TEST_CASE("async: the blocking API's typed errors come through as they are") {
  asio::io_context io;
  sessions::BlockingPool pool{1};
  auto run_finish = [&](auto& async, auto session, int status) {
    auto future = async.async_finish(std::move(session), status, asio::use_future);
    return future;
  };

  SECTION("ConflictError (lost_update = fail)") {
    async_test::Site<sessions::MemoryStore> site;
    site.settings.lost_update = sessions::LostUpdate::fail;
    sessions::AsyncMiddleware async{site.middleware, pool};
    const std::string cookie = async_test::saved_cookie(site);
    MemorySession first = async.async_open(cookie, false, std::nullopt, asio::use_future).get();
    MemorySession second = async.async_open(cookie, false, std::nullopt, asio::use_future).get();
    first.set("n", 2);
    second.set("n", 3);
    CHECK(run_finish(async, std::move(first), 200).get().size() == 2);
    CHECK_THROWS_AS(run_finish(async, std::move(second), 200).get(), sessions::ConflictError);
  }
  SECTION("LimitExceeded") {
    async_test::Site<sessions::MemoryStore> site;
    site.settings.max_keys = 1;
    sessions::AsyncMiddleware async{site.middleware, pool};
    MemorySession s = async.async_open("", false, std::nullopt, asio::use_future).get();
    s.set("a", 1);
    s.set("b", 2);
    CHECK_THROWS_AS(run_finish(async, std::move(s), 200).get(), sessions::LimitExceeded);
  }
  SECTION("SessionInterrupted") {
    async_test::Site<sessions::MemoryStore> site;
    sessions::AsyncMiddleware async{site.middleware, pool};
    const std::string cookie = async_test::saved_cookie(site);
    MemorySession s = async.async_open(cookie, false, std::nullopt, asio::use_future).get();
    s.set("n", 2);
    site.store.remove(cookie.substr(10));  // a concurrent logout
    CHECK_THROWS_AS(run_finish(async, std::move(s), 200).get(), sessions::SessionInterrupted);
  }
  SECTION("StorageError from a store that throws, the session handed back as the call left it") {
    async_test::Site<Slow> site{0ms};
    SlowSession s{site.store, site.settings};
    s.set("n", 1);
    site.store.fail(true);
    std::exception_ptr error;
    std::optional<bool> kept_data;
    sessions::async_save(std::move(s), pool, {}, io.get_executor(), [&](std::exception_ptr e, SlowSession back) {
      error = e;
      kept_data = back.get("n", 0) == 1;
    });
    io.run();
    REQUIRE(error);
    CHECK_THROWS_AS(std::rethrow_exception(error), sessions::StorageError);
    CHECK(kept_data == true);
  }
}

TEST_CASE("async: many sessions on one io_context thread wait on a blocking store together") {
  constexpr int kSessions = 8;
  async_test::Site<Slow> site{5ms};
  sessions::BlockingPool pool{kSessions};
  asio::io_context io;
  sessions::AsyncMiddleware async{site.middleware, pool, {}, io.get_executor()};
  site.store.gather(kSessions);  // each save waits (5 s at most) until all are in the store
  int done = 0;
  for (int i = 0; i < kSessions; ++i) {
    async.async_open("", false, std::nullopt, [&](std::exception_ptr e, SlowSession s) {
      s = value_or_throw(e, std::move(s));
      s.set("n", 1);
      async.async_finish(std::move(s), 200, [&](std::exception_ptr e2, HeaderFields h) {
        if (!value_or_throw(e2, std::move(h)).empty()) ++done;
      });
    });
  }
  io.run();  // one thread
  CHECK(done == kSessions);
  CHECK(site.store.overlap().most() == kSessions);  // all in the store at once: one delay, not eight
}
