// SqliteStore when the file fails: cannot be opened (ConfigurationError), disk full, read-only,
// locked beyond busy_timeout, corrupted (StorageError with SQLite's message); existing sessions
// stay intact and the store keeps working once the cause is gone.
//
// The disk-full and read-only cases run in a forked child (RLIMIT_FSIZE; dropped privileges), so
// that neither the limit nor the lost rights touch the test runner. The parent closes every
// connection before forking and the child opens its own store: SQLite connections must never
// cross a fork().

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <string>

#include "sessions/errors.hpp"
#include "sqlite_support.hpp"
#include "support/catch.hpp"

using namespace sqlite_test;
using sessions::SqliteStore;
using sessions::StorageError;

namespace {

enum ChildResult : int {
  kPassed = 0,
  kWrongOutcome = 1,
  kThrewOther = 2,
  kSetupFailed = 3,
};

// Runs `body` (returning true when everything it checked held) in a child after `setup` (returning
// false when the child's environment could not be arranged); returns the child's ChildResult.
template <class Setup, class Body>
int in_child(Setup setup, Body body) {
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    int code = kSetupFailed;
    if (setup()) {
      try {
        code = body() ? kPassed : kWrongOutcome;
      } catch (...) {
        code = kThrewOther;
      }
    }
    ::_exit(code);
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

SqliteStore::Options options_for(const std::filesystem::path& path, sessions::ManualClock& clock) {
  SqliteStore::Options o;
  o.path = path;
  o.clock = sessions::Clock(clock);
  o.logger = sessions::Logger::silent();
  return o;
}

template <class F>
bool throws_storage_error(F f, std::string_view expected_text = {}) {
  try {
    f();
  } catch (const StorageError& e) {
    const std::string what = e.what();
    return expected_text.empty() || what.find(expected_text) != std::string::npos;
  }
  return false;
}

}  // namespace

TEST_CASE("SqliteStore: a file that cannot be used is a ConfigurationError", "[sqlite][faults]") {
  test_support::TempDir dir;
  sessions::ManualClock clock;
  SECTION("missing directory") {
    CHECK_THROWS_AS(SqliteStore(options_for(dir.path / "no" / "such" / "dir.db", clock)), sessions::ConfigurationError);
  }
  SECTION("a directory") { CHECK_THROWS_AS(SqliteStore(options_for(dir.path, clock)), sessions::ConfigurationError); }
  SECTION("not a database") {
    std::ofstream(dir.path / "garbage.db") << std::string(8192, 'x');
    try {
      SqliteStore store(options_for(dir.path / "garbage.db", clock));
      FAIL("opened a file that is not a database");
    } catch (const sessions::ConfigurationError& e) {
      const std::string what = e.what();
      CHECK(what.find("not a database") != std::string::npos);
      CHECK(what.find("garbage.db") != std::string::npos);
    }
  }
}

TEST_CASE("SqliteStore on a full disk throws StorageError and keeps the sessions", "[sqlite][faults]") {
  test_support::TempDir dir;
  sessions::ManualClock clock;
  const auto path = dir.path / "full.db";
  const std::string big(1 << 20, 'b');
  {
    SqliteStore store(options_for(path, clock));
    REQUIRE(store.create(kKey, "kept", clock.now() + 1h));
  }  // closed: the WAL is checkpointed and removed, no connection crosses the fork

  const int result = in_child(
      [] {
        const rlimit rl{96 * 1024, 96 * 1024};  // the file and the -shm fit, a 1 MiB write does not
        return std::signal(SIGXFSZ, SIG_IGN) != SIG_ERR && ::setrlimit(RLIMIT_FSIZE, &rl) == 0;
      },
      [&] {
        SqliteStore store(options_for(path, clock));
        const bool create_failed = throws_storage_error([&] { (void)store.create(kKey2, big, clock.now() + 1h); });
        const bool update_failed = throws_storage_error([&] { (void)store.update(kKey, big, clock.now() + 1h); });
        const auto still = store.load(kKey);  // the store goes on after the failures
        const bool small_ok = store.update(kKey, "small", clock.now() + 1h);
        return create_failed && update_failed && still && still->payload == "kept" && small_ok;
      });
  CHECK(result == kPassed);

  SqliteStore store(options_for(path, clock));
  const auto record = store.load(kKey);
  REQUIRE(record);
  CHECK(record->payload == "small");
  CHECK_FALSE(store.exists(kKey2));
  Raw raw(path);
  CHECK(raw.one("PRAGMA integrity_check") == "ok");
  REQUIRE(store.create(kKey2, big, clock.now() + 1h));  // without the limit it fits
  CHECK(store.load(kKey2)->payload.size() == big.size());
}

TEST_CASE("SqliteStore on a read-only database: reads work, writes throw StorageError", "[sqlite][faults]") {
  test_support::TempDir dir;
  sessions::ManualClock clock;
  const auto path = dir.path / "ro.db";
  {
    SqliteStore::Options o = options_for(path, clock);
    o.wal = false;  // a read-only WAL database needs its -shm file: see the ConfigurationError below
    SqliteStore store(o);
    REQUIRE(store.create(kKey, "kept", clock.now() + 1h));
  }
  REQUIRE(::chmod(dir.path.c_str(), 0755) == 0);
  REQUIRE(::chmod(path.c_str(), 0644) == 0);
  const bool root = ::geteuid() == 0;
  if (!root) {
    REQUIRE(::chmod(path.c_str(), 0444) == 0);
    REQUIRE(::chmod(dir.path.c_str(), 0555) == 0);
  }
  const int result = in_child(
      [root] {
        // As root, become `nobody`: root ignores file modes.
        return !root || (::setgid(65534) == 0 && ::setuid(65534) == 0 && ::geteuid() == 65534);
      },
      [&] {
        SqliteStore::Options o = options_for(path, clock);
        o.wal = false;
        SqliteStore store(o);
        const auto record = store.load(kKey);
        const bool loads = record && record->payload == "kept" && store.exists(kKey);
        const bool create_fails =
            throws_storage_error([&] { (void)store.create(kKey2, "x", clock.now() + 1h); }, "readonly");
        const bool update_fails = throws_storage_error([&] { (void)store.update(kKey, "x", clock.now() + 1h); });
        const bool remove_fails = throws_storage_error([&] { store.remove(kKey); });
        const auto after = store.load(kKey);
        return loads && create_fails && update_fails && remove_fails && after && after->payload == "kept";
      });
  CHECK(result == kPassed);
  (void)::chmod(dir.path.c_str(), 0700);
  (void)::chmod(path.c_str(), 0644);
  SqliteStore store(options_for(path, clock));
  CHECK(store.load(kKey)->payload == "kept");
}

TEST_CASE("SqliteStore: a database locked beyond busy_timeout gives StorageError in time; reads go on",
          "[sqlite][faults]") {
  test_support::TempDir dir;
  sessions::ManualClock clock;
  SqliteStore::Options o = options_for(dir.path / "locked.db", clock);
  o.busy_timeout = 200ms;
  SqliteStore store(o);
  REQUIRE(store.create(kKey, "before", clock.now() + 1h));

  Raw other(o.path);  // another process, as far as SQLite is concerned
  other.exec("BEGIN IMMEDIATE");
  other.exec("UPDATE django_session SET session_data = 'uncommitted'");
  const auto start = std::chrono::steady_clock::now();
  CHECK(throws_storage_error([&] { (void)store.update(kKey, "blocked", clock.now() + 1h); }, "locked"));
  const auto waited = std::chrono::steady_clock::now() - start;
  CHECK(waited >= 150ms);
  CHECK(waited < 3s);
  CHECK(throws_storage_error([&] { (void)store.create(kKey2, "blocked", clock.now() + 1h); }));
  // WAL: readers see the last committed state while a writer holds the lock.
  const auto record = store.load(kKey);
  REQUIRE(record);
  CHECK(record->payload == "before");
  other.exec("ROLLBACK");
  CHECK(store.update(kKey, "after", clock.now() + 1h));
  CHECK(store.load(kKey)->payload == "after");
}

TEST_CASE("SqliteStore on a corrupted database throws StorageError", "[sqlite][faults]") {
  test_support::TempDir dir;
  sessions::ManualClock clock;
  const auto path = dir.path / "corrupt.db";
  {
    SqliteStore store(options_for(path, clock));
    for (int i = 0; i < 50; ++i) {
      REQUIRE(store.create("session" + std::to_string(1000 + i), std::string(200, 'd'), clock.now() + 1h));
    }
  }
  {
    // Keep page 1 (the header and the schema), overwrite the table's and indexes' pages.
    const int fd = ::open(path.c_str(), O_WRONLY);
    REQUIRE(fd >= 0);
    const std::string junk(16 * 4096, '\xa5');
    CHECK(::pwrite(fd, junk.data(), junk.size(), 4096) == static_cast<ssize_t>(junk.size()));
    ::close(fd);
  }
  SqliteStore store(options_for(path, clock));  // the schema is still readable
  try {
    (void)store.load("session1001");
    FAIL("read a corrupted page without an error");
  } catch (const StorageError& e) {
    const std::string what = e.what();
    INFO(what);
    CHECK(what.find("malformed") != std::string::npos);
    // The stores' format: `SqliteStore::op: what (file, session abcd...)`, never the whole key.
    CHECK(what.starts_with("SqliteStore::load: "));
    CHECK(what.ends_with(" (" + path.string() + ", session " +
                         std::string(sessions::loggable_key_prefix("session1001")) + "...)"));
    CHECK(what.find("session1001") == std::string::npos);
  }
  CHECK(throws_storage_error([&] { (void)store.create(kKey, "x", clock.now() + 1h); }));
  CHECK(throws_storage_error([&] { (void)store.clear_expired(); }));
}

TEST_CASE("SqliteStore: a connection that cannot be reopened reads `SqliteStore::op: what (file)`, once",
          "[sqlite][faults]") {
  test_support::TempDir dir;
  sessions::ManualClock clock;
  const auto path = dir.path / "replaced.db";
  SqliteStore::Options options = options_for(path, clock);
  options.wal = false;  // with WAL the pages just written would still be read from the -wal file
  SqliteStore store(options);
  {
    // The database is replaced by something that is not one: the pooled connection fails and is
    // dropped, and every new one fails while opening.
    const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC);
    REQUIRE(fd >= 0);
    const std::string junk(8 * 4096, '\xa5');
    CHECK(::write(fd, junk.data(), junk.size()) == static_cast<ssize_t>(junk.size()));
    ::close(fd);
  }
  int reopen_failures = 0;
  for (int i = 0; i < 3; ++i) {
    try {
      (void)store.load(kKey);
    } catch (const StorageError& e) {
      const std::string what = e.what();
      INFO(what);
      CHECK(what.starts_with("SqliteStore::load: "));
      CHECK(what.find("SqliteStore: ") == std::string::npos);
      CHECK(what.find(path.string()) == what.rfind(path.string()));  // the file named once
      if (what.find("cannot") != std::string::npos) ++reopen_failures;
    }
  }
  CHECK(reopen_failures >= 1);
}
