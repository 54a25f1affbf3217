// FileStore: a key that is not [a-z0-9]{8,40} never becomes a path. path_for() throws
// InvalidSessionKey; every other operation treats it as absent and touches nothing, inside the
// store's directory or outside it (Django's test_invalid_key_backslash / _forwardslash).

#include <string>
#include <string_view>
#include <vector>

#include "file_store_support.hpp"
#include "sessions/errors.hpp"
#include "sessions/storage/file.hpp"
#include "support/catch.hpp"

using namespace file_store_test;
using sessions::FileStore;

namespace {

// A sandbox with the store's directory inside and bait around it: a file the traversal keys name
// and a would-be session file one level up.
struct Sandbox {
  TempDir root;
  sessions::ManualClock clock;
  LogCapture log;
  fs::path store_dir = root / "store";

  Sandbox() {
    fs::create_directories(store_dir);
    fs::create_directories(root / "etc");
    spit(root / "etc" / "passwd", "root:x:0:0");
    spit(root / "sessionidabcdefgh", "bait");
  }
  [[nodiscard]] FileStore store() const {
    return FileStore({.directory = store_dir, .clock = sessions::Clock(clock), .logger = sessions::Logger::silent()});
  }
};

// Every operation with `key`: rejected, and nothing on disk changes.
void check_rejected(std::string_view key) {
  Sandbox box;
  const FileStore store = box.store();
  const auto before = snapshot(box.root.path());

  REQUIRE_THROWS_AS(store.path_for(key), sessions::InvalidSessionKey);
  CHECK(!store.load(key).has_value());
  CHECK(!store.exists(key));
  CHECK(!store.create(key, "payload", box.clock.now() + 1h));
  CHECK(!store.update(key, "payload", box.clock.now() + 1h));
  CHECK(!store.touch(key, box.clock.now() + 1h));
  store.remove(key);
  CHECK(store.clear_expired() == 0u);

  CHECK(snapshot(box.root.path()) == before);
  CHECK(list_dir(box.store_dir).empty());
  CHECK(slurp(box.root / "etc" / "passwd") == "root:x:0:0");
}

}  // namespace

TEST_CASE("FileStore rejects a key with forward slashes (Django test_invalid_key_forwardslash)", "[file_store][keys]") {
  check_rejected("a/b/c");
  check_rejected("/abs");
  check_rejected("/etc/passwd");
  check_rejected("abcdefgh/");
  check_rejected("../../abcdefgh");
}

TEST_CASE("FileStore rejects a key with backslashes (Django test_invalid_key_backslash)", "[file_store][keys]") {
  check_rejected("a\\b\\c");
  check_rejected("..\\..\\abcdefgh");
}

TEST_CASE("FileStore rejects path traversal keys", "[file_store][keys]") {
  check_rejected("../etc/passwd");
  check_rejected("..");
  check_rejected(".");
  check_rejected("../sessionidabcdefgh");
  check_rejected("........");
  check_rejected("abcd..efgh");
}

TEST_CASE("FileStore rejects a key with an embedded NUL", "[file_store][keys]") {
  check_rejected(std::string_view("abcdefgh\0/../../x", 17));
  check_rejected(std::string_view("abcdefghijkl\0", 13));
  check_rejected(std::string_view("\0abcdefghijkl", 13));
}

TEST_CASE("FileStore rejects keys of the wrong length or alphabet", "[file_store][keys]") {
  check_rejected("");
  check_rejected("abcdefg");                 // 7 characters
  check_rejected(std::string(41, 'a'));      // over Django's 40
  check_rejected(std::string(10'000, 'a'));  // would exceed NAME_MAX
  check_rejected("ABCDEFGHIJKLMNOP");        // upper case
  check_rejected("abcdefghijklmnoP");
  check_rejected("abcdefgh_out_abcdef");  // a temporary file's name
  check_rejected("abcdefgh ijkl");
  check_rejected("abcdefgh\nijkl");
  check_rejected("abcdefgh-ijkl");
  check_rejected("abcdéfghijkl");
}

TEST_CASE("FileStore accepts keys of 8 to 40 characters of [a-z0-9]", "[file_store][keys]") {
  Fixture f;
  const FileStore store = f.store();
  for (const std::string& key : {std::string("abcdefgh"), std::string(40, 'z'), std::string("0123456789")}) {
    CHECK(store.path_for(key) == f.dir / ("sessionid" + key));
    REQUIRE(store.create(key, "v", f.now() + 1h));
    CHECK(store.exists(key));
  }
  CHECK(f.listing().size() == 3u);
}

TEST_CASE("FileStore's InvalidSessionKey is a SuspiciousOperation and does not echo the key", "[file_store][keys]") {
  Fixture f;
  const FileStore store = f.store();
  const std::string key = "../../secretsecretsecret";
  REQUIRE_THROWS_AS(store.path_for(key), sessions::SuspiciousOperation);
  try {
    (void)store.path_for(key);
  } catch (const sessions::InvalidSessionKey& e) {
    const std::string what = e.what();
    CHECK(what.find("secret") == std::string::npos);
    CHECK(what.find("..") == std::string::npos);
  }
}
