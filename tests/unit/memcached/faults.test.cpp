// Server faults: stopped (connection refused), paused (SIGSTOP: commands time out), restarted
// (connections are dead), one of two servers down. Each ends in a StorageError within the
// timeouts, never a crash or a hang, and the same store instance works again afterwards.

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "../redis/fault_proxy.hpp"
#include "memcached_support.hpp"
#include "support/catch.hpp"

using namespace std::chrono_literals;
using sessions::MemcachedStore;
using sessions::StorageError;
using Steady = std::chrono::steady_clock;

namespace {
constexpr std::string_view kKey = "abcdefghijklmnopqrstuvwxyz012345";
constexpr std::string_view kKey2 = "0123456789abcdefghijklmnopqrstuv";

sessions::TimePoint later() { return std::chrono::system_clock::now() + 1h; }

long long ms_to_fail(const std::function<void()>& f) {
  const auto start = Steady::now();
  CHECK_THROWS_AS(f(), StorageError);
  return std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - start).count();
}

// Waits (up to 5 s) until `key` can be written again.
bool back_within_5s(MemcachedStore& store, std::string_view key) {
  const auto deadline = Steady::now() + 5s;
  while (Steady::now() < deadline) {
    try {
      store.remove(key);
      return true;
    } catch (const StorageError&) {
      std::this_thread::sleep_for(50ms);
    }
  }
  return false;
}
}  // namespace

TEST_CASE("MemcachedStore faults: stopped servers give StorageError quickly; the store recovers",
          "[memcached][faults]") {
  MemcachedStore store(memcached_test::options());
  REQUIRE(store.create(kKey, "before", later()));
  memcached_test::ServerRestorer restorer;
  memcached_test::ctl("stop");

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
  CHECK(message.starts_with("MemcachedStore::load: "));
  CHECK(message.find("(127.0.0.1:") != std::string::npos);
  CHECK(message.find(std::string(kKey)) == std::string::npos);
  CHECK(ms_to_fail([&] { (void)store.create(kKey2, "x", later()); }) < 2000);
  CHECK(ms_to_fail([&] { (void)store.update(kKey, "x", later()); }) < 2000);
  CHECK(ms_to_fail([&] { (void)store.touch(kKey, later()); }) < 2000);
  CHECK(ms_to_fail([&] { store.remove(kKey); }) < 2000);
  CHECK(ms_to_fail([&] { (void)store.exists(kKey); }) < 2000);

  memcached_test::ctl("start");
  REQUIRE(back_within_5s(store, kKey));
  REQUIRE(back_within_5s(store, kKey2));
  CHECK_FALSE(store.load(kKey));  // restarted empty
  CHECK(store.create(kKey, "after", later()));
  CHECK(store.load(kKey)->payload == "after");
}

TEST_CASE("MemcachedStore faults: paused servers time out within io_timeout", "[memcached][faults]") {
  sessions::MemcachedOptions o = memcached_test::options();
  o.io_timeout = 300ms;
  MemcachedStore store(o);
  REQUIRE(store.create(kKey, "kept", later()));
  memcached_test::ServerRestorer restorer;
  memcached_test::ctl("pause");
  const long long get_ms = ms_to_fail([&] { (void)store.load(kKey); });
  CHECK(get_ms < 2000);
  CHECK(ms_to_fail([&] { (void)store.create(kKey2, "x", later()); }) < 2000);
  memcached_test::ctl("resume");
  REQUIRE(back_within_5s(store, kKey2));
  CHECK(store.load(kKey)->payload == "kept");  // paused, not restarted
}

TEST_CASE("MemcachedStore faults: after a restart, the first write on a dead connection is retried (create too)",
          "[memcached][faults]") {
  MemcachedStore store(memcached_test::options());
  std::vector<std::string> keys;
  for (int i = 0; i < 8; ++i) {
    keys.push_back(sessions::generate_session_key());
    REQUIRE(store.create(keys.back(), "x", later()));  // connections to both servers are open now
  }
  memcached_test::ServerRestorer restorer;
  memcached_test::ctl("stop");
  memcached_test::ctl("start");
  for (const std::string& key : keys) CHECK(store.create(key, "again", later()));  // restarted empty
  for (const std::string& key : keys) CHECK(store.load(key)->payload == "again");
}

TEST_CASE("MemcachedStore faults: one of two servers down affects only its share", "[memcached][faults]") {
  MemcachedStore store(memcached_test::options());
  std::vector<std::string> keys;
  for (int i = 0; i < 20; ++i) {
    keys.push_back(sessions::generate_session_key());
    REQUIRE(store.create(keys.back(), "x", later()));
  }
  memcached_test::ServerRestorer restorer;
  memcached_test::ctl("stop 1");
  int served = 0;
  int failed = 0;
  for (const std::string& key : keys) {
    try {
      if (store.load(key)) ++served;
    } catch (const StorageError&) {
      ++failed;
    }
  }
  CHECK(served > 0);
  CHECK(failed > 0);
  CHECK(served + failed == 20);
  memcached_test::ctl("start 1");
}

TEST_CASE("MemcachedStore faults: a reply lost after the command was applied", "[memcached][faults]") {
  const sessions::MemcachedOptions base = memcached_test::options();
  test_support::FaultProxy proxy(base.servers.front().port);
  sessions::MemcachedOptions o = base;
  o.servers = {sessions::MemcachedServer{"127.0.0.1", proxy.port()}};
  MemcachedStore store(o);
  sessions::MemcachedOptions d = base;
  d.servers = {base.servers.front()};
  MemcachedStore direct(d);  // same server and prefix, no proxy
  store.remove(kKey);        // a connection through the proxy is open now

  SECTION("ADD applied, reply lost: the retry finds our own item and says so") {
    proxy.drop_next_reply();
    CHECK(store.create(kKey, "mine", later()));
    CHECK(proxy.dropped() == 1);
    CHECK(direct.load(kKey)->payload == "mine");
  }
  SECTION("ADD not applied (an item is there), reply lost: still a collision") {
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
    store.remove(kKey);
    CHECK(proxy.dropped() == 3);
    CHECK_FALSE(direct.exists(kKey));
  }
}
