// MemcachedStore beyond the shared suite: URLs, what is stored under which key, expiries (relative
// and, beyond 30 days, absolute), expiry by the store's clock, consistent hashing over two servers.

#include <set>
#include <string>
#include <thread>

#include "memcached_support.hpp"
#include "support/catch.hpp"

using namespace std::chrono_literals;
using sessions::MemcachedStore;
using sessions::TimePoint;

namespace {
constexpr std::string_view kStoreKey = "abcdefghijklmnopqrstuvwxyz012345";
constexpr std::string_view kStoreKey2 = "0123456789abcdefghijklmnopqrstuv";

struct MemcachedStoreEnv {
  sessions::ManualClock clock;
  test_support::LogCapture log;
  MemcachedStore store{memcached_test::options(sessions::Clock(clock), log.logger())};
  std::string name(std::string_view key) const { return store.cache_key(key); }
};
}  // namespace

TEST_CASE("MemcachedStore::options_from_url", "[memcached][url]") {
  SECTION("servers") {
    const auto o = sessions::MemcachedStore::options_from_url("memcached://10.0.0.1:11212,cache2,[::1]:11213");
    REQUIRE(o.servers.size() == 3);
    CHECK(o.servers[0].host == "10.0.0.1");
    CHECK(o.servers[0].port == 11212);
    CHECK(o.servers[1].host == "cache2");
    CHECK(o.servers[1].port == 11211);
    CHECK(o.servers[2].host == "::1");
    CHECK(o.servers[2].port == 11213);
    CHECK(MemcachedStore(o).servers() == "10.0.0.1:11212,cache2:11211,[::1]:11213");
    CHECK(o.key_prefix == ":1:django.contrib.sessions.cache");
  }
  SECTION("unix socket") {
    const auto o = sessions::MemcachedStore::options_from_url("memcached:///run/memcached/memcached.sock");
    REQUIRE(o.servers.size() == 1);
    CHECK(o.servers[0].host == "/run/memcached/memcached.sock");
  }
  SECTION("parameters") {
    const auto o = sessions::MemcachedStore::options_from_url(
        "memcached://h?connect_timeout=250&timeout=100&retry_timeout=0&pool_size=3&pool_timeout=50&key_prefix=s:");
    CHECK(o.connect_timeout == 250ms);
    CHECK(o.io_timeout == 100ms);
    CHECK(o.retry_timeout == 0s);
    CHECK(o.pool_size == 3);
    CHECK(o.pool_timeout == 50ms);
    CHECK(o.key_prefix == "s:");
  }
  SECTION("refused") {
    CHECK_THROWS_AS(sessions::MemcachedStore::options_from_url("redis://h"), sessions::ConfigurationError);
    CHECK_THROWS_AS(sessions::MemcachedStore::options_from_url("memcached://u:p@h"), sessions::ConfigurationError);
    CHECK_THROWS_AS(sessions::MemcachedStore::options_from_url("memcached://h/path"), sessions::ConfigurationError);
    CHECK_THROWS_AS(sessions::MemcachedStore::options_from_url("memcached://h?nope=1"), sessions::ConfigurationError);
    CHECK_THROWS_AS(sessions::MemcachedStore::options_from_url("memcached://"), sessions::ConfigurationError);
  }
  SECTION("bad key prefixes") {
    sessions::MemcachedOptions o;
    o.key_prefix = "has space";
    CHECK_THROWS_AS(MemcachedStore(o), sessions::ConfigurationError);
    o.key_prefix = std::string(220, 'p');
    CHECK_THROWS_AS(MemcachedStore(o), sessions::ConfigurationError);
  }
}

TEST_CASE("MemcachedStore refuses timeouts that are not positive, and a negative retry_timeout",
          "[memcached][config]") {
  sessions::MemcachedOptions options;
  options.io_timeout = 0ms;
  CHECK(test_support::configuration_error([&] { MemcachedStore s(options); }) ==
        "MemcachedStore: io_timeout must be positive (got 0 ms)");
  options = sessions::MemcachedOptions{};
  options.retry_timeout = -1s;
  CHECK(test_support::configuration_error([&] { MemcachedStore s(options); }) ==
        "MemcachedStore: retry_timeout must not be negative");
  CHECK(test_support::configuration_error([] { MemcachedStore s("memcached://127.0.0.1?connect_timeout=0"); }) ==
        "MemcachedStore: connect_timeout must be positive (got 0 ms)");
}

TEST_CASE("MemcachedStore: the default key is Django's cache key", "[memcached]") {
  const MemcachedStore store(sessions::MemcachedOptions{});
  CHECK(store.cache_key(kStoreKey) == ":1:django.contrib.sessions.cache" + std::string(kStoreKey));
}

TEST_CASE("MemcachedStore: the value is the expiry instant then the payload; the server's expiry follows it",
          "[memcached]") {
  MemcachedStoreEnv env;
  const TimePoint expires = env.clock.now() + 3600s + 250ms;
  REQUIRE(env.store.create(kStoreKey, "{\"a\":1}", expires));
  auto item = memcached_test::item(env.name(kStoreKey));
  REQUIRE(item);
  CHECK(item->value == sessions::detail::cache_value::encode(expires, "{\"a\":1}"));
  CHECK(item->ttl >= 3595);
  CHECK(item->ttl <= 3601);
  const auto record = env.store.load(kStoreKey);
  REQUIRE(record);
  CHECK(record->payload == "{\"a\":1}");
  CHECK(record->expires_at == expires);

  REQUIRE(env.store.update(kStoreKey, "{\"a\":2}", env.clock.now() + 60s));
  CHECK(memcached_test::item(env.name(kStoreKey))->ttl <= 61);
  REQUIRE(env.store.touch(kStoreKey, env.clock.now() + 7200s));
  item = memcached_test::item(env.name(kStoreKey));
  CHECK(item->ttl > 7000);
  const auto touched = env.store.load(kStoreKey);
  REQUIRE(touched);
  CHECK(touched->payload == "{\"a\":2}");
  CHECK(touched->expires_at == env.clock.now() + 7200s);
}

TEST_CASE("MemcachedStore: beyond 30 days the expiry is sent as an absolute time", "[memcached]") {
  MemcachedStoreEnv env;
  REQUIRE(env.store.create(kStoreKey, "long", env.clock.now() + std::chrono::hours{24 * 40}));
  const auto item = memcached_test::item(env.name(kStoreKey));
  REQUIRE(item);
  CHECK(item->ttl > 39LL * 24 * 3600);
  CHECK(item->ttl <= 40LL * 24 * 3600 + 2);
  CHECK(env.store.load(kStoreKey)->payload == "long");
}

TEST_CASE("MemcachedStore: create, update and touch obey their contracts", "[memcached]") {
  MemcachedStoreEnv env;
  const TimePoint later = env.clock.now() + 1h;
  CHECK_FALSE(env.store.update(kStoreKey, "x", later));
  CHECK_FALSE(env.store.touch(kStoreKey, later));
  CHECK_FALSE(memcached_test::item(env.name(kStoreKey)));
  CHECK(env.store.create(kStoreKey, "first", later));
  CHECK_FALSE(env.store.create(kStoreKey, "second", later));
  CHECK(env.store.load(kStoreKey)->payload == "first");
  CHECK(env.store.exists(kStoreKey));
  env.store.remove(kStoreKey);
  env.store.remove(kStoreKey);
  CHECK_FALSE(env.store.exists(kStoreKey));
  CHECK_FALSE(env.store.update(kStoreKey, "x", later));  // REPLACE never resurrects
  CHECK_FALSE(env.store.touch(kStoreKey, later));
  CHECK_FALSE(env.store.load(kStoreKey));
  CHECK(env.store.clear_expired() == 0);
}

TEST_CASE("MemcachedStore: touch keeps the latest payload", "[memcached]") {
  MemcachedStoreEnv env;
  REQUIRE(env.store.create(kStoreKey, "v1", env.clock.now() + 1h));
  REQUIRE(env.store.update(kStoreKey, "v2", env.clock.now() + 1h));
  REQUIRE(env.store.touch(kStoreKey, env.clock.now() + 2h));
  CHECK(env.store.load(kStoreKey)->payload == "v2");
}

TEST_CASE("MemcachedStore: expiry is decided by the store's clock", "[memcached][expiry]") {
  MemcachedStoreEnv env;
  REQUIRE(env.store.create(kStoreKey, "p", env.clock.now() + 10s));
  env.clock.advance(9s);
  CHECK(env.store.exists(kStoreKey));
  env.clock.advance(1s);
  CHECK(memcached_test::item(env.name(kStoreKey)));  // memcached still has it
  CHECK_FALSE(env.store.load(kStoreKey));
  CHECK_FALSE(env.store.exists(kStoreKey));
  CHECK_FALSE(env.store.touch(kStoreKey, env.clock.now() + 1h));
}

TEST_CASE("MemcachedStore: an expiry that is already over stores nothing", "[memcached][expiry]") {
  MemcachedStoreEnv env;
  const TimePoint past = env.clock.now() - 1s;
  CHECK(env.store.create(kStoreKey, "p", past));
  CHECK_FALSE(memcached_test::item(env.name(kStoreKey)));
  REQUIRE(env.store.create(kStoreKey, "p", env.clock.now() + 1h));
  CHECK_FALSE(env.store.create(kStoreKey, "q", past));
  CHECK(env.store.update(kStoreKey, "q", past));  // deletes the live record
  CHECK_FALSE(memcached_test::item(env.name(kStoreKey)));
  CHECK_FALSE(env.store.update(kStoreKey, "q", past));
}

TEST_CASE("MemcachedStore: invalid keys never reach the server", "[memcached]") {
  MemcachedStoreEnv env;
  for (const std::string_view bad : {"", "short", "UPPERCASE1234", "../../etc/passwd", "a b c d e f g"}) {
    CHECK_FALSE(env.store.create(bad, "p", env.clock.now() + 1h));
    CHECK_FALSE(env.store.load(bad));
    CHECK_FALSE(env.store.update(bad, "p", env.clock.now() + 1h));
    CHECK_FALSE(env.store.touch(bad, env.clock.now() + 1h));
    CHECK_FALSE(env.store.exists(bad));
    env.store.remove(bad);
  }
}

TEST_CASE("MemcachedStore: a value that is not ours reads as absent", "[memcached]") {
  MemcachedStoreEnv env;
  memcached_test::raw_set(env.name(kStoreKey), std::string("\x80\x04\x95\x0b\x00\x00\x00", 7));
  CHECK_FALSE(env.store.load(kStoreKey));
  CHECK_FALSE(env.store.exists(kStoreKey));
  CHECK_FALSE(env.store.touch(kStoreKey, env.clock.now() + 1h));
  CHECK(env.log.contains("is not a record of this store"));
  CHECK_FALSE(env.log.contains(std::string(kStoreKey)));
}

TEST_CASE("MemcachedStore: sessions are spread over both servers by consistent hashing", "[memcached]") {
  sessions::MemcachedOptions o = memcached_test::options();
  MemcachedStore store(o);
  const auto ports = memcached_test::ports();
  REQUIRE(ports.size() == 2);
  std::vector<std::string> keys;
  for (int i = 0; i < 60; ++i) {
    keys.push_back(sessions::generate_session_key());
    REQUIRE(store.create(keys.back(), "n" + std::to_string(i), std::chrono::system_clock::now() + 1h));
  }
  // Which server holds each key: ask each server alone.
  std::map<std::uint16_t, int> per_server;
  for (const std::string& key : keys) {
    for (const std::uint16_t port : ports) {
      memcached_test::Raw raw(port);
      if (raw.ask("mg " + store.cache_key(key) + " v\r\nmn\r\n", "MN\r\n").starts_with("VA")) ++per_server[port];
    }
  }
  CHECK(per_server[ports[0]] + per_server[ports[1]] == 60);
  CHECK(per_server[ports[0]] >= 10);
  CHECK(per_server[ports[1]] >= 10);

  // Ketama places keys by the servers' names, not their order: the list reversed finds them all.
  sessions::MemcachedOptions reversed = o;
  std::swap(reversed.servers[0], reversed.servers[1]);
  MemcachedStore other(reversed);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const auto record = other.load(keys[i]);
    REQUIRE(record);
    CHECK(record->payload == "n" + std::to_string(i));
  }
}

TEST_CASE("MemcachedStore: with the system clock, records end with their expiry", "[memcached][expiry]") {
  MemcachedStore store(memcached_test::options());
  REQUIRE(store.create(kStoreKey2, "short", std::chrono::system_clock::now() + 150ms));
  CHECK(store.exists(kStoreKey2));
  std::this_thread::sleep_for(300ms);
  CHECK_FALSE(store.exists(kStoreKey2));  // by the stored instant (memcached itself counts whole seconds)
}

TEST_CASE("MemcachedStore: a value over the server's item size limit is LimitExceeded", "[memcached]") {
  MemcachedStoreEnv env;
  const std::string huge(2 * 1024 * 1024, 'x');
  CHECK_THROWS_AS(env.store.create(kStoreKey, huge, env.clock.now() + 1h), sessions::LimitExceeded);
  REQUIRE(env.store.create(kStoreKey, "small", env.clock.now() + 1h));
  CHECK_THROWS_AS(env.store.update(kStoreKey, huge, env.clock.now() + 1h), sessions::LimitExceeded);
  CHECK(env.store.load(kStoreKey)->payload == "small");
}
