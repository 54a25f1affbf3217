// Server faults: stopped (connection refused), paused (SIGSTOP: every command times out),
// restarted (pooled connections are dead), a connection the server closes while we write (SIGPIPE).
// Each ends in a StorageError within the timeouts, never a crash or a hang, and the same store
// instance works again once the server is back.

#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "fault_proxy.hpp"
#include "redis_support.hpp"
#include "support/catch.hpp"

using namespace std::chrono_literals;
using sessions::RedisStore;
using sessions::StorageError;
using Steady = std::chrono::steady_clock;

namespace {
constexpr std::string_view kKey = "abcdefghijklmnopqrstuvwxyz012345";
constexpr std::string_view kKey2 = "0123456789abcdefghijklmnopqrstuv";

sessions::TimePoint later() { return std::chrono::system_clock::now() + 1h; }

// Milliseconds `f` took; `f` must throw StorageError.
long long ms_to_fail(const std::function<void()>& f) {
  const auto start = Steady::now();
  CHECK_THROWS_AS(f(), StorageError);
  return std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - start).count();
}

// Waits (up to 5 s) until the store reaches the server again.
bool back_within_5s(RedisStore& store) {
  const auto deadline = Steady::now() + 5s;
  while (Steady::now() < deadline) {
    try {
      store.ping();
      return true;
    } catch (const StorageError&) {
      std::this_thread::sleep_for(20ms);
    }
  }
  return false;
}

bool sigpipe_blocked() {
  sigset_t current;
  sigemptyset(&current);
  pthread_sigmask(SIG_BLOCK, nullptr, &current);
  return sigismember(&current, SIGPIPE) == 1;
}
}  // namespace

TEST_CASE("RedisStore faults: a stopped server gives StorageError quickly; the store recovers", "[redis][faults]") {
  test_support::LogCapture log;
  RedisStore store(redis_test::options({}, log.logger()));
  REQUIRE(store.create(kKey, "before", later()));
  redis_test::ServerRestorer restorer;
  redis_test::ctl("stop");

  std::string message;
  const long long first = ms_to_fail([&] {
    try {
      (void)store.load(kKey);
    } catch (const StorageError& e) {
      message = e.what();
      throw;
    }
  });
  CHECK(first < 2000);
  INFO(message);
  CHECK(message.find(store.server()) != std::string::npos);
  CHECK(message.find("RedisStore::load") != std::string::npos);
  CHECK(message.find(std::string(kKey)) == std::string::npos);  // only a prefix of the key

  // Every operation fails the same way; during the back-off without even trying to connect.
  CHECK(ms_to_fail([&] { (void)store.create(kKey2, "x", later()); }) < 1000);
  CHECK(ms_to_fail([&] { (void)store.update(kKey, "x", later()); }) < 1000);
  CHECK(ms_to_fail([&] { (void)store.touch(kKey, later()); }) < 1000);
  CHECK(ms_to_fail([&] { store.remove(kKey); }) < 1000);
  CHECK(ms_to_fail([&] { (void)store.exists(kKey); }) < 1000);
  CHECK(log.contains("RedisStore: " + store.server() + ": cannot connect"));
  CHECK_FALSE(sigpipe_blocked());

  redis_test::ctl("start");
  REQUIRE(back_within_5s(store));
  // The restarted server is empty (no persistence); the same instance serves again.
  CHECK_FALSE(store.load(kKey));
  CHECK(store.create(kKey, "after", later()));
  CHECK(store.load(kKey)->payload == "after");
  CHECK(log.contains("again after"));
}

TEST_CASE("RedisStore faults: during the back-off, operations fail at once", "[redis][faults]") {
  sessions::RedisOptions o = redis_test::options();
  o.reconnect_backoff = 2s;
  o.reconnect_backoff_max = 2s;
  RedisStore store(o);
  redis_test::ServerRestorer restorer;
  redis_test::ctl("stop");
  CHECK_THROWS_AS(store.ping(), StorageError);  // the connect fails: back-off starts
  try {
    (void)store.load(kKey);
    FAIL("no exception");
  } catch (const StorageError& e) {
    CHECK(std::string(e.what()).find("next connection attempt in") != std::string::npos);
  }
  CHECK(ms_to_fail([&] { (void)store.load(kKey); }) < 50);
  redis_test::ctl("start");
  REQUIRE(back_within_5s(store));
}

TEST_CASE("RedisStore faults: a paused server times out; a pooled connection is retried once", "[redis][faults]") {
  sessions::RedisOptions o = redis_test::options();
  o.command_timeout = 300ms;
  o.connect_timeout = 300ms;
  RedisStore store(o);
  REQUIRE(store.create(kKey, "kept", later()));
  redis_test::ServerRestorer restorer;
  redis_test::ctl("pause");
  // GET on the pooled connection times out, then once more on a fresh one (the kernel still
  // accepts connections for a stopped process): about two command timeouts.
  const long long get_ms = ms_to_fail([&] { (void)store.load(kKey); });
  CHECK(get_ms >= 250);
  CHECK(get_ms < 2000);
  // SET NX is never retried: one timeout.
  const long long create_ms = ms_to_fail([&] { (void)store.create(kKey2, "x", later()); });
  CHECK(create_ms < 1500);
  redis_test::ctl("resume");
  REQUIRE(back_within_5s(store));
  CHECK(store.load(kKey)->payload == "kept");  // paused, not restarted: the data is there
}

TEST_CASE("RedisStore faults: a full pool makes a caller wait only pool_timeout", "[redis][faults]") {
  sessions::RedisOptions o = redis_test::options();
  o.pool_size = 1;
  o.pool_timeout = 100ms;
  o.command_timeout = 800ms;
  RedisStore store(o);
  store.ping();
  redis_test::ServerRestorer restorer;
  redis_test::ctl("pause");
  std::thread busy([&] {
    try {
      (void)store.load(kKey);
    } catch (const StorageError&) {
    }
  });
  std::this_thread::sleep_for(100ms);  // `busy` holds the only connection, waiting for a reply
  try {
    (void)store.load(kKey2);
    FAIL("no exception");
  } catch (const StorageError& e) {
    CHECK(std::string(e.what()).find("no free connection within 100 ms") != std::string::npos);
  }
  busy.join();
  redis_test::ctl("resume");
  REQUIRE(back_within_5s(store));
}

TEST_CASE("RedisStore faults: after a restart, pooled connections are replaced before use (create too)",
          "[redis][faults]") {
  RedisStore store(redis_test::options());
  REQUIRE(store.create(kKey, "x", later()));  // one connection, now idle in the pool
  redis_test::ServerRestorer restorer;
  redis_test::ctl("stop");
  redis_test::ctl("start");
  // create (SET NX) is not retried, so it must not be sent on the dead connection at all.
  CHECK(store.create(kKey2, "y", later()));
  redis_test::Admin admin;
  (void)admin.command({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"});
  CHECK(store.create(kKey, "z", later()));
  CHECK(store.load(kKey2)->payload == "y");
}

TEST_CASE("RedisStore faults: the server closing the connection while we write raises no SIGPIPE", "[redis][faults]") {
  redis_test::Admin admin;
  (void)admin.command({"CONFIG", "SET", "proto-max-bulk-len", "1mb"});
  struct Restore {
    redis_test::Admin& admin;
    ~Restore() {
      try {
        (void)admin.command({"CONFIG", "SET", "proto-max-bulk-len", "512mb"});
      } catch (...) {
      }
    }
  } restore{admin};
  RedisStore store(redis_test::options());
  const std::string huge(16 * 1024 * 1024, 'x');  // the server refuses it after the length and hangs up
  CHECK_THROWS_AS(store.create(kKey, huge, later()), StorageError);
  CHECK_THROWS_AS(store.update(kKey, huge, later()), StorageError);
  CHECK_FALSE(sigpipe_blocked());
  sigset_t pending;
  sigemptyset(&pending);
  sigpending(&pending);
  CHECK(sigismember(&pending, SIGPIPE) == 0);
  CHECK(store.create(kKey, "small", later()));  // the store goes on
}

TEST_CASE("RedisStore faults: a reply lost after the command was applied", "[redis][faults]") {
  const sessions::RedisOptions base = redis_test::options();
  test_support::FaultProxy proxy(base.port);
  sessions::RedisOptions o = base;
  o.port = proxy.port();
  RedisStore store(o);
  RedisStore direct(base);  // same prefix, no proxy
  store.ping();             // a pooled connection through the proxy

  SECTION("SET NX applied, reply lost: the retry finds our own record and says so") {
    proxy.drop_next_reply();
    CHECK(store.create(kKey, "mine", later()));
    CHECK(proxy.dropped() == 1);
    CHECK(direct.load(kKey)->payload == "mine");
  }
  SECTION("SET NX not applied (a record is there), reply lost: still a collision") {
    REQUIRE(direct.create(kKey, "someone else's", later()));
    proxy.drop_next_reply();
    CHECK_FALSE(store.create(kKey, "mine", later()));
    CHECK(proxy.dropped() == 1);
    CHECK(direct.load(kKey)->payload == "someone else's");
  }
  SECTION("idempotent commands are simply sent again") {
    REQUIRE(direct.create(kKey, "v1", later()));
    proxy.drop_next_reply();
    CHECK(store.update(kKey, "v2", later()));
    proxy.drop_next_reply();
    CHECK(store.load(kKey)->payload == "v2");
    proxy.drop_next_reply();
    CHECK(store.touch(kKey, later() + 1h));
    proxy.drop_next_reply();
    store.remove(kKey);
    CHECK(proxy.dropped() == 4);
    CHECK_FALSE(direct.exists(kKey));
  }
}
