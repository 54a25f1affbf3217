// FileStore with MtimeMeaning::last_write: Django's convention for a directory shared with Django's
// file backend. The mtime is the last write and a record lives cookie_age after it; a write or
// touch with `expires_at` stamps mtime = expires_at - cookie_age, which is the write time for a
// session living cookie_age, and keeps any other expiry exact.

#include <chrono>
#include <string>
#include <vector>

#include "file_store_support.hpp"
#include "sessions/errors.hpp"
#include "sessions/sessions.hpp"
#include "sessions/storage/file.hpp"
#include "support/catch.hpp"

using namespace file_store_test;
using sessions::FileStore;

namespace {

constexpr std::chrono::seconds kAge{1000};

FileStore::Options last_write(std::chrono::seconds age = kAge) {
  FileStore::Options options;
  options.mtime_meaning = FileStore::MtimeMeaning::last_write;
  options.cookie_age = age;
  return options;
}

/// A file as Django's file backend leaves it: the payload bytes, mtime = the time of the write.
void django_writes(const Fixture& f, std::string_view key, std::string_view bytes, TimePoint when) {
  spit(f.file(key), bytes);
  set_mtime(f.file(key), when);
}

}  // namespace

TEST_CASE("FileStore last_write: a write stamps the write time as the mtime", "[file_store][last_write]") {
  Fixture f;
  const FileStore store = f.store(last_write());
  const TimePoint created = f.now();
  REQUIRE(store.create(kKey, "v1", created + kAge));
  CHECK(mtime(f.file(kKey)) == created);
  CHECK(slurp(f.file(kKey)) == "v1");

  f.clock.advance(300s + 7ns);
  const TimePoint updated = f.now();
  REQUIRE(store.update(kKey, "v2", updated + kAge));
  CHECK(mtime(f.file(kKey)) == updated);
  CHECK(slurp(f.file(kKey)) == "v2");
  CHECK(f.listing() == std::vector<std::string>{name_of(kKey)});

  const auto record = store.load(kKey);
  REQUIRE(record.has_value());
  CHECK(record->payload == "v2");
  CHECK(record->expires_at == updated + kAge);
}

TEST_CASE("FileStore last_write: live before mtime + cookie_age, expired at and after it",
          "[file_store][last_write][expiry]") {
  Fixture f;
  const FileStore store = f.store(last_write());
  const TimePoint written = f.now();
  django_writes(f, kKey, "django bytes", written);

  f.clock.set(written + kAge - 1ns);
  CHECK(store.exists(kKey));
  REQUIRE(store.load(kKey).has_value());

  // One variant per run (not SECTIONs: a SECTION holding no assertion fails under --warn NoAssertions).
  const std::string variant = GENERATE(as<std::string>{}, "exactly at mtime + cookie_age", "after it");
  CAPTURE(variant);
  if (variant == "exactly at mtime + cookie_age") {
    f.clock.set(written + kAge);
  }
  if (variant == "after it") {
    f.clock.set(written + kAge + 1h);
  }
  CHECK(!store.exists(kKey));
  CHECK(!store.update(kKey, "resurrected?", f.now() + kAge));
  CHECK(!store.touch(kKey, f.now() + kAge));
  CHECK(slurp(f.file(kKey)) == "django bytes");  // the refusals wrote nothing
  CHECK(!store.load(kKey).has_value());
  CHECK(f.listing().empty());  // load removed it
}

TEST_CASE("FileStore last_write: touch moves the mtime to the time of the touch", "[file_store][last_write][touch]") {
  Fixture f;
  const FileStore store = f.store(last_write());
  REQUIRE(store.create(kKey, "payload", f.now() + kAge));
  f.clock.advance(900s);
  const TimePoint touched = f.now();
  REQUIRE(store.touch(kKey, touched + kAge));
  CHECK(mtime(f.file(kKey)) == touched);
  CHECK(slurp(f.file(kKey)) == "payload");

  f.clock.advance(900s);  // past the first write + cookie_age, before the touch + cookie_age
  CHECK(store.exists(kKey));
  const auto record = store.load(kKey);
  REQUIRE(record.has_value());
  CHECK(record->expires_at == touched + kAge);
  f.clock.set(touched + kAge);
  CHECK(!store.exists(kKey));
  CHECK(!store.touch(kKey, f.now() + kAge));  // expired stays expired
}

TEST_CASE("FileStore last_write: an expiry other than cookie_age moves the mtime and stays exact",
          "[file_store][last_write][expiry]") {
  Fixture f;
  const FileStore store = f.store(last_write());
  const TimePoint now = f.now();

  SECTION("shorter (set_expiry(300), Idle, Absolute): the mtime goes back") {
    REQUIRE(store.create(kKey, "short", now + 300s));
    CHECK(mtime(f.file(kKey)) == now + 300s - kAge);
    f.clock.set(now + 300s - 1ns);
    CHECK(store.exists(kKey));
    f.clock.set(now + 300s);
    CHECK(!store.exists(kKey));
    CHECK(store.clear_expired() == 1u);
  }
  SECTION("longer (set_expiry beyond cookie_age): the mtime goes forward") {
    REQUIRE(store.create(kKey, "long", now + kAge * 3));
    CHECK(mtime(f.file(kKey)) == now + kAge * 2);
    f.clock.set(now + kAge * 3 - 1ns);
    CHECK(store.clear_expired() == 0u);
    REQUIRE(store.load(kKey).has_value());
    CHECK(store.load(kKey)->expires_at == now + kAge * 3);
    f.clock.set(now + kAge * 3);
    CHECK(!store.load(kKey).has_value());
  }
  SECTION("in the past: an expired record") {
    REQUIRE(store.create(kKey, "gone", now - 1s));
    CHECK(!store.exists(kKey));
  }
  SECTION("the ends of TimePoint's range saturate") {
    REQUIRE(store.create(kKey, "forever", TimePoint::max()));
    const auto record = store.load(kKey);
    REQUIRE(record.has_value());
    CHECK(record->expires_at > now + 24h * 365 * 100);
    REQUIRE(store.create(kKey2, "never", TimePoint::min()));
    CHECK(!store.exists(kKey2));
  }
}

TEST_CASE("FileStore last_write: create over an expired file succeeds, over a live one fails",
          "[file_store][last_write][create]") {
  Fixture f;
  const FileStore store = f.store(last_write());

  SECTION("Django's file written cookie_age ago is expired: replaced") {
    django_writes(f, kKey, "old", f.now() - kAge);
    REQUIRE(store.create(kKey, "new", f.now() + kAge));
    CHECK(slurp(f.file(kKey)) == "new");
    CHECK(mtime(f.file(kKey)) == f.now());
    CHECK(f.listing() == std::vector<std::string>{name_of(kKey)});
  }
  SECTION("our own file after cookie_age: replaced") {
    REQUIRE(store.create(kKey, "old", f.now() + kAge));
    f.clock.advance(kAge);
    REQUIRE(store.create(kKey, "new", f.now() + kAge));
    CHECK(slurp(f.file(kKey)) == "new");
    CHECK(mtime(f.file(kKey)) == f.now());
  }
  SECTION("Django's file written just now is live: kept") {
    django_writes(f, kKey, "django", f.now());
    CHECK(!store.create(kKey, "ours", f.now() + kAge));
    CHECK(slurp(f.file(kKey)) == "django");
  }
  SECTION("Django's empty create() placeholder is live: kept") {
    django_writes(f, kKey, "", f.now());
    CHECK(!store.create(kKey, "ours", f.now() + kAge));
    CHECK(slurp(f.file(kKey)).empty());
  }
}

TEST_CASE("FileStore last_write: clear_expired removes and counts files older than cookie_age",
          "[file_store][last_write][clear_expired]") {
  Fixture f;
  const FileStore store = f.store(last_write());
  const TimePoint now = f.now();
  django_writes(f, kKey, "django, live", now - kAge + 1s);
  django_writes(f, kKey2, "django, expired", now - kAge);
  django_writes(f, kKey3, "django, long expired", now - kAge * 10);
  REQUIRE(store.create("ours0000live", "ours, live", now + 1s));
  REQUIRE(store.create("ours0000gone", "ours, expired", now));  // mtime = now - kAge
  spit(f.dir / "sessionidnot_a_session_file", "foreign");
  set_mtime(f.dir / "sessionidnot_a_session_file", now - kAge * 10);

  CHECK(store.clear_expired() == 3u);
  CHECK(f.listing() == std::vector<std::string>{name_of(kKey), "sessionidnot_a_session_file", name_of("ours0000live")});
  CHECK(store.clear_expired() == 0u);

  f.clock.advance(1s);
  CHECK(store.clear_expired() == 2u);
  CHECK(f.listing() == std::vector<std::string>{"sessionidnot_a_session_file"});
}

TEST_CASE("FileStore last_write: a file Django wrote is loaded with its bytes", "[file_store][last_write][load]") {
  Fixture f;
  const FileStore store = f.store(last_write(FileStore::kDjangoCookieAge));
  const std::string bytes = "eyJ1c2VyIjo0Mn0:1rAbCd:signature-bytes_only-ASCII";  // opaque to the store
  const TimePoint written = f.now() - 3h - 5ns;
  django_writes(f, kKey, bytes, written);

  const auto record = store.load(kKey);
  REQUIRE(record.has_value());
  CHECK(record->payload == bytes);
  CHECK(record->expires_at == written + FileStore::kDjangoCookieAge);
  CHECK(store.exists(kKey));
  REQUIRE(store.update(kKey, "rewritten", f.now() + FileStore::kDjangoCookieAge));
  CHECK(mtime(f.file(kKey)) == f.now());
}

TEST_CASE("FileStore last_write: the same files read as expired in expiry mode", "[file_store][last_write]") {
  // Why the mode exists: Django's mtime (the write time) is in the past.
  Fixture f;
  django_writes(f, kKey, "django", f.now());
  CHECK(!f.store().exists(kKey));
  CHECK(f.store(last_write()).exists(kKey));
}

TEST_CASE("FileStore last_write: where the cookie age comes from", "[file_store][last_write][config]") {
  Fixture f;
  sessions::Settings settings;
  settings.file_path = f.dir.path();
  settings.cookie_age = 4321s;
  FileStore::Options options;
  options.mtime_meaning = FileStore::MtimeMeaning::last_write;

  SECTION("the default mode is unchanged") {
    const FileStore store{FileStore::options_from_settings(settings)};
    CHECK(store.options().mtime_meaning == FileStore::MtimeMeaning::expiry);
  }
  SECTION("Settings::cookie_age when built from Settings") {
    const FileStore store{FileStore::options_from_settings(settings, options)};
    CHECK(store.options().cookie_age == 4321s);
    CHECK(store.expiry_from_mtime(TimePoint{}) == TimePoint{4321s});
    CHECK(store.mtime_for_expiry(TimePoint{4321s}) == TimePoint{});
  }
  SECTION("an Options::cookie_age set after options_from_settings wins") {
    FileStore::Options from_settings = FileStore::options_from_settings(settings, options);
    from_settings.cookie_age = 99s;
    const FileStore store{from_settings};
    CHECK(store.options().cookie_age == 99s);
  }
  SECTION("Django's default without Settings") {
    options.directory = f.dir.path();
    const FileStore store{options};
    CHECK(store.options().cookie_age == FileStore::kDjangoCookieAge);
    CHECK(FileStore::kDjangoCookieAge == sessions::Settings{}.cookie_age);
  }
  SECTION("a cookie age that is not positive is refused in last_write mode") {
    settings.cookie_age = 0s;
    CHECK_THROWS_AS(FileStore(FileStore::options_from_settings(settings, options)), sessions::ConfigurationError);
    settings.cookie_age = -5s;
    CHECK_THROWS_AS(FileStore(FileStore::options_from_settings(settings, options)), sessions::ConfigurationError);
    options.mtime_meaning = FileStore::MtimeMeaning::expiry;
    CHECK_NOTHROW(FileStore(FileStore::options_from_settings(settings, options)));  // unused in expiry mode
  }
}

TEST_CASE("FileStore last_write under Session: Django's file read, ours stamped with the write time",
          "[file_store][last_write][session]") {
  Fixture f;
  sessions::Settings settings;
  settings.file_path = f.dir.path();
  settings.clock = sessions::Clock(f.clock);
  settings.logger = f.log.logger();
  FileStore::Options options;
  options.mtime_meaning = FileStore::MtimeMeaning::last_write;
  FileStore store{FileStore::options_from_settings(settings, options)};
  const sessions::DjangoSignedSerializer serializer{"secret"};
  using SessionT = sessions::Session<FileStore, sessions::DjangoSignedSerializer>;

  SECTION("a session Django wrote a day ago is read") {
    sessions::Data data = sessions::Data::object();
    data["user"] = 42;
    django_writes(f, kKey, serializer.dumps(data), f.now() - 24h);
    SessionT session{store, kKey, settings, serializer};
    CHECK(session.get("user", 0) == 42);
  }
  SECTION("a session Django wrote cookie_age ago is gone") {
    sessions::Data data = sessions::Data::object();
    data["user"] = 42;
    django_writes(f, kKey, serializer.dumps(data), f.now() - settings.cookie_age);
    SessionT session{store, kKey, settings, serializer};
    CHECK(session.data().empty());
    CHECK(!session.session_key().has_value());
  }
  SECTION("a save stamps the time of the save; set_expiry(300) stays exact") {
    SessionT session{store, settings, serializer};
    session.set("user", 7);
    session.save();
    const std::string key = *session.session_key();
    CHECK(mtime(f.file(key)) == f.now());

    f.clock.advance(60s);
    session.set_expiry(300);
    session.save();
    CHECK(mtime(f.file(key)) == f.now() + 300s - settings.cookie_age);
    f.clock.advance(300s);
    CHECK(!store.exists(key));
  }
}
