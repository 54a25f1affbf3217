// Lost-update protection at the session layer: which stores have update_if(), what a store without
// it does with the setting, and merge's bounds. The shared suite (support/lost_update_suite.inc)
// runs from each store's folder (tests/unit/memory, tests/unit/file_store, ...).

#include "support/catch.hpp"
#include "support/fixtures.hpp"

TEST_CASE("lost update: every store of the core library has update_if", "[lost_update]") {
  STATIC_REQUIRE(sessions::CasStorage<sessions::MemoryStore>);
  STATIC_REQUIRE(sessions::CasStorage<sessions::MemoryValueStore>);
  STATIC_REQUIRE(sessions::CasStorage<sessions::FileStore>);
  STATIC_REQUIRE_FALSE(sessions::CasStorage<example::MapStore>);
}

TEST_CASE("lost update: asking for it over a store without update_if is a ConfigurationError at construction",
          "[lost_update]") {
  const auto mode = GENERATE(sessions::LostUpdate::fail, sessions::LostUpdate::merge);
  SECTION("a user-written store") {
    test_support::StoreFixture<example::MapStore> env;
    env.settings.lost_update = mode;
    using SessionT = sessions::Session<example::MapStore>;
    CHECK_THROWS_WITH(SessionT(env.store, env.settings), Catch::Contains("update_if"));
    CHECK_THROWS_AS(SessionT(env.store, "abcdefgh12345678", env.settings), sessions::ConfigurationError);
    CHECK_THROWS_AS(sessions::Middleware<SessionT>(env.store, env.settings), sessions::ConfigurationError);
    env.settings.lost_update = sessions::LostUpdate::last_write_wins;
    CHECK_NOTHROW(SessionT(env.store, env.settings));
  }
  SECTION("a cookie store") {
    test_support::StoreFixture<sessions::SignedCookieStore> env;
    env.settings.lost_update = mode;
    using SessionT = sessions::Session<sessions::SignedCookieStore>;
    CHECK_THROWS_WITH(SessionT(env.store, env.settings), Catch::Contains("cookie store"));
    CHECK_THROWS_AS(sessions::Middleware<SessionT>(env.store, env.settings), sessions::ConfigurationError);
  }
}

TEST_CASE("lost update: merge_attempts below 1 is a ConfigurationError", "[lost_update]") {
  test_support::StoreFixture<sessions::MemoryStore> env;
  env.settings.lost_update = sessions::LostUpdate::merge;
  env.settings.merge_attempts = 0;
  CHECK_THROWS_AS(sessions::Session<sessions::MemoryStore>(env.store, env.settings), sessions::ConfigurationError);
}

TEST_CASE("lost update, merge: a record changed on every attempt ends in ConflictError after merge_attempts",
          "[lost_update]") {
  // A store whose record changes between every load and every compare-and-set: another request
  // always wins the race.
  struct Busy {
    using payload_type = std::string;
    explicit Busy(sessions::Clock clock) : inner(clock) {}
    sessions::MemoryStore inner;
    int cas_calls = 0;
    std::optional<sessions::Record<std::string>> load(std::string_view key) { return inner.load(key); }
    bool create(std::string_view k, const std::string& p, sessions::TimePoint t) { return inner.create(k, p, t); }
    bool update(std::string_view k, const std::string& p, sessions::TimePoint t) { return inner.update(k, p, t); }
    bool touch(std::string_view k, sessions::TimePoint t) { return inner.touch(k, t); }
    void remove(std::string_view k) { inner.remove(k); }
    bool exists(std::string_view k) { return inner.exists(k); }
    std::size_t clear_expired() { return inner.clear_expired(); }
    sessions::CasResult update_if(std::string_view k, const std::string& p, sessions::TimePoint t,
                                  const std::string& expected) {
      ++cas_calls;
      auto current = inner.load(k);
      REQUIRE(current);
      // Someone else writes first, every time (to a key of its own: a merge would be possible).
      auto theirs = sessions::Data::parse(current->payload);
      theirs["other"] = cas_calls;
      REQUIRE(inner.update(k, theirs.dump(), current->expires_at));
      return inner.update_if(k, p, t, expected);
    }
  };
  test_support::FixtureBase base;
  Busy store{sessions::Clock(base.clock)};
  base.settings.lost_update = sessions::LostUpdate::merge;
  base.settings.merge_attempts = 3;
  sessions::Session<Busy> s(store, base.settings);
  s.set("mine", 1);
  s.save();
  s.set("mine", 2);
  CHECK_THROWS_AS(s.save(), sessions::ConflictError);
  CHECK(store.cas_calls == 1 + 3);  // the first compare-and-set, then one per merge attempt
  CHECK(sessions::Data::parse(store.inner.load(*s.session_key())->payload).value("mine", 0) == 1);  // not 2
}
