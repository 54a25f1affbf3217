// HashedKeys over SqliteStore: Django's django_session table holds only the 40-character hashes of
// the session keys (they fit its varchar(40) column); the cookies still open their sessions.

#include <sessions/storage/hashed_keys.hpp>

#include <set>
#include <string>
#include <vector>

#include "sqlite_support.hpp"
#include "support/catch.hpp"
#include "support/numbered_sessions.hpp"

TEST_CASE("HashedKeys<SqliteStore>: the table holds hashed keys only", "[sqlite][hashed_keys]") {
  test_support::TempDir dir;
  const auto path = dir.path / "sessions.db";
  sessions::SqliteStore::Options o;
  o.path = path;
  sessions::SqliteStore sqlite(o);
  sessions::HashedKeys<sessions::SqliteStore> store(sqlite);
  sessions::Settings settings;
  sessions::Middleware<sessions::Session<sessions::HashedKeys<sessions::SqliteStore>>> middleware(store, settings);

  const std::vector<std::string> keys = test_support::save_numbered_sessions(middleware, 5);
  sqlite_test::Raw raw(path);
  std::set<std::string> stored;
  for (const auto& row : raw.rows("SELECT session_key FROM django_session")) stored.insert(row[0]);
  REQUIRE(stored.size() == keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    INFO(keys[i]);
    CHECK(stored.count(keys[i]) == 0);
    CHECK(stored.count(store.stored_key(keys[i])) == 1);
    CHECK(store.stored_key(keys[i]).size() == 40);
    auto again = middleware.open("sessionid=" + keys[i]);
    CHECK(again.get("n", -1) == static_cast<int>(i));
  }
}
