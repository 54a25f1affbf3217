// FileStore: the concept, the layout on disk (Django's file names, the exact payload bytes, the
// mtime as expiry), construction from Settings, and configuration errors.

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <type_traits>

#include "file_store_support.hpp"
#include "sessions/concepts.hpp"
#include "sessions/errors.hpp"
#include "sessions/settings.hpp"
#include "sessions/storage/file.hpp"
#include "support/catch.hpp"

using namespace file_store_test;
using sessions::FileStore;

static_assert(sessions::ByteStorage<FileStore>);
static_assert(sessions::ServerStorage<FileStore>);
static_assert(std::is_same_v<FileStore::payload_type, std::string>);
static_assert(std::is_copy_constructible_v<FileStore> && std::is_nothrow_move_constructible_v<FileStore>);

TEST_CASE("FileStore names each file <cookie_name><key> and stores exactly the payload", "[file_store][layout]") {
  Fixture f;
  FileStore store = f.store();
  const std::string payload = "{\"a\":1}";
  REQUIRE(store.create(kKey, payload, f.now() + 60s));

  CHECK(f.listing() == std::vector<std::string>{"sessionid" + std::string(kKey)});
  CHECK(slurp(f.file(kKey)) == payload);  // no trailing newline
  CHECK(store.path_for(kKey) == f.dir.path() / ("sessionid" + std::string(kKey)));

  struct stat st {};
  REQUIRE(::lstat(f.file(kKey).c_str(), &st) == 0);
  CHECK(S_ISREG(st.st_mode));
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("FileStore keeps the expiry instant as the file's mtime, to the nanosecond", "[file_store][layout]") {
  Fixture f;
  FileStore store = f.store();
  const sessions::TimePoint expires = f.now() + 90s + 123'456'789ns;
  REQUIRE(store.create(kKey, "x", expires));
  CHECK(mtime(f.file(kKey)) == expires);

  const auto record = store.load(kKey);
  REQUIRE(record.has_value());
  CHECK(record->payload == "x");
  CHECK(record->expires_at == expires);
}

TEST_CASE("FileStore stores binary payloads byte for byte", "[file_store][layout]") {
  Fixture f;
  FileStore store = f.store();
  std::string payload;
  for (int i = 0; i < 256; ++i) payload.push_back(static_cast<char>(i));
  payload += std::string("\0\0\n\r\n", 5);
  REQUIRE(store.create(kKey, payload, f.now() + 60s));
  CHECK(slurp(f.file(kKey)) == payload);
  const auto record = store.load(kKey);
  REQUIRE(record.has_value());
  CHECK(record->payload == payload);

  SECTION("an empty payload is an empty file") {
    REQUIRE(store.create(kKey2, "", f.now() + 60s));
    CHECK(std::filesystem::file_size(f.file(kKey2)) == 0u);
    const auto empty = store.load(kKey2);
    REQUIRE(empty.has_value());
    CHECK(empty->payload.empty());
  }
}

TEST_CASE("FileStore takes directory, cookie name, clock and logger from Settings", "[file_store][layout]") {
  TempDir dir;
  sessions::ManualClock clock;
  LogCapture log;
  // The Settings are a temporary: the store copies what it needs.
  const FileStore store([&] {
    sessions::Settings s;
    s.file_path = dir.path();
    s.cookie_name = "sid";
    s.clock = sessions::Clock(clock);
    s.logger = log.logger();
    return s;
  }());
  CHECK(store.directory() == dir.path());
  CHECK(store.prefix() == "sid");

  REQUIRE(store.create(kKey, "v", clock.now() + 10s));
  CHECK(list_dir(dir.path()) == std::vector<std::string>{"sid" + std::string(kKey)});
  CHECK(store.exists(kKey));
  clock.advance(10s);  // the store reads the settings' clock
  CHECK(!store.exists(kKey));
}

TEST_CASE("FileStore defaults to the system temporary directory", "[file_store][layout]") {
  const FileStore store;
  CHECK(store.directory().is_absolute());
  CHECK(std::filesystem::equivalent(store.directory(), std::filesystem::temp_directory_path()));
  CHECK(store.prefix() == "sessionid");
  CHECK(store.path_for(kKey) == store.directory() / ("sessionid" + std::string(kKey)));
}

TEST_CASE("FileStore normalises the directory it is given", "[file_store][layout]") {
  TempDir dir;
  const FileStore store(dir.path().string() + "/./", "sessionid");
  CHECK(store.directory() == dir.path());
  CHECK(store.path_for(kKey).string() == dir.path().string() + "/sessionid" + std::string(kKey));
}

TEST_CASE("FileStore refuses a missing directory (Django test_configuration_check: ImproperlyConfigured)", "[file_store][config]") {
  TempDir dir;
  REQUIRE_THROWS_AS(FileStore(dir / "missing", "sessionid"), sessions::ConfigurationError);
  REQUIRE_THROWS_AS(FileStore(dir / "missing" / "deeper", "sessionid"), sessions::ConfigurationError);

  sessions::Settings settings;
  settings.file_path = dir / "missing";
  REQUIRE_THROWS_AS(FileStore(settings), sessions::ConfigurationError);

  SECTION("a regular file is not a directory") {
    spit(dir / "plain", "x");
    REQUIRE_THROWS_AS(FileStore(dir / "plain", "sessionid"), sessions::ConfigurationError);
    REQUIRE_THROWS_AS(FileStore(dir / "plain" / "sub", "sessionid"), sessions::ConfigurationError);
  }
  SECTION("a symlink to a directory is fine") {
    std::filesystem::create_directory(dir / "real");
    std::filesystem::create_directory_symlink(dir / "real", dir / "link");
    const FileStore store(dir / "link", "sessionid");
    CHECK(store.directory() == dir / "link");
  }
  SECTION("the error is a sessions::Error") {
    REQUIRE_THROWS_AS(FileStore(dir / "missing", "sessionid"), sessions::Error);
  }
}

TEST_CASE("FileStore refuses a cookie name that cannot prefix a file name", "[file_store][config]") {
  TempDir dir;
  REQUIRE_THROWS_AS(FileStore(dir.path(), ""), sessions::ConfigurationError);
  REQUIRE_THROWS_AS(FileStore(dir.path(), "a/b"), sessions::ConfigurationError);
  REQUIRE_THROWS_AS(FileStore(dir.path(), "/"), sessions::ConfigurationError);
  REQUIRE_THROWS_AS(FileStore(dir.path(), "../"), sessions::ConfigurationError);
  REQUIRE_THROWS_AS(FileStore(dir.path(), std::string("sid\0x", 5)), sessions::ConfigurationError);
  REQUIRE_THROWS_AS(FileStore(dir.path(), "."), sessions::ConfigurationError);
  REQUIRE_THROWS_AS(FileStore(dir.path(), ".."), sessions::ConfigurationError);
  REQUIRE_THROWS_AS(FileStore(dir.path(), "..."), sessions::ConfigurationError);
  REQUIRE_THROWS_AS(FileStore(dir.path(), std::string(220, 's')), sessions::ConfigurationError);

  sessions::Settings settings;
  settings.file_path = dir.path();
  settings.cookie_name = "x/y";
  REQUIRE_THROWS_AS(FileStore(settings), sessions::ConfigurationError);

  // Names Django accepts still work, dots and underscores included.
  CHECK(FileStore(dir.path(), "my_session.id").prefix() == "my_session.id");
  CHECK(FileStore(dir.path(), std::string(200, 's')).prefix().size() == 200u);
}

TEST_CASE("FileStore works with a cookie name containing '_'", "[file_store][layout]") {
  Fixture f;
  sessions::FileStore::Options options;
  options.stale_temp_age = 0s;
  const FileStore store(f.dir.path(), "my_sid", sessions::Clock(f.clock), options, f.log.logger());
  REQUIRE(store.create(kKey, "a", f.now() + 10s));
  REQUIRE(store.create(kKey2, "b", f.now() + 20s));
  CHECK(list_dir(f.dir.path()) ==
        std::vector<std::string>{"my_sid" + std::string(kKey2), "my_sid" + std::string(kKey)});
  f.clock.advance(15s);
  CHECK(store.clear_expired() == 1u);
  // The removal took the store's lock file, named after the cookie, and left everything else.
  CHECK(list_dir(f.dir.path()) == std::vector<std::string>{"my_sid.lock", "my_sid" + std::string(kKey2)});
  REQUIRE(store.load(kKey2).has_value());
}
