// FileStore: a write that cannot complete (disk full, EIO) throws StorageError naming the operation
// and the errno, leaves the previous session file intact and no temporary file behind. The
// failure is made real with RLIMIT_FSIZE in a forked child (SIGXFSZ ignored, so write() fails
// with EFBIG after a short write), which keeps the limit away from the test runner itself.

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <stdexcept>
#include <string>
#include <vector>

#include "file_store_support.hpp"
#include "sessions/errors.hpp"
#include "sessions/storage/file.hpp"
#include "support/catch.hpp"

using namespace file_store_test;
using sessions::FileStore;

namespace {

enum ChildResult : int {
  kThrewStorageError = 0,
  kReturned = 1,
  kThrewOther = 2,
  kBadMessage = 3,
  kSetupFailed = 4,
};

// Runs `operation` in a child whose files may not grow beyond `limit` bytes; returns its result.
template <class Operation>
int with_file_size_limit(rlim_t limit, Operation operation) {
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    int code = kSetupFailed;
    const rlimit rl{limit, limit};
    if (std::signal(SIGXFSZ, SIG_IGN) != SIG_ERR && ::setrlimit(RLIMIT_FSIZE, &rl) == 0) {
      try {
        operation();
        code = kReturned;
      } catch (const sessions::StorageError& e) {
        const std::string what = e.what();
        const bool names_errno = what.find("File too large") != std::string::npos;
        const bool leaks_key = what.find(std::string(kKey)) != std::string::npos;
        // The stores' format: `FileStore::op: what: errno text (directory, session abcd...)`.
        const bool formatted = what.starts_with("FileStore::") &&
                               what.ends_with(", session " + std::string(sessions::loggable_key_prefix(kKey)) + "...)");
        code = names_errno && formatted && !leaks_key ? kThrewStorageError : kBadMessage;
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

}  // namespace

TEST_CASE("FileStore update on a full disk throws and keeps the previous file", "[file_store][disk_full]") {
  Fixture f;
  FileStore::Options options;
  // One variant per run (not SECTIONs: a SECTION holding no assertion fails under --warn NoAssertions).
  const std::string variant =
      GENERATE(as<std::string>{}, "with renameat2(RENAME_EXCHANGE)", "with the check-then-rename fallback", "durable");
  CAPTURE(variant);
  if (variant == "with renameat2(RENAME_EXCHANGE)") {
    options.use_rename_exchange = true;
  }
  if (variant == "with the check-then-rename fallback") {
    options.use_rename_exchange = false;
  }
  if (variant == "durable") {
    options.durable = true;
  }
  const FileStore store = f.store(options);
  const std::string previous = "{\"cart\":[1,2,3]}";
  const auto expires = f.now() + 1h;
  REQUIRE(store.create(kKey, previous, expires));

  const std::string big(64 * 1024, 'x');
  CHECK(with_file_size_limit(4096, [&] { (void)store.update(kKey, big, f.now() + 2h); }) == kThrewStorageError);

  CHECK(slurp(f.file(kKey)) == previous);
  CHECK(mtime(f.file(kKey)) == expires);
  CHECK(f.listing() == std::vector<std::string>{name_of(kKey)});  // the temporary file is gone
  const auto record = store.load(kKey);
  REQUIRE(record.has_value());
  CHECK(record->payload == previous);

  // Without the limit the same update goes through.
  REQUIRE(store.update(kKey, big, f.now() + 2h));
  CHECK(slurp(f.file(kKey)) == big);
}

TEST_CASE("FileStore create on a full disk throws and leaves nothing behind", "[file_store][disk_full]") {
  Fixture f;
  const FileStore store = f.store();
  const std::string big(64 * 1024, 'y');

  SECTION("a new key") {
    CHECK(with_file_size_limit(1000, [&] { (void)store.create(kKey, big, f.now() + 1h); }) == kThrewStorageError);
    CHECK(f.listing().empty());
    CHECK(!store.exists(kKey));
  }
  SECTION("over an expired file") {
    REQUIRE(store.create(kKey, "old", f.now() - 1s));
    CHECK(with_file_size_limit(1000, [&] { (void)store.create(kKey, big, f.now() + 1h); }) == kThrewStorageError);
    CHECK(f.listing() == std::vector<std::string>{name_of(kKey)});
    CHECK(slurp(f.file(kKey)) == "old");
  }
  SECTION("a file that fits under the limit is written") {
    CHECK(with_file_size_limit(1000, [&] {
            if (!store.create(kKey, std::string(1000, 'z'), f.now() + 1h)) throw std::runtime_error("refused");
          }) == kReturned);
    CHECK(slurp(f.file(kKey)) == std::string(1000, 'z'));
  }
}
