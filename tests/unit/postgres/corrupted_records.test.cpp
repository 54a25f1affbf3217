// Corrupted PostgreSQL rows (bits flipped in session_data with a plain UPDATE behind the store's
// back): each reads as an empty session with a "Session data corrupted" line on the security
// logger, never an exception; the next save writes a fresh record under the same key
// (support/corrupted_records.hpp). The column is text in the server's encoding (UTF-8), which
// refuses a byte with the high bit set on its own, so the masks keep every byte ASCII.

#include <string>

#include "postgres_support.hpp"
#include "support/catch.hpp"
#include "support/corrupted_records.hpp"

TEST_CASE("PostgresStore: flipped bits in session_data give an empty session and a security log line",
          "[postgres][faults]") {
  test_support::StoreFixture<sessions::PostgresStore> f;
  postgres_test::Raw raw(f.url);
  const std::string table = "\"" + f.table + "\"";
  const auto counts = fault_test::flip_stored_bytes<sessions::PostgresStore>(
      f.store,
      [&](const std::string& key) {
        return raw.one("SELECT session_data FROM " + table + " WHERE session_key = $1", {key});
      },
      [&](const std::string& key, const std::string& bytes) {
        raw.exec("UPDATE " + table + " SET session_data = $1 WHERE session_key = $2", {bytes, key});
      },
      /*first_byte=*/0, /*max_positions=*/120, /*masks=*/{0x01, 0x02, 0x40});
  fault_test::check_every_flip_detected(counts);
}
