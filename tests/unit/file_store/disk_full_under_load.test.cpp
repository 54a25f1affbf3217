// FileStore on a file system that fills up WHILE request threads run full session cycles through
// the middleware (support/disk_full.hpp): a real tmpfs of 2 MiB (disk_full.test.cpp covers
// single operations with RLIMIT_FSIZE). Every failed request fails with a typed StorageError, the
// sessions written before are intact, no file is half written (every session file decodes, no
// temporary file is left), and requests succeed again once space is freed.

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "support/catch.hpp"
#include "support/fixtures.hpp"
#include "support/disk_full.hpp"

using namespace std::chrono_literals;
using sessions::FileStore;

TEST_CASE("FileStore disk full under load: typed errors, nothing half written, recovery", "[file_store][disk_full]") {
  fault_test::SmallTmpfs disk(2 * 1024 * 1024);
  test_support::LogCapture log;
  sessions::Settings settings;
  settings.file_path = disk.path() / "sessions";
  settings.logger = log.logger();
  std::filesystem::create_directory(settings.file_path);
  FileStore store(FileStore::options_from_settings(settings));
  const fault_test::WrittenSessions<FileStore> before(store, settings, 20);

  const auto run = fault_test::fill_disk_under_load(store, settings, disk);
  CHECK(run.sample_storage_error.find("No space left on device") != std::string::npos);
  CHECK(before.intact(store, settings) == 20);

  // Nothing half written: every entry is a whole session file that decodes.
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(settings.file_path)) {
    const std::string name = entry.path().filename().string();
    if (name == "sessionid.lock") continue;
    INFO(name);
    REQUIRE(name.rfind("sessionid", 0) == 0);
    const std::string key = name.substr(9);
    CHECK(sessions::is_valid_session_key(key));  // no temporary file left behind
    sessions::Session<FileStore> s(store, key, settings);
    CHECK_FALSE(s.data().empty());
    ++files;
  }
  CHECK(files >= 20);
  CHECK_FALSE(log.contains("corrupted"));
}
