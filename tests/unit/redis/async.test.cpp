// AsyncRedisStore: the native non-blocking path (hiredis' async API on Boost.Asio). Round trips,
// records shared with the blocking RedisStore both ways, AUTH/SELECT and the unix socket, a
// stopped server (StorageError at once, recovery), a paused one (StorageTimeout while the I/O
// thread keeps serving timers), a dropped connection, the bound on commands in flight, 100 loads at
// once on one thread, and the operations started from other threads than the io_context's.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <exception>
#include <future>
#include <optional>
#include <sessions/storage/redis_async.hpp>
#include <string>
#include <thread>
#include <vector>

#include "redis_support.hpp"
#include "support/catch.hpp"

using namespace std::chrono_literals;
using sessions::AsyncRedisStore;
using sessions::RedisStore;
using Steady = std::chrono::steady_clock;
using LoadResult = std::optional<sessions::Record<std::string>>;

static_assert(sessions::AsyncStorage<AsyncRedisStore>);
static_assert(sessions::CasStorage<AsyncRedisStore>);

namespace {
constexpr std::string_view kAsyncKey = "asyncredis0123456789abcdefghijkl";
constexpr std::string_view kAsyncKey2 = "asyncredis9876543210abcdefghijkl";

sessions::TimePoint an_hour_on() { return std::chrono::system_clock::now() + 1h; }

// The outcome of one operation, run to its end on `io` (which is then restarted for the next).
struct Outcome {
  std::exception_ptr error;
  bool value = false;
  LoadResult record;
  bool completed = false;

  [[nodiscard]] std::string what() const {
    try {
      if (error) std::rethrow_exception(error);
    } catch (const std::exception& e) {
      return e.what();
    }
    return {};
  }
  template <class E>
  [[nodiscard]] bool failed_with() const {
    try {
      if (error) std::rethrow_exception(error);
    } catch (const E&) {
      return true;
    } catch (...) {
    }
    return false;
  }
};

struct AsyncEnv {
  boost::asio::io_context io;
  sessions::RedisOptions options = redis_test::options();
  std::optional<AsyncRedisStore> store;

  explicit AsyncEnv(std::size_t max_in_flight = AsyncRedisStore::kDefaultMaxInFlight) {
    store.emplace(io.get_executor(), options, max_in_flight);
  }

  // Starts `op(handler)` and runs the io_context until it completed; checks that the handler ran
  // neither inline nor before the io_context ran.
  template <class Op>
  Outcome run(Op op) {
    Outcome out;
    bool started = false;
    op([&](std::exception_ptr e, auto... values) {
      CHECK(started);
      out.error = e;
      out.completed = true;
      if constexpr (sizeof...(values) == 1) assign(out, values...);
    });
    started = true;
    io.restart();
    // run() returns once the operation completed: an idle connection holds no work. run_for only
    // bounds the wait should that break.
    (void)io.run_for(10s);
    REQUIRE(io.stopped());
    CHECK(out.completed);
    return out;
  }
  static void assign(Outcome& out, bool v) { out.value = v; }
  static void assign(Outcome& out, LoadResult r) { out.record = std::move(r); }

  Outcome load(std::string_view key) {
    return run([&](auto h) { store->async_load(key, h); });
  }
  Outcome create(std::string_view key, std::string_view payload) {
    return run([&](auto h) { store->async_create(key, payload, an_hour_on(), h); });
  }
  Outcome update(std::string_view key, std::string_view payload) {
    return run([&](auto h) { store->async_update(key, payload, an_hour_on(), h); });
  }
  Outcome touch(std::string_view key, sessions::TimePoint at) {
    return run([&](auto h) { store->async_touch(key, at, h); });
  }
  Outcome remove(std::string_view key) {
    return run([&](auto h) { store->async_remove(key, h); });
  }
};
}  // namespace

TEST_CASE("AsyncRedisStore: round trips on the native path", "[redis][async]") {
  AsyncEnv env;
  CHECK_FALSE(env.load(kAsyncKey).record);
  REQUIRE(env.create(kAsyncKey, "first").value);
  CHECK_FALSE(env.create(kAsyncKey, "again").value);  // SET NX: taken
  CHECK(env.load(kAsyncKey).record->payload == "first");
  CHECK(env.update(kAsyncKey, "second").value);
  CHECK_FALSE(env.update(kAsyncKey2, "nobody").value);  // SET XX: never resurrects
  CHECK_FALSE(env.load(kAsyncKey2).record);

  const auto later = std::chrono::system_clock::now() + 2h;
  redis_test::Admin admin;
  (void)admin.command({"SCRIPT", "FLUSH"});  // the first touch then goes NOSCRIPT -> EVAL
  CHECK(env.touch(kAsyncKey, later).value);
  CHECK(env.touch(kAsyncKey, later).value);  // EVALSHA
  CHECK_FALSE(env.touch(kAsyncKey2, later).value);
  const LoadResult touched = env.load(kAsyncKey).record;
  REQUIRE(touched);
  CHECK(touched->payload == "second");
  CHECK(std::chrono::abs(touched->expires_at - later) < 1ms);
  CHECK(admin.pttl(env.store->cache_key(kAsyncKey)) > 3'600'000);

  const Outcome removed = env.remove(kAsyncKey);
  CHECK_FALSE(removed.error);
  CHECK_FALSE(env.load(kAsyncKey).record);

  // An error reply: StorageError in the stores' format (a list where a record should be).
  (void)admin.command({"RPUSH", env.store->cache_key(kAsyncKey), "not a record"});
  const Outcome wrong = env.load(kAsyncKey);
  CHECK(wrong.failed_with<sessions::StorageError>());
  CHECK(wrong.what().find("AsyncRedisStore::load: the server replied: WRONGTYPE") != std::string::npos);
  CHECK(wrong.what().find(std::string(kAsyncKey)) == std::string::npos);  // only a prefix of the key
  CHECK_FALSE(env.remove(kAsyncKey).error);

  // An invalid key completes like the blocking calls return, without a command (and not inline).
  CHECK_FALSE(env.load("not a session key").record);
  CHECK_FALSE(env.create("short", "x").value);

  // A completion token other than a plain handler: the future rethrows nothing, gives the record.
  REQUIRE(env.create(kAsyncKey2, "via future").value);
  auto future = env.store->async_load(kAsyncKey2, boost::asio::use_future);
  env.io.restart();
  env.io.run();
  CHECK(future.get()->payload == "via future");
}

TEST_CASE("AsyncRedisStore: records are shared with RedisStore both ways", "[redis][async]") {
  AsyncEnv env;
  RedisStore blocking(env.options);
  const auto expiry = std::chrono::time_point_cast<std::chrono::seconds>(an_hour_on());

  REQUIRE(blocking.create(kAsyncKey, "written blocking", expiry));
  const LoadResult read = env.load(kAsyncKey).record;
  REQUIRE(read);
  CHECK(read->payload == "written blocking");
  CHECK(read->expires_at == expiry);

  REQUIRE(env.run([&](auto h) { env.store->async_create(kAsyncKey2, "written async", expiry, h); }).value);
  const auto back = blocking.load(kAsyncKey2);
  REQUIRE(back);
  CHECK(back->payload == "written async");
  CHECK(back->expires_at == expiry);
  CHECK(env.update(kAsyncKey2, "updated async").value);
  CHECK(blocking.load(kAsyncKey2)->payload == "updated async");

  // The owned blocking store is the same store (the fallback path: compare-and-set).
  CHECK(env.store->update_if(kAsyncKey2, "cas", expiry, "updated async") == sessions::CasResult::written);
  CHECK(env.load(kAsyncKey2).record->payload == "cas");
  env.store->remove(kAsyncKey2);
  CHECK_FALSE(env.load(kAsyncKey2).record);
}

TEST_CASE("AsyncRedisStore: AUTH with an ACL user, SELECT, and the unix socket", "[redis][async]") {
  const std::string acl = redis_test::require_env("SESSIONS_TEST_REDIS_ACL_USER");
  const std::size_t colon = acl.find(':');
  AsyncEnv env;
  env.options.username = acl.substr(0, colon);
  env.options.password = acl.substr(colon + 1);
  env.options.db = 3;
  env.store.emplace(env.io.get_executor(), env.options);
  REQUIRE(env.create(kAsyncKey, "in db 3").value);
  redis_test::Admin db3(3);
  CHECK(db3.get(env.store->cache_key(kAsyncKey)).has_value());
  redis_test::Admin db0;
  CHECK_FALSE(db0.get(env.store->cache_key(kAsyncKey)).has_value());

  SECTION("a wrong password fails the commands waiting for the connection") {
    env.options.password = "not-the-password-4711";
    env.store.emplace(env.io.get_executor(), env.options);
    const Outcome out = env.load(kAsyncKey);
    CHECK(out.failed_with<sessions::StorageError>());
    CHECK(out.what().find("authentication failed") != std::string::npos);
    CHECK(out.what().find("4711") == std::string::npos);  // never the password
  }
  SECTION("unix socket") {
    sessions::RedisOptions unix_options =
        RedisStore::options_from_url(redis_test::require_env("SESSIONS_TEST_REDIS_UNIX_URL"), env.options);
    unix_options.username = env.options.username;
    unix_options.password = env.options.password;
    unix_options.db = 3;
    env.store.emplace(env.io.get_executor(), unix_options);
    CHECK(env.store->server().starts_with("unix:"));
    CHECK(env.load(kAsyncKey).record->payload == "in db 3");
  }
}

TEST_CASE("AsyncRedisStore: a stopped server fails at once with StorageError; the store recovers", "[redis][async]") {
  AsyncEnv env;
  REQUIRE(env.create(kAsyncKey, "before").value);
  redis_test::ServerRestorer restorer;
  redis_test::ctl("stop");

  auto start = Steady::now();
  const Outcome first = env.load(kAsyncKey);
  CHECK(Steady::now() - start < 1s);
  REQUIRE(first.failed_with<sessions::StorageError>());
  CHECK(first.what().find("AsyncRedisStore::load") != std::string::npos);
  CHECK(first.what().find(env.store->server()) != std::string::npos);
  CHECK(first.what().find(std::string(kAsyncKey)) == std::string::npos);  // only a prefix of the key
  // In the back-off: refused without a connect.
  const Outcome second = env.create(kAsyncKey2, "x");
  INFO(first.what() << " / " << second.what());
  CHECK(second.failed_with<sessions::StorageError>());
  CHECK(second.what().find("not connecting again yet") != std::string::npos);

  redis_test::ctl("start");
  // Back within the back-off's maximum (200 ms in these options): the restarted server is empty.
  boost::asio::steady_timer pause(env.io);
  Outcome again;
  for (int i = 0; i < 50; ++i) {
    again = env.load(kAsyncKey);
    if (!again.error) break;
    pause.expires_after(20ms);
    pause.wait();
  }
  CHECK_FALSE(again.error);
  CHECK_FALSE(again.record);
  CHECK(env.create(kAsyncKey, "after").value);
}

TEST_CASE("AsyncRedisStore: a paused server times out while the I/O thread stays free", "[redis][async]") {
  AsyncEnv env;
  env.options.command_timeout = 300ms;
  env.store.emplace(env.io.get_executor(), env.options);
  REQUIRE(env.create(kAsyncKey, "kept").value);
  redis_test::ServerRestorer restorer;
  redis_test::ctl("pause");

  std::vector<std::string> order;
  boost::asio::steady_timer timer(env.io, 50ms);
  timer.async_wait([&](const boost::system::error_code&) { order.emplace_back("timer"); });
  const auto start = Steady::now();
  const Outcome out = env.run([&](auto h) {
    env.store->async_load(kAsyncKey, [&order, h](std::exception_ptr e, LoadResult r) {
      order.emplace_back("load");
      h(e, std::move(r));
    });
  });
  const auto took = Steady::now() - start;
  CHECK(out.failed_with<sessions::StorageTimeout>());
  CHECK(out.what().find("no reply within 300 ms") != std::string::npos);
  CHECK(took >= 300ms);
  CHECK(took < 2s);
  CHECK(order == std::vector<std::string>{"timer", "load"});

  redis_test::ctl("resume");
  CHECK(env.load(kAsyncKey).record->payload == "kept");  // a new connection: the data is there
}

TEST_CASE("AsyncRedisStore: a connection the server closed is replaced on the next call", "[redis][async]") {
  AsyncEnv env;
  REQUIRE(env.create(kAsyncKey, "survives").value);
  redis_test::Admin admin;
  const auto killed = admin.command({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"});
  REQUIRE(killed->integer >= 1);
  // Let the io_context see the close (the socket stays watched for reading while idle).
  boost::asio::steady_timer settle(env.io, 20ms);
  settle.async_wait([](const boost::system::error_code&) {});
  env.io.restart();
  env.io.run();
  const Outcome out = env.load(kAsyncKey);
  CHECK_FALSE(out.error);
  REQUIRE(out.record);
  CHECK(out.record->payload == "survives");
}

TEST_CASE("AsyncRedisStore: commands in flight are bounded; 100 loads at once on one thread", "[redis][async]") {
  SECTION("beyond max_in_flight, StorageError at once") {
    AsyncEnv env(10);
    int ok = 0;
    int refused = 0;
    for (int i = 0; i < 20; ++i) {
      env.store->async_load(kAsyncKey, [&](std::exception_ptr e, const LoadResult&) {
        try {
          if (e) std::rethrow_exception(e);
          ++ok;
        } catch (const sessions::StorageError& error) {
          CHECK(std::string(error.what()).find("max_in_flight") != std::string::npos);
          ++refused;
        }
      });
    }
    env.io.run();
    CHECK(ok == 10);
    CHECK(refused == 10);
  }
  SECTION("100 concurrent loads complete") {
    AsyncEnv env;
    REQUIRE(env.create(kAsyncKey, "shared").value);
    int done = 0;
    for (int i = 0; i < 100; ++i) {
      env.store->async_load(i % 2 == 0 ? kAsyncKey : kAsyncKey2, [&, i](std::exception_ptr e, const LoadResult& r) {
        CHECK_FALSE(e);
        CHECK(r.has_value() == (i % 2 == 0));
        ++done;
      });
    }
    env.io.restart();
    env.io.run();
    CHECK(done == 100);
  }
}

TEST_CASE("AsyncRedisStore: operations started from other threads than the io_context's", "[redis][async]") {
  AsyncEnv env;
  REQUIRE(env.create(kAsyncKey, "threads").value);
  auto work = boost::asio::make_work_guard(env.io);
  env.io.restart();
  std::thread runner1([&] { env.io.run(); });
  std::thread runner2([&] { env.io.run(); });
  std::vector<std::future<LoadResult>> loads;
  std::thread starter([&] {
    for (int i = 0; i < 20; ++i) loads.push_back(env.store->async_load(kAsyncKey, boost::asio::use_future));
  });
  starter.join();
  int found = 0;
  for (auto& f : loads) found += f.get()->payload == "threads" ? 1 : 0;
  auto removed = env.store->async_remove(kAsyncKey, boost::asio::use_future);
  removed.get();
  work.reset();
  runner1.join();
  runner2.join();
  CHECK(found == 20);
  CHECK_FALSE(env.store->load(kAsyncKey));
}

// The example of docs/redis.md, line for line.
TEST_CASE("AsyncRedisStore: the guide's example", "[redis][async]") {
  const std::string url = redis_test::url();
  const std::string key(kAsyncKey);
  bool absent = false;
  boost::asio::io_context io;
  sessions::AsyncRedisStore store{io.get_executor(), url};  // redis://host:port/db or unix:///path.sock

  store.async_load(key, [&](std::exception_ptr error, std::optional<sessions::Record<std::string>> record) {
    // Runs on the handler's executor (here the store's strand on `io`), never inline.
    absent = !error && !record;
  });
  io.run();  // returns once nothing is in flight: an idle connection is not waited on
  CHECK(absent);
}
