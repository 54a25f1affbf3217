// SqliteStore: Django's table and formats, the exact semantics of each operation (expiry
// boundaries, never overwriting, never resurrecting), clear_expired's count, key validation before
// any SQL, the number of statements per operation, and configuration.

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "sessions/serializer/django_signed.hpp"
#include "sessions/session.hpp"
#include "sqlite_support.hpp"
#include "support/catch.hpp"

using namespace sqlite_test;
using sessions::SqliteStore;
using Fixture = test_support::StoreFixture<SqliteStore>;

namespace {

std::int64_t count_rows(Raw& raw, const std::string& table = "django_session") {
  return std::stoll(raw.one("SELECT count(*) FROM \"" + table + "\""));
}

TimePoint at_micros(std::int64_t micros) { return TimePoint{std::chrono::microseconds{micros}}; }

}  // namespace

TEST_CASE("SqliteStore creates Django's exact table and index", "[sqlite]") {
  Fixture f;
  Raw raw(f.db_path);
  const auto rows = raw.rows("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type DESC");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0] == std::vector<std::string>{"table", "django_session",
                                            "CREATE TABLE \"django_session\" (\"session_key\" varchar(40) NOT NULL "
                                            "PRIMARY KEY, \"session_data\" text NOT NULL, \"expire_date\" datetime "
                                            "NOT NULL)"});
  CHECK(rows[1] == std::vector<std::string>{"index", "django_session_expire_date_a5c62663",
                                            "CREATE INDEX \"django_session_expire_date_a5c62663\" ON "
                                            "\"django_session\" (\"expire_date\")"});
  CHECK(raw.one("PRAGMA journal_mode") == "wal");
  // Opening again leaves the schema alone.
  SqliteStore again(f.options());
  CHECK(raw.rows("SELECT name FROM sqlite_master WHERE sql IS NOT NULL").size() == 2);
}

TEST_CASE("SqliteStore writes expire_date as Django does: naive UTC text, microseconds only when non-zero",
          "[sqlite][format]") {
  Fixture f;
  Raw raw(f.db_path);
  // 2023-11-14 22:13:20 UTC is 1700000000.
  REQUIRE(f.store.create(kKey, "{\"a\":1}", at_micros(1'800'000'000'000'000)));
  REQUIRE(f.store.create(kKey2, "payload", at_micros(1'800'000'000'123'456)));
  CHECK(raw.one("SELECT expire_date FROM django_session WHERE session_key = ?1", {std::string(kKey)}) ==
        "2027-01-15 08:00:00");
  CHECK(raw.one("SELECT expire_date FROM django_session WHERE session_key = ?1", {std::string(kKey2)}) ==
        "2027-01-15 08:00:00.123456");
  CHECK(raw.one("SELECT session_data FROM django_session WHERE session_key = ?1", {std::string(kKey)}) == "{\"a\":1}");
  CHECK(raw.one("SELECT typeof(expire_date) FROM django_session WHERE session_key = ?1", {std::string(kKey)}) ==
        "text");

  // Nanoseconds are floored to the microsecond (DateTimeField's precision), and load returns
  // exactly what is stored.
  const TimePoint fine = at_micros(1'800'000'000'000'001) + std::chrono::nanoseconds{999};
  REQUIRE(f.store.update(kKey, "{\"a\":2}", fine));
  CHECK(raw.one("SELECT expire_date FROM django_session WHERE session_key = ?1", {std::string(kKey)}) ==
        "2027-01-15 08:00:00.000001");
  const auto record = f.store.load(kKey);
  REQUIRE(record);
  CHECK(record->payload == "{\"a\":2}");
  CHECK(record->expires_at == at_micros(1'800'000'000'000'001));
}

TEST_CASE("SqliteStore reads rows written the way Django writes them", "[sqlite][format]") {
  Fixture f;  // the manual clock says 2023-11-14 22:13:20
  Raw raw(f.db_path);
  raw.exec("INSERT INTO django_session VALUES ('" + std::string(kKey) + "', 'data1', '2023-11-14 22:13:21')");
  raw.exec("INSERT INTO django_session VALUES ('" + std::string(kKey2) + "', 'data2', '2023-11-14 22:13:20.000001')");
  raw.exec("INSERT INTO django_session VALUES ('expiredexpiredexpired', 'data3', '2023-11-14 22:13:19.999999')");
  raw.exec("INSERT INTO django_session VALUES ('atnowatnowatnow', 'data4', '2023-11-14 22:13:20')");
  raw.exec("INSERT INTO django_session VALUES ('fractionshort', 'data5', '2023-11-14 22:13:20.5')");
  raw.exec("INSERT INTO django_session VALUES ('garbagegarbage', 'data6', 'zzzz')");

  auto r1 = f.store.load(kKey);
  REQUIRE(r1);
  CHECK(r1->payload == "data1");
  CHECK(r1->expires_at == at_micros(1'700'000'001'000'000));
  auto r2 = f.store.load(kKey2);
  REQUIRE(r2);
  CHECK(r2->expires_at == at_micros(1'700'000'000'000'001));
  auto r5 = f.store.load("fractionshort");
  REQUIRE(r5);
  CHECK(r5->expires_at == at_micros(1'700'000'000'500'000));
  // Expired, and exactly at its expiry instant: absent for every operation.
  for (const std::string key : {"expiredexpiredexpired", "atnowatnowatnow"}) {
    CHECK_FALSE(f.store.load(key));
    CHECK_FALSE(f.store.exists(key));
    CHECK_FALSE(f.store.update(key, "x", f.clock.now() + 1h));
    CHECK_FALSE(f.store.touch(key, f.clock.now() + 1h));
  }
  // An expire_date that is no date (compared as text it is "live"): absent, with a warning.
  CHECK_FALSE(f.store.load("garbagegarbage"));
  CHECK(f.log.contains("unreadable expire_date"));
}

TEST_CASE("SqliteStore: a record ends at its expiry instant, to the microsecond", "[sqlite][expiry]") {
  Fixture f;
  const TimePoint expires = f.clock.now() + 10s;
  REQUIRE(f.store.create(kKey, "p", expires));
  f.clock.set(expires - 1us);
  CHECK(f.store.exists(kKey));
  CHECK(f.store.load(kKey));
  f.clock.set(expires - 1ns);  // now is compared floored to the microsecond, which is exact here
  CHECK(f.store.exists(kKey));
  f.clock.set(expires);
  CHECK_FALSE(f.store.exists(kKey));
  CHECK_FALSE(f.store.load(kKey));
  CHECK_FALSE(f.store.touch(kKey, expires + 1h));
  CHECK_FALSE(f.store.update(kKey, "q", expires + 1h));
}

TEST_CASE("SqliteStore create never overwrites a live record and replaces an expired one", "[sqlite]") {
  Fixture f;
  Raw raw(f.db_path);
  const TimePoint now = f.clock.now();
  REQUIRE(f.store.create(kKey, "first", now + 1h));
  CHECK_FALSE(f.store.create(kKey, "second", now + 2h));
  auto r = f.store.load(kKey);
  REQUIRE(r);
  CHECK(r->payload == "first");
  CHECK(r->expires_at == now + 1h);

  SECTION("an expired row with the same key is replaced, in place") {
    f.clock.advance(1h);  // now == expiry: expired
    CHECK(f.store.create(kKey, "third", f.clock.now() + 1h));
    r = f.store.load(kKey);
    REQUIRE(r);
    CHECK(r->payload == "third");
    CHECK(r->expires_at == f.clock.now() + 1h);
    CHECK(count_rows(raw) == 1);
  }
  SECTION("a removed key can be created again") {
    f.store.remove(kKey);
    CHECK(f.store.create(kKey, "again", now + 1h));
    CHECK(f.store.load(kKey)->payload == "again");
  }
  SECTION("a record created already expired is stored but never seen") {
    CHECK(f.store.create(kKey2, "dead", now - 1s));
    CHECK_FALSE(f.store.exists(kKey2));
    CHECK(count_rows(raw) == 2);
    CHECK(f.store.create(kKey2, "alive", now + 1s));  // and replaced by the next create
    CHECK(f.store.load(kKey2)->payload == "alive");
  }
}

TEST_CASE("SqliteStore update and touch never create and never revive", "[sqlite]") {
  Fixture f;
  Raw raw(f.db_path);
  const TimePoint now = f.clock.now();
  CHECK_FALSE(f.store.update(kKey, "x", now + 1h));
  CHECK_FALSE(f.store.touch(kKey, now + 1h));
  CHECK(count_rows(raw) == 0);

  REQUIRE(f.store.create(kKey, "v1", now + 1h));
  CHECK(f.store.update(kKey, "v2", now + 2h));
  CHECK(f.store.load(kKey)->payload == "v2");
  CHECK(f.store.load(kKey)->expires_at == now + 2h);
  CHECK(f.store.touch(kKey, now + 3h));
  CHECK(f.store.load(kKey)->payload == "v2");
  CHECK(f.store.load(kKey)->expires_at == now + 3h);

  f.clock.advance(3h);  // expired
  CHECK_FALSE(f.store.update(kKey, "v3", f.clock.now() + 1h));
  CHECK_FALSE(f.store.touch(kKey, f.clock.now() + 1h));
  CHECK(raw.one("SELECT session_data FROM django_session") == "v2");  // the dead row was not touched

  f.store.remove(kKey);
  f.store.remove(kKey);  // removing an absent key is fine
  CHECK(count_rows(raw) == 0);
}

TEST_CASE("SqliteStore clear_expired removes exactly the expired rows and counts them", "[sqlite]") {
  Fixture f;
  Raw raw(f.db_path);
  SqliteStore::Options options = f.options();
  options.clear_batch = 3;  // several batches
  SqliteStore store(options);
  const TimePoint now = f.clock.now();
  for (int i = 0; i < 7; ++i) {
    REQUIRE(
        store.create("expired" + std::to_string(i) + "xxxxx", "d", now - std::chrono::seconds{i}));  // i = 0: at now
  }
  for (int i = 1; i <= 4; ++i) {
    REQUIRE(store.create("live" + std::to_string(i) + "xxxxxxx", "l", now + std::chrono::microseconds{i}));
  }
  CHECK(count_rows(raw) == 11);
  CHECK(store.clear_expired() == 7);
  CHECK(count_rows(raw) == 4);
  CHECK(store.clear_expired() == 0);
  f.clock.advance(2us);
  CHECK(store.clear_expired() == 2);
  CHECK(store.exists("live3xxxxxxx"));
  CHECK(store.exists("live4xxxxxxx"));
}

TEST_CASE("SqliteStore: keys that fail validation never reach SQL", "[sqlite][keys]") {
  Fixture f;
  Raw raw(f.db_path);
  REQUIRE(f.store.create(kKey, "victim", f.clock.now() + 1h));
  const std::vector<std::string> hostile = {
      "",
      "short",
      "' OR '1'='1' --",
      "abcdefgh'; DROP TABLE django_session; --",
      "abcdefgh\" OR 1=1",
      "ABCDEFGHIJKLMNOP",
      std::string(41, 'a'),
      std::string("abcdefgh\0ijklmnop", 17),
      "abcdefgh%",
      "abcdefgh_",
      "caf\xc3\xa9"
      "abcdefgh",
      "abcdefgh ijklmnop",
  };
  const std::uint64_t before = f.store.statements_executed();
  for (const std::string& key : hostile) {
    CHECK_FALSE(f.store.load(key));
    CHECK_FALSE(f.store.exists(key));
    CHECK_FALSE(f.store.create(key, "x", f.clock.now() + 1h));
    CHECK_FALSE(f.store.update(key, "x", f.clock.now() + 1h));
    CHECK_FALSE(f.store.touch(key, f.clock.now() + 1h));
    f.store.remove(key);
  }
  CHECK(f.store.statements_executed() == before);
  CHECK(count_rows(raw) == 1);
  CHECK(f.store.load(kKey)->payload == "victim");
  // A payload is data, never SQL.
  const std::string nasty = "'); DROP TABLE django_session; --\"\\\n\t\xe2\x82\xac";
  REQUIRE(f.store.update(kKey, nasty, f.clock.now() + 1h));
  CHECK(f.store.load(kKey)->payload == nasty);
  CHECK(count_rows(raw) == 1);
}

TEST_CASE("SqliteStore: one statement per operation; a Session load or save costs one", "[sqlite][statements]") {
  Fixture f;
  auto delta = [&f](auto&& operation) {
    const std::uint64_t before = f.store.statements_executed();
    operation();
    return f.store.statements_executed() - before;
  };
  const TimePoint later = f.clock.now() + 1h;
  CHECK(delta([&] { (void)f.store.create(kKey, "a", later); }) == 1);
  CHECK(delta([&] { (void)f.store.load(kKey); }) == 1);
  CHECK(delta([&] { (void)f.store.update(kKey, "b", later); }) == 1);
  CHECK(delta([&] { (void)f.store.touch(kKey, later); }) == 1);
  CHECK(delta([&] { (void)f.store.exists(kKey); }) == 1);
  CHECK(delta([&] { f.store.remove(kKey); }) == 1);
  CHECK(delta([&] { (void)f.store.clear_expired(); }) == 1);

  using S = sessions::Session<SqliteStore>;
  std::string key;
  CHECK(delta([&] {
          S s(f.store, f.settings);
          s.set("n", 1);
          s.save();  // a new session: one INSERT
          key = *s.session_key();
        }) == 1);
  CHECK(delta([&] {
          S s(f.store, key, f.settings);
          CHECK(s.get("n") == 1);  // one SELECT
        }) == 1);
  CHECK(delta([&] {
          S s(f.store, key, f.settings);
          s.set("n", 2);
          s.save();  // SELECT + UPDATE
        }) == 2);
  CHECK(delta([&] {
          S s(f.store, key, f.settings);
          (void)s.get("n");
          s.save();  // unchanged data: SELECT + touch (UPDATE of expire_date)
        }) == 2);
}

TEST_CASE("SqliteStore with DjangoSignedSerializer stores Django's session_data", "[sqlite][format]") {
  Fixture f;
  Raw raw(f.db_path);
  const sessions::DjangoSignedSerializer serializer("django-insecure-test-key");
  sessions::Session<SqliteStore, sessions::DjangoSignedSerializer> s(f.store, f.settings, serializer);
  s.set("cart", sessions::Data::array({1, 2, 3}));
  s.save();
  const std::string data =
      raw.one("SELECT session_data FROM django_session WHERE session_key = ?1", {*s.session_key()});
  CHECK(std::count(data.begin(), data.end(), ':') == 2);  // payload:timestamp:signature
  CHECK(serializer.loads(data) == sessions::Data{{"cart", {1, 2, 3}}});
  sessions::Session<SqliteStore, sessions::DjangoSignedSerializer> again(f.store, *s.session_key(), f.settings,
                                                                         serializer);
  CHECK(again.get("cart") == sessions::Data::array({1, 2, 3}));
}

TEST_CASE("SqliteStore options from a URL", "[sqlite][url]") {
  using sessions::ConfigurationError;
  auto o = SqliteStore::options_from_url("sqlite:///var/lib/app/db.sqlite3");
  CHECK(o.path == "/var/lib/app/db.sqlite3");
  CHECK(o.table == "django_session");
  CHECK(o.busy_timeout == 5000ms);
  CHECK(o.synchronous == sessions::SqliteSynchronous::normal);
  CHECK(o.wal);

  CHECK(SqliteStore::options_from_url("sqlite://data/sessions.db").path == "data/sessions.db");
  CHECK(SqliteStore::options_from_url("sqlite:relative.db").path == "relative.db");
  CHECK(SqliteStore::options_from_url("sqlite:////double/slash.db").path == "//double/slash.db");
  CHECK(SqliteStore::options_from_url("SQLite:///a%20b.db").path == "/a b.db");

  o = SqliteStore::options_from_url(
      "sqlite:///x.db?table=app_sessions&busy_timeout=250&synchronous=FULL&wal=off&pool_size=3&clear_batch=10"
      "&create_table=false");
  CHECK(o.table == "app_sessions");
  CHECK(o.busy_timeout == 250ms);
  CHECK(o.synchronous == sessions::SqliteSynchronous::full);
  CHECK_FALSE(o.wal);
  CHECK(o.pool_size == 3);
  CHECK(o.clear_batch == 10);
  CHECK_FALSE(o.create_table);

  CHECK_THROWS_AS(SqliteStore::options_from_url("postgresql:///x.db"), ConfigurationError);
  CHECK_THROWS_AS(SqliteStore::options_from_url("sqlite:///x.db?busy_timout=5"), ConfigurationError);  // typo
  CHECK_THROWS_AS(SqliteStore::options_from_url("sqlite:///x.db?busy_timeout=-1"), ConfigurationError);
  CHECK_THROWS_AS(SqliteStore::options_from_url("sqlite:///x.db?synchronous=sometimes"), ConfigurationError);
  CHECK_THROWS_AS(SqliteStore::options_from_url("sqlite:///x.db?pool_size=0"), ConfigurationError);
  CHECK_THROWS_AS(SqliteStore::options_from_url("sqlite://:memory:"), ConfigurationError);
  CHECK_THROWS_AS(SqliteStore::options_from_url("sqlite:///:memory:"), ConfigurationError);
  CHECK_THROWS_AS(SqliteStore::options_from_url("sqlite://"), ConfigurationError);
  CHECK_THROWS_AS(SqliteStore::options_from_url("sqlite:///"), ConfigurationError);
  CHECK_THROWS_AS(SqliteStore::options_from_url("sqlite://host:5432/x.db"), ConfigurationError);
  CHECK_THROWS_AS(SqliteStore::options_from_url("sqlite://user:pw@/x.db"), ConfigurationError);
  try {
    (void)SqliteStore::options_from_url("sqlite://user:hunter2@/x.db");
  } catch (const ConfigurationError& e) {
    CHECK(std::string(e.what()).find("hunter2") == std::string::npos);
  }
}

TEST_CASE("SqliteStore refuses a busy_timeout that is not positive and a clear_batch of 0", "[sqlite][config]") {
  Fixture f;
  SqliteStore::Options options = f.options();
  options.busy_timeout = 0ms;
  CHECK(test_support::configuration_error([&] { SqliteStore s(options); }) ==
        "SqliteStore: busy_timeout must be positive (got 0 ms)");
  options = f.options();
  options.clear_batch = 0;
  CHECK(test_support::configuration_error([&] { SqliteStore s(options); }) ==
        "SqliteStore: clear_batch must be at least 1");
}

TEST_CASE("SqliteStore opened from a URL", "[sqlite][url]") {
  test_support::TempDir dir;
  sessions::ManualClock clock;
  const std::string url = "sqlite://" + (dir.path / "from-url.db").string() + "?busy_timeout=100&table=t1";
  SqliteStore store(url, sessions::Clock(clock));
  CHECK(store.path() == dir.path / "from-url.db");
  CHECK(store.table() == "t1");
  REQUIRE(store.create(kKey, "p", clock.now() + 1s));
  CHECK(store.load(kKey)->payload == "p");
  Raw raw(dir.path / "from-url.db");
  CHECK(raw.one("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL") == "t1_expire_date_idx");
}

TEST_CASE("SqliteStore table names: any plain identifier, nothing else", "[sqlite][config]") {
  Fixture f;
  SqliteStore::Options options = f.options();
  options.table = "Custom_Sessions2";
  SqliteStore custom(options);
  REQUIRE(custom.create(kKey, "in custom", f.clock.now() + 1h));
  CHECK_FALSE(f.store.exists(kKey));  // another table
  Raw raw(f.db_path);
  CHECK(count_rows(raw, "Custom_Sessions2") == 1);

  for (const std::string bad : {"", "1abc", "bad-name", "a b", "x\"; DROP TABLE django_session; --", "t.t",
                                "\xc3\xa9t\xc3\xa9", "a123456789a123456789a123456789a123456789a"}) {
    options.table = bad;
    CHECK_THROWS_AS(SqliteStore(options), sessions::ConfigurationError);
  }
  CHECK(count_rows(raw) == 0);  // django_session still there, untouched
}

TEST_CASE("SqliteStore with create_table off needs the table", "[sqlite][config]") {
  test_support::TempDir dir;
  SqliteStore::Options options;
  options.path = dir.path / "empty.db";
  options.create_table = false;
  CHECK_THROWS_AS(SqliteStore(options), sessions::ConfigurationError);
  options.create_table = true;
  { SqliteStore creates(options); }
  options.create_table = false;
  SqliteStore store(options);
  CHECK_FALSE(store.exists(kKey));
}

TEST_CASE("SqliteStore: two instances on one file (as two processes) see each other's writes", "[sqlite]") {
  Fixture f;
  SqliteStore other(f.options());
  REQUIRE(f.store.create(kKey, "one", f.clock.now() + 1h));
  CHECK(other.load(kKey)->payload == "one");
  CHECK_FALSE(other.create(kKey, "two", f.clock.now() + 1h));
  REQUIRE(other.update(kKey, "three", f.clock.now() + 1h));
  CHECK(f.store.load(kKey)->payload == "three");
  other.remove(kKey);
  CHECK_FALSE(f.store.exists(kKey));
}
