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

// Options for a store over `dir` with file name prefix `cookie_name`.
static FileStore::Options in(const std::filesystem::path& dir, std::string cookie_name) {
  return {.directory = dir, .cookie_name = std::move(cookie_name)};
}

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
  const FileStore store(FileStore::options_from_settings([&] {
    sessions::Settings s;
    s.file_path = dir.path();
    s.cookie_name = "sid";
    s.clock = sessions::Clock(clock);
    s.logger = log.logger();
    return s;
  }()));
  CHECK(store.directory() == dir.path());
  CHECK(store.options().cookie_name == "sid");

  REQUIRE(store.create(kKey, "v", clock.now() + 10s));
  CHECK(list_dir(dir.path()) == std::vector<std::string>{"sid" + std::string(kKey)});
  CHECK(store.exists(kKey));
  clock.advance(10s);  // the store reads the settings' clock
  CHECK(!store.exists(kKey));
}

TEST_CASE("FileStore takes the system temporary directory when SESSION_FILE_PATH is empty", "[file_store][layout]") {
  const FileStore store(FileStore::options_from_settings(sessions::Settings{}));
  CHECK(store.directory().is_absolute());
  CHECK(std::filesystem::equivalent(store.directory(), std::filesystem::temp_directory_path()));
  CHECK(store.options().cookie_name == "sessionid");
  CHECK(store.path_for(kKey) == store.directory() / ("sessionid" + std::string(kKey)));
}

TEST_CASE("FileStore normalises the directory it is given", "[file_store][layout]") {
  TempDir dir;
  const FileStore store(in(dir.path().string() + "/./", "sessionid"));
  CHECK(store.directory() == dir.path());
  CHECK(store.path_for(kKey).string() == dir.path().string() + "/sessionid" + std::string(kKey));
}

TEST_CASE("FileStore refuses a missing directory (Django test_configuration_check: ImproperlyConfigured)",
          "[file_store][config]") {
  TempDir dir;
  REQUIRE_THROWS_AS(FileStore(in(dir / "missing", "sessionid")), sessions::ConfigurationError);
  REQUIRE_THROWS_AS(FileStore(in(dir / "missing" / "deeper", "sessionid")), sessions::ConfigurationError);

  sessions::Settings settings;
  settings.file_path = dir / "missing";
  REQUIRE_THROWS_AS(FileStore(FileStore::options_from_settings(settings)), sessions::ConfigurationError);

  SECTION("a regular file is not a directory") {
    spit(dir / "plain", "x");
    REQUIRE_THROWS_AS(FileStore(in(dir / "plain", "sessionid")), sessions::ConfigurationError);
    REQUIRE_THROWS_AS(FileStore(in(dir / "plain" / "sub", "sessionid")), sessions::ConfigurationError);
  }
  SECTION("a symlink to a directory is fine") {
    std::filesystem::create_directory(dir / "real");
    std::filesystem::create_directory_symlink(dir / "real", dir / "link");
    const FileStore store(in(dir / "link", "sessionid"));
    CHECK(store.directory() == dir / "link");
  }
  SECTION("the error is a sessions::Error") {
    REQUIRE_THROWS_AS(FileStore(in(dir / "missing", "sessionid")), sessions::Error);
  }
}

TEST_CASE("FileStore refuses a cookie name that cannot prefix a file name", "[file_store][config]") {
  TempDir dir;
  REQUIRE_THROWS_AS(FileStore(in(dir.path(), "")), sessions::ConfigurationError);
  REQUIRE_THROWS_AS(FileStore(in(dir.path(), "a/b")), sessions::ConfigurationError);
  REQUIRE_THROWS_AS(FileStore(in(dir.path(), "/")), sessions::ConfigurationError);
  REQUIRE_THROWS_AS(FileStore(in(dir.path(), "../")), sessions::ConfigurationError);
  REQUIRE_THROWS_AS(FileStore(in(dir.path(), std::string("sid\0x", 5))), sessions::ConfigurationError);
  REQUIRE_THROWS_AS(FileStore(in(dir.path(), ".")), sessions::ConfigurationError);
  REQUIRE_THROWS_AS(FileStore(in(dir.path(), "..")), sessions::ConfigurationError);
  REQUIRE_THROWS_AS(FileStore(in(dir.path(), "...")), sessions::ConfigurationError);
  REQUIRE_THROWS_AS(FileStore(in(dir.path(), std::string(220, 's'))), sessions::ConfigurationError);

  sessions::Settings settings;
  settings.file_path = dir.path();
  settings.cookie_name = "x/y";
  REQUIRE_THROWS_AS(FileStore(FileStore::options_from_settings(settings)), sessions::ConfigurationError);

  // Names Django accepts still work, dots and underscores included.
  CHECK(FileStore(in(dir.path(), "my_session.id")).options().cookie_name == "my_session.id");
  CHECK(FileStore(in(dir.path(), std::string(200, 's'))).options().cookie_name.size() == 200u);
}

TEST_CASE("FileStore works with a cookie name containing '_'", "[file_store][layout]") {
  Fixture f;
  sessions::FileStore::Options options;
  options.stale_temp_age = 0s;
  options.cookie_name = "my_sid";
  const FileStore store = f.store(options);
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

TEST_CASE("FileStore refuses an empty or relative directory and timeouts or sizes that cannot work",
          "[file_store][config]") {
  TempDir dir;
  CHECK_THROWS_AS(FileStore(in("", "sessionid")), sessions::ConfigurationError);
  CHECK_THROWS_AS(FileStore(in("relative/dir", "sessionid")), sessions::ConfigurationError);
  CHECK_THROWS_AS(FileStore(in(".", "sessionid")), sessions::ConfigurationError);
  FileStore::Options options = in(dir.path(), "sessionid");
  CHECK_NOTHROW(FileStore(options));
  SECTION("lock_timeout") {
    options.lock_timeout = 0ms;
    CHECK_THROWS_AS(FileStore(options), sessions::ConfigurationError);
    options.lock_timeout = -1ms;
    CHECK_THROWS_AS(FileStore(options), sessions::ConfigurationError);
  }
  SECTION("max_file_bytes") {
    options.max_file_bytes = 0;
    CHECK_THROWS_AS(FileStore(options), sessions::ConfigurationError);
  }
  SECTION("stale_temp_age") {
    options.stale_temp_age = -1s;
    CHECK_THROWS_AS(FileStore(options), sessions::ConfigurationError);
  }
}

TEST_CASE("FileStore::options_from_url reads file:/abs, file:///abs and the parameters", "[file_store][config][url]") {
  TempDir dir;
  const std::string abs = dir.path().string();
  CHECK(FileStore::options_from_url("file:" + abs).directory == dir.path());
  CHECK(FileStore::options_from_url("file://" + abs).directory == dir.path());
  CHECK(FileStore::options_from_url("FILE://" + abs + "/").directory.lexically_normal() ==
        (dir.path() / "").lexically_normal());

  const FileStore::Options o = FileStore::options_from_url(
      "file://" + abs +
      "?cookie_name=sid&max_file_bytes=4096&durable=1&require_same_owner=0&stale_temp_age=60&rename_exchange=off"
      "&mtime_meaning=last_write&cookie_age=3600&lock_timeout=250");
  CHECK(o.cookie_name == "sid");
  CHECK(o.max_file_bytes == 4096u);
  CHECK(o.durable);
  CHECK(!o.require_same_owner);
  CHECK(o.stale_temp_age == 60s);
  CHECK(!o.use_rename_exchange);
  CHECK(o.mtime_meaning == FileStore::MtimeMeaning::last_write);
  CHECK(o.cookie_age == 3600s);
  CHECK(o.lock_timeout == 250ms);

  SECTION("a relative directory is resolved against the working directory") {
    CHECK(FileStore::options_from_url("file:some/dir").directory == std::filesystem::current_path() / "some/dir");
    CHECK(FileStore::options_from_url("file://some/dir").directory == std::filesystem::current_path() / "some/dir");
  }
  SECTION("mistakes are configuration errors") {
    CHECK_THROWS_AS(FileStore::options_from_url("file:"), sessions::ConfigurationError);
    CHECK_THROWS_AS(FileStore::options_from_url("sqlite://" + abs), sessions::ConfigurationError);
    CHECK_THROWS_AS(FileStore::options_from_url("file://" + abs + "?colour=blue"), sessions::ConfigurationError);
    CHECK_THROWS_AS(FileStore::options_from_url("file://" + abs + "?mtime_meaning=ctime"),
                    sessions::ConfigurationError);
    CHECK_THROWS_AS(FileStore::options_from_url("file://" + abs + "?lock_timeout=soon"), sessions::ConfigurationError);
    CHECK_THROWS_AS(FileStore::options_from_url("file://user:pw@host" + abs), sessions::ConfigurationError);
    CHECK_THROWS_AS(FileStore("file://" + abs + "?lock_timeout=0"), sessions::ConfigurationError);
  }
  SECTION("the URL constructor takes the clock and the logger") {
    sessions::ManualClock clock;
    const FileStore store("file://" + abs, sessions::Clock(clock), sessions::Logger::silent());
    REQUIRE(store.create(kKey, "v", clock.now() + 10s));
    CHECK(store.exists(kKey));
    clock.advance(10s);
    CHECK(!store.exists(kKey));
  }
}
