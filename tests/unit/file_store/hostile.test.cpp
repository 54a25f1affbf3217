// FileStore: what is found at a session path is not trusted. Symlinks are never followed, special
// files and other users' files are not sessions, corrupted files are handed over as bytes (the
// session layer decodes them) and oversized ones are refused.

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "file_store_support.hpp"
#include "sessions/errors.hpp"
#include "sessions/storage/file.hpp"
#include "support/catch.hpp"

using namespace file_store_test;
using sessions::FileStore;
using sessions::LogLevel;

namespace {

// A file planted directly on disk (not through the store), live for an hour.
void plant(const Fixture& f, std::string_view key, std::string_view content) {
  spit(f.file(key), content);
  set_mtime(f.file(key), f.now() + 1h);
}

}  // namespace

TEST_CASE("FileStore does not follow a symlink planted at a session path", "[file_store][hostile]") {
  Fixture f;
  TempDir outside;
  const fs::path secret = outside / "secret";
  spit(secret, "{\"user\":\"admin\"}");
  const auto secret_mtime = f.now() + 24h;  // looks live
  set_mtime(secret, secret_mtime);
  fs::create_symlink(secret, f.file(kKey));
  FileStore store = f.store();

  CHECK(!store.load(kKey).has_value());
  CHECK(f.log.count(LogLevel::warning) == 1u);
  CHECK(!store.exists(kKey));
  CHECK(!store.update(kKey, "overwrite", f.now() + 1h));
  CHECK(!store.touch(kKey, f.now() + 48h));
  CHECK(store.clear_expired() == 0u);
  CHECK(is_link_at(f.file(kKey)));
  CHECK(f.listing() == std::vector<std::string>{name_of(kKey)});  // no temporary file left

  SECTION("create replaces the link itself, never its target") {
    REQUIRE(store.create(kKey, "fresh", f.now() + 1h));
    CHECK(!is_link_at(f.file(kKey)));
    CHECK(slurp(f.file(kKey)) == "fresh");
    CHECK(f.listing() == std::vector<std::string>{name_of(kKey)});
  }
  SECTION("remove deletes the link itself, never its target") {
    store.remove(kKey);
    CHECK(f.listing().empty());
  }
  CHECK(slurp(secret) == "{\"user\":\"admin\"}");
  CHECK(mtime(secret) == secret_mtime);
}

TEST_CASE("FileStore does not follow a symlink to another session or to a directory", "[file_store][hostile]") {
  Fixture f;
  FileStore store = f.store();
  REQUIRE(store.create(kKey, "victim", f.now() + 1h));
  fs::create_symlink(f.file(kKey), f.file(kKey2));
  CHECK(!store.load(kKey2).has_value());
  CHECK(!store.update(kKey2, "hijack", f.now() + 2h));
  CHECK(slurp(f.file(kKey)) == "victim");

  TempDir outside;
  fs::create_directory_symlink(outside.path(), f.file(kKey3));
  CHECK(!store.load(kKey3).has_value());
  CHECK(!store.exists(kKey3));
  REQUIRE(store.create(kKey3, "mine", f.now() + 1h));
  CHECK(list_dir(outside.path()).empty());
  CHECK(slurp(f.file(kKey3)) == "mine");
}

TEST_CASE("FileStore treats a FIFO or a directory at a session path as no session", "[file_store][hostile]") {
  Fixture f;
  FileStore store = f.store();

  SECTION("a FIFO: load does not block") {
    REQUIRE(::mkfifo(f.file(kKey).c_str(), 0600) == 0);
    CHECK(!store.load(kKey).has_value());
    CHECK(!store.exists(kKey));
    CHECK(!store.touch(kKey, f.now() + 1h));
    CHECK(!store.update(kKey, "x", f.now() + 1h));
    REQUIRE(store.create(kKey, "x", f.now() + 1h));  // replaces it
    CHECK(slurp(f.file(kKey)) == "x");
  }
  SECTION("a directory: nothing replaces it, remove reports it") {
    fs::create_directory(f.file(kKey));
    spit(f.file(kKey) / "inside", "keep");
    CHECK(!store.load(kKey).has_value());
    CHECK(!store.exists(kKey));
    CHECK(!store.update(kKey, "x", f.now() + 1h));
    CHECK(!store.create(kKey, "x", f.now() + 1h));
    REQUIRE_THROWS_AS(store.remove(kKey), sessions::StorageError);
    CHECK(slurp(f.file(kKey) / "inside") == "keep");
    CHECK(f.listing() == std::vector<std::string>{name_of(kKey)});  // no temporary file left
  }
}

TEST_CASE("FileStore hands corrupted, truncated and empty files over as their bytes", "[file_store][hostile]") {
  Fixture f;
  FileStore store = f.store();
  const std::vector<std::string> contents = {
      "not json at all",
      "{\"a\":",                                   // truncated
      "",                                          // empty (Django reads it as {})
      std::string("\xff\xfe\x00\x01garbage", 11),  // binary
      "eyJhIjoxfQ:1r2s3t:truncated-signature",
  };
  for (const auto& content : contents) {
    plant(f, kKey, content);
    const auto record = store.load(kKey);
    REQUIRE(record.has_value());
    CHECK(record->payload == content);
    CHECK(record->expires_at == f.now() + 1h);
  }
  CHECK(f.log.count(LogLevel::warning) == 0u);
}

TEST_CASE("FileStore treats a file above max_file_bytes as corrupted", "[file_store][hostile]") {
  Fixture f;

  SECTION("a small limit") {
    FileStore::Options options;
    options.max_file_bytes = 100;
    FileStore store = f.store(options);
    plant(f, kKey, std::string(100, 'a'));
    REQUIRE(store.load(kKey).has_value());
    plant(f, kKey2, std::string(101, 'a'));
    CHECK(!store.load(kKey2).has_value());
    CHECK(f.log.count(LogLevel::warning) == 1u);
    CHECK(f.log.contains("max_file_bytes"));
    CHECK(fs::exists(f.file(kKey2)));  // left in place, not deleted
  }
  SECTION("the default limit is 1 MiB") {
    FileStore store = f.store();
    CHECK(store.options().max_file_bytes == 1024u * 1024u);
    plant(f, kKey, std::string(1024 * 1024, 'b'));
    const auto record = store.load(kKey);
    REQUIRE(record.has_value());
    CHECK(record->payload.size() == 1024u * 1024u);
    plant(f, kKey2, std::string(1024 * 1024 + 1, 'b'));
    CHECK(!store.load(kKey2).has_value());
    CHECK(f.log.count(LogLevel::warning) == 1u);
  }
  // No message carries a whole key.
  for (const auto& message : f.log.messages()) {
    CHECK(message.find(std::string(kKey2)) == std::string::npos);
    CHECK(message.find(std::string(kKey2.substr(0, 6))) != std::string::npos);
  }
}

// Only root can give a file away. As another user this case cannot be set up, and it fails saying
// so rather than passing without a single check (exclude it knowingly with "~[root]").
TEST_CASE("FileStore ignores session files owned by another user", "[file_store][hostile][root]") {
  Fixture f;
  plant(f, kKey, "{\"user\":\"admin\"}");
  const uid_t other = ::geteuid() == 65534 ? 65533 : 65534;
  if (::lchown(f.file(kKey).c_str(), other, static_cast<gid_t>(-1)) != 0) {
    const int err = errno;
    FAIL("cannot give a file to another user (lchown: " << std::strerror(err)
                                                        << "); this test needs root (or run with \"~[root]\")");
  }
  SECTION("by default") {
    FileStore store = f.store();
    CHECK(!store.load(kKey).has_value());
    CHECK(f.log.contains("another user"));
    CHECK(!store.exists(kKey));
    CHECK(!store.update(kKey, "x", f.now() + 1h));
    CHECK(!store.touch(kKey, f.now() + 2h));
    CHECK(slurp(f.file(kKey)) == "{\"user\":\"admin\"}");
    CHECK(mtime(f.file(kKey)) == f.now() + 1h);
    REQUIRE(store.create(kKey, "mine", f.now() + 1h));  // not a session: replaced
    CHECK(slurp(f.file(kKey)) == "mine");
  }
  SECTION("with require_same_owner = false") {
    FileStore::Options options;
    options.require_same_owner = false;
    FileStore store = f.store(options);
    const auto record = store.load(kKey);
    REQUIRE(record.has_value());
    CHECK(record->payload == "{\"user\":\"admin\"}");
  }
}

TEST_CASE("FileStore load reports I/O errors other than absence as StorageError", "[file_store][errors]") {
  Fixture f;
  FileStore store = f.store();
  REQUIRE(store.create(kKey, "v", f.now() + 1h));
  // A regular file where the directory should be: every path under it fails with ENOTDIR.
  TempDir other;
  const fs::path moved = other / "gone";
  fs::rename(f.dir.path(), moved);
  spit(f.dir.path(), "now a file");
  REQUIRE_THROWS_AS(store.load(kKey), sessions::StorageError);
  REQUIRE_THROWS_AS(store.exists(kKey), sessions::StorageError);
  REQUIRE_THROWS_AS(store.clear_expired(), sessions::StorageError);
  try {
    (void)store.load(kKey);
  } catch (const sessions::StorageError& e) {
    const std::string what = e.what();
    CHECK(what.find(std::string(kKey)) == std::string::npos);
    CHECK(what.find("load") != std::string::npos);
    CHECK(what.find(std::string(kKey.substr(0, 6))) != std::string::npos);
  }
  fs::remove(f.dir.path());
  fs::rename(moved, f.dir.path());
}
