// The shared lost-update suite (support/lost_update_suite.inc) against PostgresStore: content
// compare-and-set on Django's table, no schema change.

#include "postgres_support.hpp"

#define CAS_STORES sessions::PostgresStore

#include "support/lost_update_suite.inc"

TEST_CASE("PostgresStore::update_if: written, conflict, missing, one round trip when written",
          "[postgres][lost_update]") {
  test_support::StoreFixture<sessions::PostgresStore> env;
  auto& store = env.store;
  const auto later = env.clock.now() + std::chrono::hours{1};
  REQUIRE(store.create(postgres_test::kKey, "v1", later));
  (void)store.update_if(postgres_test::kKey, "v1", later, "v1");  // prepares the statement
  const auto before = store.round_trips();
  CHECK(store.update_if(postgres_test::kKey, "v2", later, "v1") == sessions::CasResult::written);
  CHECK(store.round_trips() - before == 1);
  CHECK(store.update_if(postgres_test::kKey, "v3", later, "v1") == sessions::CasResult::conflict);
  CHECK(store.load(postgres_test::kKey)->payload == "v2");
  // The row already holding the new payload (a retry after a broken connection) counts as written.
  CHECK(store.update_if(postgres_test::kKey, "v2", later, "v0") == sessions::CasResult::written);
  CHECK(store.update_if(postgres_test::kKey2, "v2", later, "v1") == sessions::CasResult::missing);
  CHECK_FALSE(store.exists(postgres_test::kKey2));
  postgres_test::Raw raw(env.url);
  CHECK(raw.one("SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns "
                "WHERE table_name = $1",
                {env.table}) == "session_key,session_data,expire_date");
}
