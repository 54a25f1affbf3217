// PostgresStore shared by 8 threads over a pool of 4 connections (the checks are SqliteStore's,
// tests/unit/sqlite/sql_concurrency.hpp).

#include "postgres_support.hpp"
#include "support/catch.hpp"
#include "unit/sqlite/sql_concurrency.hpp"

using Fixture = test_support::StoreFixture<sessions::PostgresStore>;

TEST_CASE("PostgresStore: 8 threads creating, saving and deleting sessions lose nothing", "[postgres][concurrency]") {
  Fixture f;
  sql_concurrency::many_sessions(f.store, f.settings);
}

TEST_CASE("PostgresStore: 8 threads creating the same key: exactly one wins", "[postgres][concurrency]") {
  Fixture f;
  sql_concurrency::same_key_create(f.store, f.clock);
}

TEST_CASE("PostgresStore: a removed session is never brought back by racing updates", "[postgres][concurrency]") {
  Fixture f;
  sql_concurrency::remove_beats_update(f.store, f.clock);
}

TEST_CASE("PostgresStore: a pool of one connection serves 8 threads", "[postgres][concurrency]") {
  Fixture f;
  sessions::PostgresStore::Options options = f.options();
  options.pool_size = 1;
  options.create_table = false;
  sessions::PostgresStore small(options);
  sql_concurrency::many_sessions(small, f.settings, /*iterations=*/10);
}
