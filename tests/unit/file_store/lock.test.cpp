// FileStore's directory lock (`<cookie_name>.lock`): taken with a deadline, never skipped. The
// directory may be shared with every local user (the system temp directory by default), so a lock
// held by someone else must end in a typed error after Options::lock_timeout, not stall the store, and
// a lock file that cannot be opened must not let the store go on unlocked.

#include <sys/file.h>
#include <sys/stat.h>

#include "support/catch.hpp"
#include "file_store_support.hpp"
#include "sessions/errors.hpp"

using namespace file_store_test;
using sessions::FileStore;

namespace {

/// Holds an exclusive flock on `path` through its own open file description, as another process
/// would: flock locks belong to the description, so the store's own open() conflicts with it.
class HeldLock {
 public:
  explicit HeldLock(const fs::path& path) : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (fd_ < 0 || ::flock(fd_, LOCK_EX | LOCK_NB) != 0) throw std::runtime_error("cannot hold the lock");
  }
  HeldLock(const HeldLock&) = delete;
  HeldLock& operator=(const HeldLock&) = delete;
  ~HeldLock() { ::close(fd_); }

 private:
  int fd_;
};

FileStore::Options short_deadline() {
  FileStore::Options options;
  options.lock_timeout = std::chrono::milliseconds{20};
  return options;
}

// An expired session file at kKey, which the paths below must replace or remove under the lock.
void plant_expired(Fixture& f) {
  spit(f.file(kKey), "old");
  set_mtime(f.file(kKey), f.now() - 1s);
}

}  // namespace

TEST_CASE("FileStore: a lock held by another process ends in StorageTimeout, not a stall", "[file_store][lock]") {
  Fixture f;
  const FileStore store = f.store(short_deadline());
  plant_expired(f);
  const HeldLock held(f.dir / "sessionid.lock");

  SECTION("create over an expired file") {
    CHECK_THROWS_AS((void)store.create(kKey, "new", f.now() + 1h), sessions::StorageTimeout);
    CHECK(slurp(f.file(kKey)) == "old");
  }
  SECTION("clear_expired") {
    CHECK_THROWS_AS(store.clear_expired(), sessions::StorageTimeout);
    CHECK(fs::exists(f.file(kKey)));
  }
  SECTION("update_if") {
    spit(f.file(kKey2), "current");
    set_mtime(f.file(kKey2), f.now() + 1h);
    CHECK_THROWS_AS((void)store.update_if(kKey2, "next", f.now() + 1h, "current"), sessions::StorageTimeout);
    CHECK(slurp(f.file(kKey2)) == "current");
  }
  SECTION("load of an expired file answers, leaves the file to clear_expired, and says so") {
    CHECK_FALSE(store.load(kKey).has_value());
    CHECK(fs::exists(f.file(kKey)));
    CHECK(f.log.contains("not deleted"));
  }
  SECTION("the error names the store, the operation and the option") {
    try {
      store.clear_expired();
      FAIL("no exception");
    } catch (const sessions::StorageTimeout& e) {
      const std::string what = e.what();
      CHECK(what.starts_with("FileStore::clear_expired: "));
      CHECK(what.find("Options::lock_timeout") != std::string::npos);
      CHECK(what.ends_with(" (" + f.dir.path().string() + ")"));  // no session: the scan has none
    }
  }
  SECTION("an operation on one session names it by its prefix only") {
    spit(f.file(kKey2), "current");
    set_mtime(f.file(kKey2), f.now() + 1h);
    try {
      (void)store.update_if(kKey2, "next", f.now() + 1h, "current");
      FAIL("no exception");
    } catch (const sessions::StorageTimeout& e) {
      const std::string what = e.what();
      CHECK(what.starts_with("FileStore::update_if: the lock file "));
      CHECK(what.ends_with(" (" + f.dir.path().string() + ", session " +
                           std::string(sessions::loggable_key_prefix(kKey2)) + "...)"));
      CHECK(what.find(std::string(kKey2)) == std::string::npos);
    }
  }
}

TEST_CASE("FileStore: a lock file that cannot be opened is a StorageError, never a silent unlocked path",
          "[file_store][lock]") {
  Fixture f;
  const FileStore store = f.store(short_deadline());
  plant_expired(f);
  // Works for root too (which ignores permission bits): a directory cannot be opened O_RDWR, a
  // symlink is never followed.
  // One variant per run (not SECTIONs: a SECTION holding no assertion fails under --warn NoAssertions).
  const std::string variant =
      GENERATE(as<std::string>{}, "a directory at the lock's name", "a symlink at the lock's name");
  CAPTURE(variant);
  if (variant == "a directory at the lock's name") {
    fs::create_directory(f.dir / "sessionid.lock");
  }
  if (variant == "a symlink at the lock's name") {
    fs::create_symlink(f.dir / "elsewhere", f.dir / "sessionid.lock");
  }

  CHECK_THROWS_AS((void)store.create(kKey, "new", f.now() + 1h), sessions::StorageError);
  CHECK(slurp(f.file(kKey)) == "old");
  CHECK_THROWS_AS(store.clear_expired(), sessions::StorageError);
  CHECK(fs::exists(f.file(kKey)));
}

TEST_CASE("FileStore: a free lock is taken and released", "[file_store][lock]") {
  Fixture f;
  const FileStore store = f.store(short_deadline());
  plant_expired(f);
  CHECK(store.create(kKey, "new", f.now() + 1h));
  CHECK(store.update_if(kKey, "newer", f.now() + 1h, "new") == sessions::CasResult::written);
  const HeldLock after(f.dir / "sessionid.lock");  // would throw if the store still held it
}

TEST_CASE("FileStore: directory modes and the timeout are checked at construction", "[file_store][lock]") {
  Fixture f;
  SECTION("world-writable without the sticky bit: refused") {
    fs::permissions(f.dir.path(), fs::perms::all);
    CHECK_THROWS_AS(f.store(), sessions::ConfigurationError);
  }
  SECTION("world-writable with the sticky bit (like /tmp): a warning") {
    fs::permissions(f.dir.path(), fs::perms::all | fs::perms::sticky_bit);
    (void)f.store();
    CHECK(f.log.count(sessions::LogLevel::warning) == 1);
    CHECK(f.log.contains("world-writable"));
  }
  SECTION("a private directory: no warning") {
    (void)f.store();
    CHECK(f.log.count(sessions::LogLevel::warning) == 0);
  }
  SECTION("a timeout that is not positive") {
    FileStore::Options options;
    options.lock_timeout = std::chrono::milliseconds{0};
    CHECK_THROWS_AS(f.store(options), sessions::ConfigurationError);
  }
}
