// FileStore: the storage operations one at a time: create never overwrites a live session,
// update and touch never bring back a missing or expired one, expired sessions are never loaded,
// and clear_expired() removes exactly the expired sessions (Django's test_clearsessions_command).

#include <chrono>
#include <string>
#include <vector>

#include "file_store_support.hpp"
#include "sessions/errors.hpp"
#include "sessions/storage/file.hpp"
#include "support/catch.hpp"

using namespace file_store_test;
using sessions::FileStore;

namespace {

FileStore::Options with_exchange(bool exchange) {
  FileStore::Options options;
  options.use_rename_exchange = exchange;
  return options;
}

}  // namespace

TEST_CASE("FileStore create never overwrites a live session", "[file_store][create]") {
  Fixture f;
  FileStore store = f.store();
  const auto expires = f.now() + 60s;
  REQUIRE(store.create(kKey, "first", expires));
  CHECK(!store.create(kKey, "second", f.now() + 120s));
  CHECK(slurp(f.file(kKey)) == "first");
  CHECK(mtime(f.file(kKey)) == expires);
  CHECK(f.listing() == std::vector<std::string>{name_of(kKey)});  // no temporary file left

  f.clock.advance(59s);  // still live one second before expiry
  CHECK(!store.create(kKey, "third", f.now() + 120s));
  CHECK(slurp(f.file(kKey)) == "first");
}

TEST_CASE("FileStore create over an expired session succeeds", "[file_store][create]") {
  Fixture f;
  FileStore store = f.store();
  REQUIRE(store.create(kKey, "old", f.now() + 10s));

  // One variant per run (not SECTIONs: a SECTION holding no assertion fails under --warn NoAssertions).
  const std::string variant = GENERATE(as<std::string>{}, "well after expiry", "exactly at the expiry instant");
  CAPTURE(variant);
  if (variant == "well after expiry") {
    f.clock.advance(1h);
  }
  if (variant == "exactly at the expiry instant") {
    f.clock.advance(10s);
  }

  const auto expires = f.now() + 30s;
  REQUIRE(store.create(kKey, "new", expires));
  CHECK(slurp(f.file(kKey)) == "new");
  CHECK(mtime(f.file(kKey)) == expires);
  CHECK(f.listing() == std::vector<std::string>{name_of(kKey)});
}

TEST_CASE("FileStore create with an expiry in the past writes an expired record", "[file_store][create]") {
  Fixture f;
  FileStore store = f.store();
  REQUIRE(store.create(kKey, "gone", f.now() - 1s));
  CHECK(!store.exists(kKey));
  CHECK(!store.load(kKey).has_value());
  CHECK(f.listing().empty());  // load removed it
}

namespace {

void check_update_replaces(bool exchange) {
  Fixture f;
  FileStore store = f.store(with_exchange(exchange));
  REQUIRE(store.create(kKey, "v1", f.now() + 10s));
  const auto expires = f.now() + 100s + 5ns;
  REQUIRE(store.update(kKey, "version two", expires));
  CHECK(slurp(f.file(kKey)) == "version two");
  CHECK(mtime(f.file(kKey)) == expires);
  CHECK(f.listing() == std::vector<std::string>{name_of(kKey)});

  f.clock.advance(50s);  // past the first expiry, before the second
  const auto record = store.load(kKey);
  REQUIRE(record.has_value());
  CHECK(record->payload == "version two");
  CHECK(record->expires_at == expires);

  REQUIRE(store.update(kKey, "", expires));  // shrinking to nothing is fine
  CHECK(slurp(f.file(kKey)).empty());
}

void check_update_refuses(bool exchange) {
  Fixture f;
  FileStore store = f.store(with_exchange(exchange));

  SECTION("missing") {
    CHECK(!store.update(kKey, "data", f.now() + 60s));
    CHECK(f.listing().empty());
  }
  SECTION("removed") {
    REQUIRE(store.create(kKey, "data", f.now() + 60s));
    store.remove(kKey);
    CHECK(!store.update(kKey, "resurrected?", f.now() + 60s));
    CHECK(f.listing().empty());
    CHECK(!store.load(kKey).has_value());
  }
  SECTION("expired") {
    REQUIRE(store.create(kKey, "data", f.now() + 60s));
    f.clock.advance(60s);
    CHECK(!store.update(kKey, "resurrected?", f.now() + 60s));
    CHECK(f.listing() == std::vector<std::string>{name_of(kKey)});
    CHECK(slurp(f.file(kKey)) == "data");  // untouched
    CHECK(!store.load(kKey).has_value());
    CHECK(f.listing().empty());
  }
}

}  // namespace

TEST_CASE("FileStore update replaces payload and expiry of a live session", "[file_store][update]") {
  // One variant per run (not SECTIONs: a SECTION holding no assertion fails under --warn NoAssertions).
  const std::string variant =
      GENERATE(as<std::string>{}, "with renameat2(RENAME_EXCHANGE)", "with the check-then-rename fallback");
  CAPTURE(variant);
  if (variant == "with renameat2(RENAME_EXCHANGE)") {
    check_update_replaces(true);
  }
  if (variant == "with the check-then-rename fallback") {
    check_update_replaces(false);
  }
}

TEST_CASE("FileStore update of a missing, expired or removed key is false and creates nothing",
          "[file_store][update]") {
  // One variant per run (not SECTIONs: a SECTION holding no assertion fails under --warn NoAssertions).
  const std::string variant =
      GENERATE(as<std::string>{}, "with renameat2(RENAME_EXCHANGE)", "with the check-then-rename fallback");
  CAPTURE(variant);
  if (variant == "with renameat2(RENAME_EXCHANGE)") {
    check_update_refuses(true);
  }
  if (variant == "with the check-then-rename fallback") {
    check_update_refuses(false);
  }
}

TEST_CASE("FileStore touch moves only the expiry", "[file_store][touch]") {
  Fixture f;
  FileStore store = f.store();
  REQUIRE(store.create(kKey, "payload", f.now() + 10s));
  const auto later = f.now() + 100s + 42ns;
  REQUIRE(store.touch(kKey, later));
  CHECK(mtime(f.file(kKey)) == later);
  CHECK(slurp(f.file(kKey)) == "payload");

  f.clock.advance(50s);  // would have expired without the touch
  CHECK(store.exists(kKey));
  const auto record = store.load(kKey);
  REQUIRE(record.has_value());
  CHECK(record->expires_at == later);

  SECTION("touching into the past expires the session") {
    REQUIRE(store.touch(kKey, f.now() - 1s));
    CHECK(!store.exists(kKey));
    CHECK(!store.touch(kKey, f.now() + 1h));  // expired stays expired
  }
  SECTION("touching a missing key is false and creates nothing") {
    CHECK(!store.touch(kKey2, f.now() + 1h));
    CHECK(f.listing() == std::vector<std::string>{name_of(kKey)});
  }
  SECTION("touching an expired key is false") {
    f.clock.advance(1h);
    CHECK(!store.touch(kKey, f.now() + 1h));
    CHECK(mtime(f.file(kKey)) == later);
  }
}

TEST_CASE("FileStore never loads an expired session and removes its file", "[file_store][expiry]") {
  Fixture f;
  FileStore store = f.store();
  REQUIRE(store.create(kKey, "data", f.now() + 10s));
  REQUIRE(store.create(kKey2, "other", f.now() + 100s));

  f.clock.advance(9s);
  CHECK(store.exists(kKey));
  REQUIRE(store.load(kKey).has_value());

  f.clock.advance(1s);  // now == expires_at: expired (a store never returns a record at its expiry)
  CHECK(!store.exists(kKey));
  CHECK(f.listing().size() == 2u);  // exists() only looks
  CHECK(!store.load(kKey).has_value());
  CHECK(f.listing() == std::vector<std::string>{name_of(kKey2)});
  CHECK(store.load(kKey2).has_value());
}

TEST_CASE("FileStore remove deletes the file and ignores a missing one", "[file_store][remove]") {
  Fixture f;
  FileStore store = f.store();
  REQUIRE(store.create(kKey, "data", f.now() + 10s));
  REQUIRE(store.create(kKey2, "keep", f.now() + 10s));
  store.remove(kKey);
  CHECK(!store.exists(kKey));
  CHECK(f.listing() == std::vector<std::string>{name_of(kKey2)});
  store.remove(kKey);  // again: no error
  store.remove(kKey3);
  CHECK(f.listing() == std::vector<std::string>{name_of(kKey2)});
  REQUIRE(store.create(kKey, "again", f.now() + 10s));  // the key is free again
}

TEST_CASE("FileStore clear_expired removes expired sessions only (Django test_clearsessions_command)",
          "[file_store][clear_expired]") {
  Fixture f;
  FileStore store = f.store();
  REQUIRE(store.create(kKey, "live", f.now() + 3600s));
  REQUIRE(store.create(kKey2, "expired", f.now() - 3600s));
  spit(f.dir / "sessionidnot_a_session_file", "foreign");
  set_mtime(f.dir / "sessionidnot_a_session_file", f.now() - 24h);
  REQUIRE(f.listing().size() == 3u);

  CHECK(store.clear_expired() == 1u);
  CHECK(f.listing() == std::vector<std::string>{name_of(kKey), "sessionidnot_a_session_file"});
  CHECK(slurp(f.dir / "sessionidnot_a_session_file") == "foreign");
  CHECK(store.clear_expired() == 0u);
}

TEST_CASE("FileStore clear_expired leaves every name that is not one of its sessions alone",
          "[file_store][clear_expired]") {
  Fixture f;
  FileStore store = f.store();
  const auto long_ago = f.now() - 24h;
  const std::vector<std::string> foreign = {
      "other" + std::string(kKey),         // another prefix
      "sessionidABCDEFGHIJKLMNOP",         // upper case: not a key
      "sessionidabc",                      // too short
      "sessionid" + std::string(41, 'a'),  // too long
      "sessionid",                         // the bare prefix
      "readme.txt",
  };
  for (const auto& name : foreign) {
    spit(f.dir / name, "x");
    set_mtime(f.dir / name, long_ago);
  }
  std::filesystem::create_directory(f.dir / ("sessionid" + std::string(kKey3)));  // a directory
  for (int i = 0; i < 20; ++i) {
    const std::string key = "expired" + std::string(25, static_cast<char>('a' + i));
    REQUIRE(store.create(key, "e", f.now() + std::chrono::seconds{i}));
  }
  for (int i = 0; i < 5; ++i) {
    const std::string key = "live000" + std::string(25, static_cast<char>('a' + i));
    REQUIRE(store.create(key, "l", f.now() + 1h));
  }
  f.clock.advance(20s);
  CHECK(store.clear_expired() == 20u);
  CHECK(f.listing().size() == foreign.size() + 1 + 5);
  for (const auto& name : foreign) CHECK(slurp(f.dir / name) == "x");
}

TEST_CASE("FileStore clear_expired removes stale temporary files but not fresh ones", "[file_store][clear_expired]") {
  Fixture f;
  const std::vector<std::string> temps = {
      name_of(kKey) + "_out_a1B2c3",    // ours
      name_of(kKey) + "_old_Zz09Aa",    // ours (create's graveyard)
      name_of(kKey) + "_out_k3_j9x0a",  // Django's mkstemp: eight characters of [a-z0-9_]
  };
  for (const auto& name : temps) {
    spit(f.dir / name, "partial");
    set_mtime(f.dir / name, f.now() + 1h);  // a crashed writer stamps the expiry before publishing
  }
  spit(f.dir / (name_of(kKey) + "_tmp_abcdef"), "not ours");

  SECTION("fresh temporary files are an in-flight write: kept") {
    FileStore store = f.store();
    CHECK(store.clear_expired() == 0u);
    CHECK(f.listing().size() == temps.size() + 1);
  }
  SECTION("old ones are crash leftovers: removed, not counted as sessions") {
    FileStore::Options options;
    options.stale_temp_age = 0s;
    FileStore store = f.store(options);
    CHECK(store.clear_expired() == 0u);
    CHECK(f.listing() == std::vector<std::string>{name_of(kKey) + "_tmp_abcdef"});
  }
}

TEST_CASE("FileStore refuses payloads above max_file_bytes and writes nothing", "[file_store][limits]") {
  Fixture f;
  FileStore::Options options;
  options.max_file_bytes = 16;
  FileStore store = f.store(options);
  REQUIRE_THROWS_AS(store.create(kKey, std::string(17, 'x'), f.now() + 1h), sessions::LimitExceeded);
  CHECK(f.listing().empty());
  REQUIRE(store.create(kKey, std::string(16, 'x'), f.now() + 1h));
  REQUIRE_THROWS_AS(store.update(kKey, std::string(17, 'y'), f.now() + 1h), sessions::LimitExceeded);
  CHECK(slurp(f.file(kKey)) == std::string(16, 'x'));
  CHECK(f.listing() == std::vector<std::string>{name_of(kKey)});
}

TEST_CASE("FileStore handles expiry instants far from now", "[file_store][expiry]") {
  Fixture f;
  FileStore store = f.store();

  SECTION("the largest TimePoint") {
    REQUIRE(store.create(kKey, "forever", sessions::TimePoint::max()));
    const auto record = store.load(kKey);
    REQUIRE(record.has_value());
    CHECK(record->expires_at > f.now() + 24h * 365 * 100);
  }
  SECTION("before the Unix epoch") {
    f.clock.set(sessions::TimePoint{-100s});
    const auto expires = sessions::TimePoint{-50s} + 250ms;
    REQUIRE(store.create(kKey, "old", expires));
    CHECK(mtime(f.file(kKey)) == expires);
    const auto record = store.load(kKey);
    REQUIRE(record.has_value());
    CHECK(record->expires_at == expires);
    f.clock.set(expires);
    CHECK(!store.exists(kKey));
  }
}

TEST_CASE("FileStore operations are const and need no lock", "[file_store][api]") {
  Fixture f;
  const FileStore store = f.store();
  REQUIRE(store.create(kKey, "c", f.now() + 10s));
  CHECK(store.exists(kKey));
  CHECK(store.update(kKey, "d", f.now() + 20s));
  CHECK(store.touch(kKey, f.now() + 30s));
  CHECK(store.load(kKey)->payload == "d");
  store.remove(kKey);
  CHECK(store.clear_expired() == 0u);
}
