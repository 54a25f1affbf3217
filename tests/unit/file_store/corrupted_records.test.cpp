// Corrupted session files (bits flipped behind the store's back, the file's mtime kept so the
// record stays live): each reads as an empty session with a "Session data corrupted" line on the
// security logger, never an exception; the next save writes a fresh record under the same key
// (support/corrupted_records.hpp). hostile.test.cpp covers the store level (the bytes are handed
// over as they are); this is the whole request path.

#include <string>

#include "file_store_support.hpp"
#include "support/catch.hpp"
#include "support/corrupted_records.hpp"

TEST_CASE("FileStore: flipped bits in session files give an empty session and a security log line",
          "[file_store][hostile]") {
  test_support::TempDir dir;
  sessions::Settings settings;
  settings.file_path = dir.path;
  sessions::FileStore store(sessions::FileStore::options_from_settings(settings));
  const auto path = [&](const std::string& key) { return dir.path / ("sessionid" + key); };
  const auto counts = fault_test::flip_stored_bytes<sessions::FileStore>(
      store, [&](const std::string& key) { return file_store_test::slurp(path(key)); },
      [&](const std::string& key, const std::string& bytes) {
        const auto mtime = file_store_test::mtime(path(key));
        file_store_test::spit(path(key), bytes);
        file_store_test::set_mtime(path(key), mtime);
      });
  fault_test::check_every_flip_detected(counts);
}
