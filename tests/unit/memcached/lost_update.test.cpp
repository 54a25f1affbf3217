// The shared lost-update suite (support/lost_update_suite.inc) against MemcachedStore: GETS, then
// CAS.

#include "memcached_support.hpp"

#define CAS_STORES sessions::MemcachedStore

#include "support/lost_update_suite.inc"

TEST_CASE("MemcachedStore::update_if: written, conflict, missing; a concurrent touch is no conflict",
          "[memcached][lost_update]") {
  test_support::StoreFixture<sessions::MemcachedStore> env;
  constexpr std::string_view key = "abcdefghijklmnopqrstuvwxyz012345";
  const auto later = env.clock.now() + std::chrono::hours{1};
  REQUIRE(env.store.create(key, "v1", later));
  CHECK(env.store.touch(key, later + std::chrono::hours{1}));  // only the header changes
  CHECK(env.store.update_if(key, "v2", later, "v1") == sessions::CasResult::written);
  CHECK(env.store.load(key)->payload == "v2");
  CHECK(env.store.update_if(key, "v3", later, "v1") == sessions::CasResult::conflict);
  CHECK(env.store.load(key)->payload == "v2");
  CHECK(env.store.update_if("0123456789abcdefghijklmnopqrstuv", "x", later, "v1") == sessions::CasResult::missing);
  CHECK_FALSE(env.store.exists("0123456789abcdefghijklmnopqrstuv"));
  env.store.remove(key);
  CHECK(env.store.update_if(key, "v3", later, "v2") == sessions::CasResult::missing);
  CHECK_FALSE(env.store.exists(key));
}
