// The shared lost-update suite (support/lost_update_suite.inc) against SqliteStore: content
// compare-and-set on Django's table, no schema change.

#include "sqlite_support.hpp"

#define CAS_STORES sessions::SqliteStore

#include "support/lost_update_suite.inc"

TEST_CASE("SqliteStore::update_if: written, conflict, missing; the table stays Django's", "[sqlite][lost_update]") {
  test_support::StoreFixture<sessions::SqliteStore> env;
  auto& store = env.store;
  const auto later = env.clock.now() + std::chrono::hours{1};
  REQUIRE(store.create(sqlite_test::kKey, "v1", later));
  CHECK(store.update_if(sqlite_test::kKey, "v2", later, "v0") == sessions::CasResult::conflict);
  CHECK(store.load(sqlite_test::kKey)->payload == "v1");
  CHECK(store.update_if(sqlite_test::kKey, "v2", later + std::chrono::hours{1}, "v1") == sessions::CasResult::written);
  CHECK(store.load(sqlite_test::kKey)->payload == "v2");
  CHECK(store.load(sqlite_test::kKey)->expires_at == later + std::chrono::hours{1});
  CHECK(store.update_if(sqlite_test::kKey2, "v2", later, "v1") == sessions::CasResult::missing);
  CHECK_FALSE(store.exists(sqlite_test::kKey2));  // never created
  env.clock.advance(std::chrono::hours{3});       // expired
  CHECK(store.update_if(sqlite_test::kKey, "v3", env.clock.now() + std::chrono::hours{1}, "v2") ==
        sessions::CasResult::missing);
  sqlite_test::Raw raw(env.db_path);
  CHECK(raw.one("SELECT group_concat(name) FROM pragma_table_info('django_session')") ==
        "session_key,session_data,expire_date");
}
