// The shared lost-update suite (support/lost_update_suite.inc) against CachedStore (compare-and-set
// on the persistent store, then on the cache), and the stale-cache case.

#include "cached_support.hpp"

#if SESSIONS_TEST_WITH_REDIS && SESSIONS_TEST_WITH_MEMCACHED
#define CAS_STORES                                                                          \
  cached_test::MemoryOverMemory, cached_test::MemoryOverFile, cached_test::FlakyOverMemory, \
      cached_test::RedisOverFile, cached_test::MemcachedOverMemory
#elif SESSIONS_TEST_WITH_REDIS
#define CAS_STORES \
  cached_test::MemoryOverMemory, cached_test::MemoryOverFile, cached_test::FlakyOverMemory, cached_test::RedisOverFile
#elif SESSIONS_TEST_WITH_MEMCACHED
#define CAS_STORES                                                                          \
  cached_test::MemoryOverMemory, cached_test::MemoryOverFile, cached_test::FlakyOverMemory, \
      cached_test::MemcachedOverMemory
#else
#define CAS_STORES cached_test::MemoryOverMemory, cached_test::MemoryOverFile, cached_test::FlakyOverMemory
#endif

#include "support/lost_update_suite.inc"

TEST_CASE("CachedStore::update_if: a stale cache entry is a conflict that removes it, so a merge sees the truth",
          "[cached][lost_update]") {
  test_support::StoreFixture<cached_test::MemoryOverMemory> env;
  env.settings.lost_update = sessions::LostUpdate::merge;
  using SessionT = sessions::Session<cached_test::MemoryOverMemory>;
  SessionT first(env.store, env.settings);
  first.set("base", 1);
  first.save();
  const std::string key = *first.session_key();
  // Another process wrote the persistent record; this process's cache still holds the old one.
  const auto record = env.persistent.load(key);
  REQUIRE(record);
  REQUIRE(env.persistent.update(key, R"({"base":1,"other":2})", record->expires_at));
  SessionT stale(env.store, key, env.settings);
  CHECK_FALSE(stale.contains("other"));  // loaded from the stale cache
  stale.set("mine", 3);
  stale.save();  // conflict on the persistent store -> cache entry removed -> reload -> merge
  SessionT after(env.store, key, env.settings);
  CHECK(after.get("other") == 2);
  CHECK(after.get("mine") == 3);
  CHECK(env.cache.load(key)->payload == env.persistent.load(key)->payload);
}
