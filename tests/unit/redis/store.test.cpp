// RedisStore beyond the shared suite: URLs, what is stored under which key, TTLs, expiry by the
// store's clock, the touch script, AUTH/ACL, SELECT, unix sockets.

#include <string>

#include "redis_support.hpp"
#include "support/catch.hpp"

using namespace std::chrono_literals;
using sessions::RedisStore;
using sessions::TimePoint;

namespace {
constexpr std::string_view kStoreKey = "abcdefghijklmnopqrstuvwxyz012345";
constexpr std::string_view kStoreKey2 = "0123456789abcdefghijklmnopqrstuv";

struct RedisStoreEnv {
  sessions::ManualClock clock;
  test_support::LogCapture log;
  RedisStore store{redis_test::options(sessions::Clock(clock), log.logger())};
  redis_test::Admin admin;
  std::string name(std::string_view key) const { return store.cache_key(key); }
};
}  // namespace

TEST_CASE("RedisStore::options_from_url", "[redis][url]") {
  SECTION("host, port, database") {
    const auto o = sessions::RedisStore::options_from_url("redis://cache.example:6380/3");
    CHECK(o.host == "cache.example");
    CHECK(o.port == 6380);
    CHECK(o.db == 3);
    CHECK(o.password.empty());
    CHECK(o.username.empty());
    CHECK(o.unix_socket.empty());
  }
  SECTION("defaults") {
    const auto o = sessions::RedisStore::options_from_url("redis://localhost");
    CHECK(o.port == 6379);
    CHECK(o.db == 0);
    CHECK(o.key_prefix == ":1:django.contrib.sessions.cache");
  }
  SECTION("password only, and ACL user with password, percent-decoded") {
    const auto a = sessions::RedisStore::options_from_url("redis://:s%40cret@h/1");
    CHECK(a.username.empty());
    CHECK(a.password == "s@cret");
    const auto b = sessions::RedisStore::options_from_url("redis://app:pw@h:1234?db=2");
    CHECK(b.username == "app");
    CHECK(b.password == "pw");
    CHECK(b.db == 2);
  }
  SECTION("IPv6") {
    const auto o = sessions::RedisStore::options_from_url("redis://[::1]:7000");
    CHECK(o.host == "::1");
    CHECK(o.port == 7000);
    CHECK(RedisStore(o).server() == "[::1]:7000");
  }
  SECTION("unix socket") {
    const auto o = sessions::RedisStore::options_from_url("unix:///run/redis/redis.sock?db=5");
    CHECK(o.unix_socket == "/run/redis/redis.sock");
    CHECK(o.db == 5);
    CHECK(RedisStore(o).server() == "unix:/run/redis/redis.sock");
  }
  SECTION("parameters") {
    const auto o = sessions::RedisStore::options_from_url(
        "redis://h?connect_timeout=250&timeout=100&pool_size=3&pool_timeout=50&key_prefix=app:sess:");
    CHECK(o.connect_timeout == 250ms);
    CHECK(o.command_timeout == 100ms);
    CHECK(o.pool_size == 3);
    CHECK(o.pool_timeout == 50ms);
    CHECK(o.key_prefix == "app:sess:");
  }
  SECTION("refused") {
    CHECK_THROWS_AS(sessions::RedisStore::options_from_url("rediss://h"), sessions::ConfigurationError);
    CHECK_THROWS_AS(sessions::RedisStore::options_from_url("http://h"), sessions::ConfigurationError);
    CHECK_THROWS_AS(sessions::RedisStore::options_from_url("redis://h/x"), sessions::ConfigurationError);
    CHECK_THROWS_AS(sessions::RedisStore::options_from_url("redis://h/1?db=2"), sessions::ConfigurationError);
    CHECK_THROWS_AS(sessions::RedisStore::options_from_url("redis://h?unknown=1"), sessions::ConfigurationError);
    CHECK_THROWS_AS(sessions::RedisStore::options_from_url("redis://a,b"), sessions::ConfigurationError);
    CHECK_THROWS_AS(sessions::RedisStore::options_from_url("redis://user@h"), sessions::ConfigurationError);
    CHECK_THROWS_AS(sessions::RedisStore::options_from_url("unix://host/path"), sessions::ConfigurationError);
    CHECK_THROWS_AS(sessions::RedisStore::options_from_url("redis://h?pool_size=0"), sessions::ConfigurationError);
  }
  SECTION("rediss says why, and no error shows the password") {
    try {
      (void)sessions::RedisStore::options_from_url("rediss://:topsecret@h");
      FAIL("no exception");
    } catch (const sessions::ConfigurationError& e) {
      const std::string what = e.what();
      CHECK(what.find("TLS") != std::string::npos);
      CHECK(what.find("hiredis") != std::string::npos);
      CHECK(what.find("topsecret") == std::string::npos);
    }
    try {
      (void)sessions::RedisStore::options_from_url("redis://:topsecret@h?bogus=1");
      FAIL("no exception");
    } catch (const sessions::ConfigurationError& e) {
      CHECK(std::string(e.what()).find("topsecret") == std::string::npos);
    }
  }
}

TEST_CASE("RedisStore refuses timeouts that are not positive", "[redis][config]") {
  sessions::RedisOptions options;
  options.connect_timeout = 0ms;
  CHECK(test_support::configuration_error([&] { RedisStore s(options); }) ==
        "RedisStore: connect_timeout must be positive (got 0 ms)");
  options = sessions::RedisOptions{};
  options.command_timeout = -1ms;
  CHECK(test_support::configuration_error([&] { RedisStore s(options); }) ==
        "RedisStore: command_timeout must be positive (got -1 ms)");
  CHECK(test_support::configuration_error([] { RedisStore s("redis://127.0.0.1?timeout=0"); }) ==
        "RedisStore: command_timeout must be positive (got 0 ms)");
}

TEST_CASE("RedisStore: the default key is Django's cache key", "[redis]") {
  sessions::RedisOptions o;
  const RedisStore store(o);
  CHECK(store.cache_key(kStoreKey) == ":1:django.contrib.sessions.cache" + std::string(kStoreKey));
}

TEST_CASE("RedisStore: the value is the expiry instant then the payload; the TTL follows the store's clock",
          "[redis]") {
  RedisStoreEnv env;
  const TimePoint expires = env.clock.now() + 3600s + 250ms;
  REQUIRE(env.store.create(kStoreKey, "{\"a\":1}", expires));
  const auto raw = env.admin.get(env.name(kStoreKey));
  REQUIRE(raw);
  CHECK(*raw == sessions::detail::cache_value::encode(expires, "{\"a\":1}"));
  CHECK(raw->substr(0, 20) == "1700003600250000000:");
  const long long pttl = env.admin.pttl(env.name(kStoreKey));
  CHECK(pttl > 3600'000 - 5'000);
  CHECK(pttl <= 3600'251);

  const auto record = env.store.load(kStoreKey);
  REQUIRE(record);
  CHECK(record->payload == "{\"a\":1}");
  CHECK(record->expires_at == expires);

  REQUIRE(env.store.update(kStoreKey, "{\"a\":2}", env.clock.now() + 60s));
  CHECK(env.admin.pttl(env.name(kStoreKey)) <= 60'000);
  CHECK(env.store.load(kStoreKey)->payload == "{\"a\":2}");

  REQUIRE(env.store.touch(kStoreKey, env.clock.now() + 7200s));
  CHECK(env.admin.pttl(env.name(kStoreKey)) > 7000'000);
  const auto touched = env.store.load(kStoreKey);
  REQUIRE(touched);
  CHECK(touched->payload == "{\"a\":2}");
  CHECK(touched->expires_at == env.clock.now() + 7200s);
}

TEST_CASE("RedisStore: create, update and touch obey their contracts", "[redis]") {
  RedisStoreEnv env;
  const TimePoint later = env.clock.now() + 1h;
  CHECK_FALSE(env.store.update(kStoreKey, "x", later));  // never creates
  CHECK_FALSE(env.store.touch(kStoreKey, later));
  CHECK_FALSE(env.admin.get(env.name(kStoreKey)));
  CHECK(env.store.create(kStoreKey, "first", later));
  CHECK_FALSE(env.store.create(kStoreKey, "second", later));  // never overwrites
  CHECK(env.store.load(kStoreKey)->payload == "first");
  CHECK(env.store.exists(kStoreKey));
  env.store.remove(kStoreKey);
  env.store.remove(kStoreKey);  // absent: nothing happens
  CHECK_FALSE(env.store.exists(kStoreKey));
  CHECK_FALSE(env.store.update(kStoreKey, "x", later));  // a deleted session is not resurrected
  CHECK_FALSE(env.store.load(kStoreKey));
  CHECK(env.store.clear_expired() == 0);
}

TEST_CASE("RedisStore: expiry is decided by the store's clock, whatever Redis still holds", "[redis][expiry]") {
  RedisStoreEnv env;
  REQUIRE(env.store.create(kStoreKey, "p", env.clock.now() + 10s));
  env.clock.advance(9s);
  CHECK(env.store.exists(kStoreKey));
  CHECK(env.store.load(kStoreKey));
  env.clock.advance(1s);                      // exactly at the instant: over
  CHECK(env.admin.get(env.name(kStoreKey)));  // Redis has it (its TTL counts real time)
  CHECK_FALSE(env.store.load(kStoreKey));
  CHECK_FALSE(env.store.exists(kStoreKey));
  CHECK_FALSE(env.store.touch(kStoreKey, env.clock.now() + 1h));  // no live record to touch
}

TEST_CASE("RedisStore: an expiry that is already over stores nothing", "[redis][expiry]") {
  RedisStoreEnv env;
  const TimePoint past = env.clock.now() - 1s;
  CHECK(env.store.create(kStoreKey, "p", past));  // nothing in the way: "created", already expired
  CHECK_FALSE(env.admin.get(env.name(kStoreKey)));
  REQUIRE(env.store.create(kStoreKey, "p", env.clock.now() + 1h));
  CHECK_FALSE(env.store.create(kStoreKey, "q", past));  // a live record is in the way
  SECTION("update to a past instant deletes the live record") {
    CHECK(env.store.update(kStoreKey, "q", past));
    CHECK_FALSE(env.admin.get(env.name(kStoreKey)));
    CHECK_FALSE(env.store.update(kStoreKey, "q", past));  // nothing live any more
  }
  SECTION("touch to the present instant deletes it too") {
    CHECK(env.store.touch(kStoreKey, env.clock.now()));
    CHECK_FALSE(env.admin.get(env.name(kStoreKey)));
  }
}

TEST_CASE("RedisStore: invalid keys never reach the server", "[redis]") {
  RedisStoreEnv env;
  for (const std::string_view bad : {"", "short", "UPPERCASE1234", "../../etc/passwd", "a b c d e f g"}) {
    CHECK_FALSE(env.store.create(bad, "p", env.clock.now() + 1h));
    CHECK_FALSE(env.store.load(bad));
    CHECK_FALSE(env.store.update(bad, "p", env.clock.now() + 1h));
    CHECK_FALSE(env.store.touch(bad, env.clock.now() + 1h));
    CHECK_FALSE(env.store.exists(bad));
    env.store.remove(bad);
  }
}

TEST_CASE("RedisStore: a value that is not ours (e.g. Django's pickle) reads as absent", "[redis]") {
  RedisStoreEnv env;
  env.admin.set(env.name(kStoreKey), std::string("\x80\x04\x95\x0b\x00\x00\x00", 7));
  env.admin.set(env.name(kStoreKey2), "12345");
  CHECK_FALSE(env.store.load(kStoreKey));
  CHECK_FALSE(env.store.exists(kStoreKey));
  CHECK_FALSE(env.store.touch(kStoreKey, env.clock.now() + 1h));
  CHECK_FALSE(env.store.load(kStoreKey2));
  CHECK(env.log.contains("is not a record of this store"));
  CHECK_FALSE(env.log.contains(std::string(kStoreKey)));  // never a whole session key in a log
}

TEST_CASE("RedisStore: the touch script's SHA-1 is what the server computes, and NOSCRIPT is handled", "[redis]") {
  RedisStoreEnv env;
  auto reply = env.admin.command({"SCRIPT", "LOAD", std::string(sessions::detail::redis_store::kTouchScript)});
  REQUIRE(reply->type == REDIS_REPLY_STRING);
  CHECK(std::string(reply->str, reply->len) == sessions::detail::redis_store::kTouchScriptSha1);

  REQUIRE(env.store.create(kStoreKey, "p", env.clock.now() + 1h));
  (void)env.admin.command({"SCRIPT", "FLUSH"});
  CHECK(env.store.touch(kStoreKey, env.clock.now() + 2h));  // EVALSHA -> NOSCRIPT -> EVAL
  CHECK(env.store.load(kStoreKey)->expires_at == env.clock.now() + 2h);
  CHECK(env.store.touch(kStoreKey, env.clock.now() + 3h));  // EVALSHA again (EVAL cached it)
}

TEST_CASE("RedisStore: a key of another type is a StorageError, not a crash", "[redis]") {
  RedisStoreEnv env;
  (void)env.admin.command({"HSET", env.name(kStoreKey), "f", "v"});
  CHECK_THROWS_AS(env.store.load(kStoreKey), sessions::StorageError);
  CHECK_THROWS_AS(env.store.touch(kStoreKey, env.clock.now() + 1h), sessions::StorageError);
  env.store.remove(kStoreKey);
}

TEST_CASE("RedisStore: ACL user and password, and SELECT", "[redis][auth]") {
  const std::string acl = redis_test::require_env("SESSIONS_TEST_REDIS_ACL_USER");
  const std::string user = acl.substr(0, acl.find(':'));
  const std::string password = acl.substr(acl.find(':') + 1);
  sessions::RedisOptions base = redis_test::options();
  const std::string host_port = base.host + ":" + std::to_string(base.port);

  SECTION("the right user and password, on database 1") {
    sessions::RedisOptions o =
        sessions::RedisStore::options_from_url("redis://" + user + ":" + password + "@" + host_port + "/1", base);
    RedisStore store(o);
    REQUIRE(store.create(kStoreKey, "in db 1", std::chrono::system_clock::now() + 1h));
    redis_test::Admin db0(0);
    redis_test::Admin db1(1);
    CHECK_FALSE(db0.get(store.cache_key(kStoreKey)));
    CHECK(db1.get(store.cache_key(kStoreKey)));
    CHECK(store.load(kStoreKey)->payload == "in db 1");
    store.remove(kStoreKey);
  }
  SECTION("a wrong password is a StorageError that does not show it") {
    sessions::RedisOptions o =
        sessions::RedisStore::options_from_url("redis://" + user + ":wrong-pass-123@" + host_port, base);
    RedisStore store(o);
    try {
      (void)store.load(kStoreKey);
      FAIL("no exception");
    } catch (const sessions::StorageError& e) {
      const std::string what = e.what();
      INFO(what);
      CHECK(what.find("authentication") != std::string::npos);
      CHECK(what.find(host_port) != std::string::npos);
      CHECK(what.find("wrong-pass-123") == std::string::npos);
      CHECK(what.find(std::string(kStoreKey)) == std::string::npos);
    }
  }
  SECTION("a password for the default user, which has none: refused by the server") {
    sessions::RedisOptions o = sessions::RedisStore::options_from_url("redis://:not-configured@" + host_port, base);
    RedisStore store(o);
    CHECK_THROWS_AS(store.ping(), sessions::StorageError);
  }
}

TEST_CASE("RedisStore: over the unix socket", "[redis]") {
  sessions::RedisOptions o = sessions::RedisStore::options_from_url(
      redis_test::require_env("SESSIONS_TEST_REDIS_UNIX_URL"), redis_test::options());
  REQUIRE_FALSE(o.unix_socket.empty());
  RedisStore store(o);
  REQUIRE(store.create(kStoreKey, "via socket", std::chrono::system_clock::now() + 1h));
  CHECK(store.load(kStoreKey)->payload == "via socket");
  store.remove(kStoreKey);
  CHECK_FALSE(store.exists(kStoreKey));
}

TEST_CASE("RedisStore: with the system clock, records end when their TTL does", "[redis][expiry]") {
  sessions::RedisOptions o = redis_test::options();
  RedisStore store(o);
  REQUIRE(store.create(kStoreKey, "short", std::chrono::system_clock::now() + 150ms));
  CHECK(store.exists(kStoreKey));
  std::this_thread::sleep_for(300ms);
  CHECK_FALSE(store.exists(kStoreKey));
  redis_test::Admin admin;
  CHECK_FALSE(admin.get(store.cache_key(kStoreKey)));  // Redis dropped it as well
}
