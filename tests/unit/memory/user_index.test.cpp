// The shared per-user index suite (support/user_index_suite.inc) against MemoryStore and
// MemoryValueStore, and what is particular to them.

#include "support/fixtures.hpp"

#include <sessions/user_indexed.hpp>

namespace test_support {

template <>
struct StoreFixture<sessions::UserIndexed<sessions::MemoryStore>> : FixtureBase {
  sessions::UserIndexed<sessions::MemoryStore> store{sessions::Clock(clock)};
};

template <>
struct StoreFixture<sessions::UserIndexed<sessions::MemoryValueStore>> : FixtureBase {
  sessions::UserIndexed<sessions::MemoryValueStore> store{sessions::Clock(clock)};
};

}  // namespace test_support

#define INDEX_STORES sessions::MemoryStore, sessions::MemoryValueStore
#define INDEX_MASS_USERS 10000

#include "support/user_index_suite.inc"

TEST_CASE("MemoryStore: a record a load or clear_expired reclaims takes its index entry with it",
          "[memory][user_index]") {
  test_support::StoreFixture<sessions::UserIndexed<sessions::MemoryStore>> env;
  auto& store = env.store;
  const auto now = env.clock.now();
  const std::string key = sessions::generate_session_key(env.settings.random);
  REQUIRE(store.create(key, "{}", now + 1s));
  store.index_session("42", key, sessions::SessionDetails{now, now, now + 1s, {}, {}}, sessions::UserSessionLimit{});
  REQUIRE(store.user_index_size() == 1);
  env.clock.advance(2s);
  CHECK_FALSE(store.load(key).has_value());  // the load drops the expired record...
  CHECK(store.user_index_size() == 0);       // ...and its entry
  REQUIRE(store.create(key, "{}", env.clock.now() + 1s));
  store.index_session("42", key, sessions::SessionDetails{now, now, env.clock.now() + 1s, {}, {}},
                      sessions::UserSessionLimit{});
  env.clock.advance(2s);
  CHECK(store.clear_expired() == 1);
  CHECK(store.user_index_size() == 0);
}

TEST_CASE("MemoryStore: while sessions are indexed, writes do not sweep expired records silently",
          "[memory][user_index]") {
  test_support::StoreFixture<sessions::UserIndexed<sessions::MemoryStore>> env;
  sessions::UserIndexed<sessions::MemoryStore> store{
      sessions::BasicMemoryStore<std::string>::Options{.shards = 1, .clock = sessions::Clock(env.clock)}};
  const auto now = env.clock.now();
  std::vector<std::string> keys;
  for (int i = 0; i < 50; ++i) {
    keys.push_back(sessions::generate_session_key(env.settings.random));
    REQUIRE(store.create(keys.back(), "{}", now + 1s));
    store.index_session("42", keys.back(), sessions::SessionDetails{now, now, now + 1s, {}, {}},
                        sessions::UserSessionLimit{});
  }
  env.clock.advance(2s);
  for (int i = 0; i < 500; ++i) {  // enough writes for the hand to visit every bucket
    REQUIRE(store.create(sessions::generate_session_key(env.settings.random), "{}", env.clock.now() + 1h));
  }
  CHECK(store.size() == 550);  // the expired ones are still there, for the purge to tell
  CHECK(store.purge_expired(1000, env.clock.now()).size() == 50);
  CHECK(store.user_index_size() == 0);
}

TEST_CASE("MemoryStore without UserIndexed: sessions are not indexed", "[memory][user_index]") {
  test_support::StoreFixture<sessions::MemoryStore> env;
  sessions::Session<sessions::MemoryStore> s(env.store, env.settings);
  s.set("_auth_user_id", "42");
  s.save();
  CHECK(env.store.user_index_size() == 0);
  CHECK(sessions::user_sessions(env.store, "42", env.clock.now()).empty());
}

TEST_CASE("Purger: stop() wakes the thread at once, whatever the interval; options are checked", "[memory][purge]") {
  test_support::StoreFixture<sessions::UserIndexed<sessions::MemoryStore>> env;
  sessions::Purger purger(env.store, sessions::PurgerOptions{.interval = std::chrono::hours(24), .batch_size = 10},
                          env.settings);
  purger.start();
  CHECK(purger.running());
  purger.start();  // already running: no second thread
  purger.stop();   // a sleeping thread would keep this call for a day
  CHECK_FALSE(purger.running());
  purger.stop();  // twice is harmless
  // A pass on the caller's thread after stop() still runs to its end (it once stopped after one
  // batch, since the stop flag stayed set).
  const auto now = env.clock.now();
  for (int i = 0; i < 25; ++i) {
    const std::string key = sessions::generate_session_key(env.settings.random);
    REQUIRE(env.store.create(key, "{}", now + 1s));
    env.store.index_session("42", key, sessions::SessionDetails{now, now, now + 1s, {}, {}},
                            sessions::UserSessionLimit{});
  }
  env.clock.advance(2s);
  CHECK(purger.run_once() == 25);
  CHECK(env.store.user_index_size() == 0);
  CHECK(test_support::configuration_error([&] {
          sessions::Purger p(env.store, sessions::PurgerOptions{.interval = std::chrono::seconds(1), .batch_size = 0});
        }) == "PurgerOptions::batch_size must be at least 1");
}
