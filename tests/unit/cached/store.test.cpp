// CachedStore (Django's cached_db): write-through, cache first on reads, fill on a miss, delete from
// both, and an unreachable cache that is logged, never fatal, and never serves stale data afterwards.

#include <string>
#include <thread>
#include <vector>

#include "cached_support.hpp"
#include "support/catch.hpp"

using namespace std::chrono_literals;
using cached_test::FlakyOverMemory;
using cached_test::MemoryOverMemory;
using sessions::LogLevel;

namespace {
constexpr std::string_view kKey = "abcdefghijklmnopqrstuvwxyz012345";
constexpr std::string_view kKey2 = "0123456789abcdefghijklmnopqrstuv";

using Flaky = test_support::StoreFixture<FlakyOverMemory>;
using Memory = test_support::StoreFixture<MemoryOverMemory>;

std::size_t errors_logged(test_support::LogCapture& log) {
  std::lock_guard lock(log.mutex);
  std::size_t n = 0;
  for (const auto& line : log.lines) {
    if (line.level == LogLevel::error && line.category == "sessions.storage.cached") ++n;
  }
  return n;
}
}  // namespace

TEST_CASE("CachedStore: create writes the persistent store, then the cache", "[cached]") {
  Memory env;
  const auto expires = env.clock.now() + 1h;
  REQUIRE(env.store.create(kKey, "p", expires));
  CHECK(env.persistent.load(kKey)->payload == "p");
  CHECK(env.cache.load(kKey)->payload == "p");
  CHECK(env.cache.load(kKey)->expires_at == expires);
  CHECK_FALSE(env.store.create(kKey, "q", expires));  // the persistent store's answer
  CHECK(env.cache.load(kKey)->payload == "p");
}

TEST_CASE("CachedStore: create replaces a stale cache entry of a key the persistent store does not have", "[cached]") {
  Memory env;
  REQUIRE(env.cache.create(kKey, "stale", env.clock.now() + 1h));
  REQUIRE(env.store.create(kKey, "fresh", env.clock.now() + 1h));
  CHECK(env.cache.load(kKey)->payload == "fresh");
}

TEST_CASE("CachedStore: reads go to the cache first (test_exists_searches_cache_first)", "[cached]") {
  Flaky env;
  REQUIRE(env.store.create(kKey, "p", env.clock.now() + 1h));
  CHECK(env.store.load(kKey)->payload == "p");
  CHECK(env.store.exists(kKey));
  CHECK(env.cache.loads == 1);
  CHECK(env.persistent.loads == 0);
  CHECK(env.persistent.exists_calls == 0);
}

TEST_CASE("CachedStore: a miss reads the persistent store and fills the cache", "[cached]") {
  Flaky env;
  const auto expires = env.clock.now() + 1h;
  REQUIRE(env.store.create(kKey, "p", expires));
  env.cache.remove(kKey);  // evicted
  CHECK(env.store.load(kKey)->payload == "p");
  CHECK(env.persistent.loads == 1);
  REQUIRE(env.cache.peek(kKey));
  CHECK(env.cache.peek(kKey)->expires_at == expires);  // the record's own expiry
  CHECK(env.store.load(kKey)->payload == "p");
  CHECK(env.persistent.loads == 1);  // the second read was the cache's
  // Absent everywhere: nothing is filled.
  CHECK_FALSE(env.store.load(kKey2));
  CHECK_FALSE(env.cache.peek(kKey2));
}

TEST_CASE("CachedStore: update and touch write through; a missing cache entry is left to the next load", "[cached]") {
  Memory env;
  REQUIRE(env.store.create(kKey, "v1", env.clock.now() + 1h));
  REQUIRE(env.store.update(kKey, "v2", env.clock.now() + 2h));
  CHECK(env.persistent.load(kKey)->payload == "v2");
  CHECK(env.cache.load(kKey)->payload == "v2");
  REQUIRE(env.store.touch(kKey, env.clock.now() + 3h));
  CHECK(env.persistent.load(kKey)->expires_at == env.clock.now() + 3h);
  CHECK(env.cache.load(kKey)->expires_at == env.clock.now() + 3h);

  env.cache.remove(kKey);
  REQUIRE(env.store.update(kKey, "v3", env.clock.now() + 1h));
  CHECK_FALSE(env.cache.load(kKey));  // not created by an update
  CHECK(env.store.load(kKey)->payload == "v3");
  CHECK(env.cache.load(kKey)->payload == "v3");
}

TEST_CASE("CachedStore: an update of a session gone from the persistent store fails and clears the cache", "[cached]") {
  Memory env;
  REQUIRE(env.store.create(kKey, "v1", env.clock.now() + 1h));
  env.persistent.remove(kKey);  // e.g. deleted by another process whose cache delete was lost
  CHECK_FALSE(env.store.update(kKey, "v2", env.clock.now() + 1h));
  CHECK_FALSE(env.cache.load(kKey));
  CHECK_FALSE(env.store.load(kKey));
  CHECK_FALSE(env.store.touch(kKey, env.clock.now() + 1h));
}

TEST_CASE("CachedStore: remove deletes from both; clear_expired is the persistent store's", "[cached]") {
  Memory env;
  REQUIRE(env.store.create(kKey, "p", env.clock.now() + 1h));
  REQUIRE(env.store.create(kKey2, "q", env.clock.now() + 10s));
  env.store.remove(kKey);
  CHECK_FALSE(env.persistent.load(kKey));
  CHECK_FALSE(env.cache.load(kKey));
  CHECK_FALSE(env.store.exists(kKey));
  env.clock.advance(20s);
  CHECK(env.store.clear_expired() == 1);
}

TEST_CASE("CachedStore: a cache that is down is logged and never fatal (test_cache_set_failure_non_fatal)",
          "[cached][faults]") {
  Flaky env;
  REQUIRE(env.store.create(kKey, "{\"x\":1}", env.clock.now() + 1h));
  env.cache.down = true;

  sessions::Session<FlakyOverMemory> s(env.store, kKey, env.settings);
  CHECK(s.get("x") == 1);  // served by the persistent store
  CHECK(env.store.load(kKey)->payload == "{\"x\":1}");
  CHECK(env.store.exists(kKey));
  REQUIRE(env.store.create(kKey2, "new", env.clock.now() + 1h));
  CHECK(env.persistent.peek(kKey2)->payload == "new");
  REQUIRE(env.store.update(kKey, "changed", env.clock.now() + 1h));
  REQUIRE(env.store.touch(kKey, env.clock.now() + 2h));
  CHECK(env.persistent.peek(kKey)->payload == "changed");
  env.store.remove(kKey2);
  CHECK_FALSE(env.persistent.peek(kKey2));
  CHECK(env.store.clear_expired() == 0);
  CHECK(errors_logged(env.log) >= 8);
  CHECK(env.log.contains("the cache is down (test)"));
  CHECK_FALSE(env.log.contains(std::string(kKey)));  // never a whole session key

  SECTION("whole sessions work through the outage") {
    sessions::Session<FlakyOverMemory> fresh(env.store, env.settings);
    fresh.set("cart", 3);
    fresh.save();
    sessions::Session<FlakyOverMemory> again(env.store, *fresh.session_key(), env.settings);
    CHECK(again.get("cart") == 3);
    again.set("cart", 4);
    again.save();
    again.flush();
    CHECK_FALSE(env.store.exists(*fresh.session_key()));
  }
}

TEST_CASE("CachedStore: after an outage, the cache never serves data that changed meanwhile", "[cached][faults]") {
  Flaky env;
  REQUIRE(env.store.create(kKey, "v1", env.clock.now() + 1h));   // cached
  REQUIRE(env.store.create(kKey2, "w1", env.clock.now() + 1h));  // cached
  env.cache.down = true;
  REQUIRE(env.store.update(kKey, "v2", env.clock.now() + 1h));  // the cache still holds v1
  env.store.remove(kKey2);                                      // the cache still holds w1
  CHECK(env.store.pending() == 2);
  env.cache.down = false;
  CHECK(env.cache.peek(kKey)->payload == "v1");  // stale, but...
  CHECK(env.store.load(kKey)->payload == "v2");  // ...not served
  CHECK_FALSE(env.store.load(kKey2));            // the logout holds
  CHECK_FALSE(env.store.exists(kKey2));
  CHECK(env.store.pending() == 0);
  CHECK(env.cache.peek(kKey)->payload == "v2");  // filled again from the persistent record
}

TEST_CASE("CachedStore: suspect keys are remembered up to max_pending", "[cached][faults]") {
  test_support::FixtureBase base;
  cached_test::FlakyStore cache{sessions::Clock(base.clock)};
  cached_test::FlakyStore persistent{sessions::Clock(base.clock)};
  FlakyOverMemory store(cache, persistent, sessions::CachedStoreOptions{base.settings.logger, 1});
  REQUIRE(store.create(kKey, "a", base.clock.now() + 1h));
  REQUIRE(store.create(kKey2, "b", base.clock.now() + 1h));
  cache.down = true;
  store.remove(kKey);
  store.remove(kKey2);
  CHECK(store.pending() == 1);
  CHECK(base.log.contains("too many pending"));
}

TEST_CASE("CachedStore: errors of the persistent store are the caller's", "[cached][faults]") {
  Flaky env;
  env.persistent.down = true;
  CHECK_THROWS_AS(env.store.create(kKey, "p", env.clock.now() + 1h), sessions::StorageError);
  CHECK_THROWS_AS(env.store.load(kKey), sessions::StorageError);  // a cache miss, then the persistent store
  CHECK_THROWS_AS(env.store.remove(kKey), sessions::StorageError);
}

TEST_CASE("CachedStore: 8 threads through one store", "[cached][concurrency]") {
  Memory env;
  env.settings.logger = sessions::Logger::silent();
  std::vector<std::thread> threads;
  std::vector<std::string> failures(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      try {
        for (int i = 0; i < 50; ++i) {
          sessions::Session<MemoryOverMemory> s(env.store, env.settings);
          s.set("t", t);
          s.save();
          sessions::Session<MemoryOverMemory> again(env.store, *s.session_key(), env.settings);
          if (again.get("t") != t) throw std::runtime_error("other data");
          again.set("i", i);
          again.save();
          if (i % 2 == 0) again.flush();
        }
      } catch (const std::exception& e) {
        failures[static_cast<std::size_t>(t)] = e.what();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& f : failures) CHECK(f.empty());
  CHECK(env.persistent.size() == 8 * 25);
}
