// SqliteStore shared by 8 threads: sessions created, saved, reloaded and deleted concurrently are
// never lost or overwritten; a key raced by 8 creates is won exactly once; a removed session is
// never brought back by a racing update; a pool smaller than the number of threads only queues.

#include "sqlite_support.hpp"
#include "support/catch.hpp"
#include "sql_concurrency.hpp"

using Fixture = test_support::StoreFixture<sessions::SqliteStore>;

TEST_CASE("SqliteStore: 8 threads creating, saving and deleting sessions lose nothing", "[sqlite][concurrency]") {
  Fixture f;
  sql_concurrency::many_sessions(f.store, f.settings);
  sqlite_test::Raw raw(f.db_path);
  CHECK(raw.one("PRAGMA integrity_check") == "ok");
}

TEST_CASE("SqliteStore: 8 threads creating the same key: exactly one wins", "[sqlite][concurrency]") {
  Fixture f;
  sql_concurrency::same_key_create(f.store, f.clock);
}

TEST_CASE("SqliteStore: a removed session is never brought back by racing updates", "[sqlite][concurrency]") {
  Fixture f;
  sql_concurrency::remove_beats_update(f.store, f.clock);
}

TEST_CASE("SqliteStore: more threads than connections just queue", "[sqlite][concurrency]") {
  Fixture f;
  sessions::SqliteStore::Options options = f.options();
  options.pool_size = 2;
  sessions::SqliteStore small(options);
  sql_concurrency::many_sessions(small, f.settings, /*iterations=*/15);
}
