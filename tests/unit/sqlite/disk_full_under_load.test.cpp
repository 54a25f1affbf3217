// SqliteStore on a file system that fills up WHILE request threads run full session cycles through
// the middleware (support/disk_full.hpp): a real tmpfs of 2 MiB (faults.test.cpp covers single
// operations with RLIMIT_FSIZE). Every failed request fails with a typed StorageError, the sessions
// written before are intact, the database passes integrity_check and every row decodes (no half
// written record: a failed transaction is rolled back), and requests succeed again once space is
// freed.

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "sqlite_support.hpp"
#include "support/catch.hpp"
#include "support/disk_full.hpp"

using namespace std::chrono_literals;
using sessions::SqliteStore;

TEST_CASE("SqliteStore disk full under load: typed errors, nothing half written, recovery", "[sqlite][faults]") {
  // 16 MiB: a WAL grows to ~4 MiB before its checkpoint, so a smaller disk can be filled by the
  // load alone before the filler runs, which would leave nothing to free.
  fault_test::SmallTmpfs disk(16 * 1024 * 1024);
  test_support::LogCapture log;
  sessions::Settings settings;
  settings.logger = log.logger();
  const auto path = disk.path() / "sessions.db";
  SqliteStore::Options o;
  o.path = path;
  o.logger = log.logger();
  o.busy_timeout = 2000ms;
  SqliteStore store(o);
  const fault_test::WrittenSessions<SqliteStore> before(store, settings, 20);

  // New sessions on every request: updates rewrite pages SQLite has already allocated (in the
  // database and in its WAL, which is reused after a checkpoint), so they need no new space.
  (void)fault_test::fill_disk_under_load(store, settings, disk, /*fresh_sessions=*/true);
  CHECK(before.intact(store, settings) == 20);

  sqlite_test::Raw raw(path);
  CHECK(raw.rows("PRAGMA integrity_check")[0][0] == "ok");
  int rows = 0;
  for (const auto& row : raw.rows("SELECT session_key FROM django_session")) {
    INFO(row[0]);
    sessions::Session<SqliteStore> s(store, row[0], settings);
    CHECK_FALSE(s.data().empty());
    ++rows;
  }
  CHECK(rows >= 20);
  CHECK_FALSE(log.contains("corrupted"));
}
