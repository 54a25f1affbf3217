// Corrupted session_data in SQLite rows (bits flipped with a plain UPDATE behind the store's back):
// each reads as an empty session with a "Session data corrupted" line on the security logger,
// never an exception; the next save writes a fresh record under the same key
// (support/corrupted_records.hpp). faults.test.cpp covers a corrupted database file (StorageError).

#include <string>

#include "sqlite_support.hpp"
#include "support/catch.hpp"
#include "support/corrupted_records.hpp"

TEST_CASE("SqliteStore: flipped bits in session_data give an empty session and a security log line",
          "[sqlite][faults]") {
  test_support::TempDir dir;
  const auto path = dir.path / "sessions.db";
  sessions::SqliteStore::Options o;
  o.path = path;
  sessions::SqliteStore store(o);
  sqlite_test::Raw raw(path);
  const auto counts = fault_test::flip_stored_bytes<sessions::SqliteStore>(
      store,
      [&](const std::string& key) {
        return raw.rows("SELECT session_data FROM django_session WHERE session_key = ?", {key}).at(0).at(0);
      },
      [&](const std::string& key, const std::string& bytes) {
        (void)raw.rows("UPDATE django_session SET session_data = ? WHERE session_key = ?", {bytes, key});
      });
  fault_test::check_every_flip_detected(counts);
}
