// SqliteStore on a file system that fills up WHILE request threads run full session cycles through
// the middleware (support/request_load.hpp): a real tmpfs of 2 MiB (faults.test.cpp covers single
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
#include "support/request_load.hpp"

using namespace std::chrono_literals;
using fault_test::Steady;
using sessions::SqliteStore;

TEST_CASE("SqliteStore disk full under load: typed errors, nothing half written, recovery", "[sqlite][faults]") {
  fault_test::SmallTmpfs disk(2 * 1024 * 1024);
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

  fault_test::RequestLoad<SqliteStore> load(store, settings, 4, /*blob_bytes=*/16 * 1024);
  std::this_thread::sleep_for(300ms);
  const auto ok_before_full = load.counts().ok;
  const std::size_t filled = disk.fill("filler");
  std::this_thread::sleep_for(800ms);
  const auto during = load.counts();
  std::filesystem::remove(disk.path() / "filler");
  const auto freed = Steady::now();
  CHECK(load.wait_for_success_since(freed, 5000ms));
  load.stop();

  const auto counts = load.counts();
  INFO("filler " << filled << " bytes; ok " << counts.ok << " (" << ok_before_full << " before the disk filled), "
                 << "StorageError " << counts.storage_errors << " (" << during.storage_errors
                 << " while full), interrupted " << counts.interrupted << ", other " << counts.other
                 << "; sample: " << load.sample_storage_error());
  for (const auto& m : load.other_messages()) UNSCOPED_INFO("untyped failure: " << m);
  CHECK(filled > 0);
  CHECK(counts.other == 0);
  CHECK(counts.interrupted == 0);
  CHECK(ok_before_full > 0);
  CHECK(during.storage_errors > 0);
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
