// PostgresStore: Django's table and types, exact instants, the semantics of each operation,
// clear_expired's count, key validation before any SQL, round trips per operation, configuration
// (URL, libpq keywords), and a connection killed by the server being replaced transparently.

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "postgres_support.hpp"
#include "sessions/serializer/django_signed.hpp"
#include "sessions/session.hpp"
#include "support/catch.hpp"

using namespace postgres_test;
using sessions::PostgresStore;
using Fixture = test_support::StoreFixture<PostgresStore>;

namespace {
TimePoint at_micros(std::int64_t micros) { return TimePoint{std::chrono::microseconds{micros}}; }

// `host:port` of the test server's URL, as the store's messages name it.
std::string describe_server(const PostgresStore::Options& options) {
  std::string host;
  std::string port;
  for (const auto& [k, v] : options.parameters) {
    if (k == "host") host = v;
    if (k == "port") port = v;
  }
  return port.empty() ? host : host + ":" + port;
}
}  // namespace

TEST_CASE("PostgresStore creates Django's table: types, key, indexes", "[postgres]") {
  // Django's own table name, in a schema of its own (through libpq's `options` keyword).
  const std::string schema = "s" + unique_table();
  Raw raw;
  raw.exec("CREATE SCHEMA " + schema);
  sessions::ManualClock clock;
  PostgresStore::Options o = PostgresStore::options_from_url(server_url());
  o.parameters.emplace_back("options", "-c search_path=" + schema);
  o.clock = sessions::Clock(clock);
  {
    PostgresStore store(o);
    REQUIRE(store.create(kKey, "x", clock.now() + 1h));
  }
  const auto columns = raw.rows(
      "SELECT column_name, data_type, coalesce(character_maximum_length::text, ''), is_nullable "
      "FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'django_session' "
      "ORDER BY ordinal_position",
      {schema});
  CHECK(columns == std::vector<std::vector<std::string>>{{"session_key", "character varying", "40", "NO"},
                                                         {"session_data", "text", "", "NO"},
                                                         {"expire_date", "timestamp with time zone", "", "NO"}});
  const auto indexes =
      raw.rows("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname", {schema});
  REQUIRE(indexes.size() == 3);
  CHECK(indexes[0][0] == "django_session_expire_date_a5c62663");
  CHECK(indexes[1][0] == "django_session_pkey");
  CHECK(indexes[1][1].find("UNIQUE INDEX") != std::string::npos);
  CHECK(indexes[2][0] == "django_session_session_key_c0390e0f_like");
  CHECK(indexes[2][1].find("varchar_pattern_ops") != std::string::npos);
  {
    PostgresStore again(o);  // an existing table is left alone
    CHECK(again.exists(kKey));
  }
  raw.exec("DROP SCHEMA " + schema + " CASCADE");
}

TEST_CASE("PostgresStore keeps instants exact to the microsecond in timestamptz", "[postgres][format]") {
  Fixture f;
  Raw raw;
  const TimePoint fine = at_micros(1'800'000'000'123'456) + std::chrono::nanoseconds{789};
  REQUIRE(f.store.create(kKey, "{\"a\":1}", fine));
  REQUIRE(f.store.create(kKey2, "p", at_micros(1'800'000'000'000'000)));
  const std::string q = "SELECT to_char(expire_date AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') FROM \"" + f.table +
                        "\" WHERE session_key = $1";
  CHECK(raw.one(q, {std::string(kKey)}) == "2027-01-15 08:00:00.123456");
  CHECK(raw.one(q, {std::string(kKey2)}) == "2027-01-15 08:00:00.000000");
  CHECK(f.store.load(kKey)->expires_at == at_micros(1'800'000'000'123'456));
  CHECK(f.store.load(kKey2)->expires_at == at_micros(1'800'000'000'000'000));

  // Rows written by someone else in another time zone read back as the same instants.
  raw.exec("SET TIME ZONE 'America/New_York'");
  raw.exec("INSERT INTO \"" + f.table +
           "\" VALUES ('django000000000001', 'd', '2023-11-14 17:13:20.000001'::timestamptz)");  // 22:13:20.000001 UTC
  raw.exec("INSERT INTO \"" + f.table + "\" VALUES ('django000000000002', 'd', '2023-11-14 17:13:20'::timestamptz)");
  const auto r = f.store.load("django000000000001");
  REQUIRE(r);
  CHECK(r->expires_at == at_micros(1'700'000'000'000'001));
  CHECK_FALSE(f.store.load("django000000000002"));  // exactly now: gone
}

TEST_CASE("PostgresStore: a record ends at its expiry instant", "[postgres][expiry]") {
  Fixture f;
  const TimePoint expires = f.clock.now() + 10s;
  REQUIRE(f.store.create(kKey, "p", expires));
  f.clock.set(expires - 1us);
  CHECK(f.store.exists(kKey));
  CHECK(f.store.load(kKey));
  f.clock.set(expires);
  CHECK_FALSE(f.store.exists(kKey));
  CHECK_FALSE(f.store.load(kKey));
  CHECK_FALSE(f.store.touch(kKey, expires + 1h));
  CHECK_FALSE(f.store.update(kKey, "q", expires + 1h));
}

TEST_CASE("PostgresStore create never overwrites a live record and replaces an expired one", "[postgres]") {
  Fixture f;
  const TimePoint now = f.clock.now();
  REQUIRE(f.store.create(kKey, "first", now + 1h));
  CHECK_FALSE(f.store.create(kKey, "second", now + 2h));
  CHECK(f.store.load(kKey)->payload == "first");
  f.clock.advance(1h);
  CHECK(f.store.create(kKey, "third", f.clock.now() + 1h));
  const auto r = f.store.load(kKey);
  REQUIRE(r);
  CHECK(r->payload == "third");
  CHECK(r->expires_at == f.clock.now() + 1h);
  CHECK(f.rows() == 1);
}

TEST_CASE("PostgresStore update and touch never create and never revive", "[postgres]") {
  Fixture f;
  const TimePoint now = f.clock.now();
  CHECK_FALSE(f.store.update(kKey, "x", now + 1h));
  CHECK_FALSE(f.store.touch(kKey, now + 1h));
  CHECK(f.rows() == 0);
  REQUIRE(f.store.create(kKey, "v1", now + 1h));
  CHECK(f.store.update(kKey, "v2", now + 2h));
  CHECK(f.store.touch(kKey, now + 3h));
  CHECK(f.store.load(kKey)->payload == "v2");
  CHECK(f.store.load(kKey)->expires_at == now + 3h);
  f.clock.advance(3h);
  CHECK_FALSE(f.store.update(kKey, "v3", f.clock.now() + 1h));
  CHECK_FALSE(f.store.touch(kKey, f.clock.now() + 1h));
  Raw raw;
  CHECK(raw.one("SELECT session_data FROM \"" + f.table + "\"") == "v2");
  f.store.remove(kKey);
  f.store.remove(kKey);
  CHECK(f.rows() == 0);
}

TEST_CASE("PostgresStore clear_expired removes exactly the expired rows and counts them", "[postgres]") {
  Fixture f;
  PostgresStore::Options options = f.options();
  options.clear_batch = 3;
  PostgresStore store(options);
  const TimePoint now = f.clock.now();
  for (int i = 0; i < 7; ++i)
    REQUIRE(store.create("expired" + std::to_string(i) + "xxxxx", "d", now - std::chrono::seconds{i}));
  for (int i = 1; i <= 4; ++i)
    REQUIRE(store.create("live" + std::to_string(i) + "xxxxxxx", "l", now + std::chrono::microseconds{i}));
  CHECK(store.clear_expired() == 7);
  CHECK(f.rows() == 4);
  CHECK(store.clear_expired() == 0);
  f.clock.advance(2us);
  CHECK(store.clear_expired() == 2);
  CHECK(f.rows() == 2);
}

TEST_CASE("PostgresStore: keys that fail validation never reach SQL; payloads are data", "[postgres][keys]") {
  Fixture f;
  REQUIRE(f.store.create(kKey, "victim", f.clock.now() + 1h));
  const std::vector<std::string> hostile = {"",
                                            "short",
                                            "' OR '1'='1' --",
                                            "abcdefgh'; DROP TABLE x; --",
                                            "ABCDEFGHIJKLMNOP",
                                            std::string(41, 'a'),
                                            std::string("abcdefgh\0ijklmnop", 17),
                                            "abcdefgh%",
                                            "abcdefgh_"};
  const std::uint64_t before = f.store.round_trips();
  for (const std::string& key : hostile) {
    CHECK_FALSE(f.store.load(key));
    CHECK_FALSE(f.store.exists(key));
    CHECK_FALSE(f.store.create(key, "x", f.clock.now() + 1h));
    CHECK_FALSE(f.store.update(key, "x", f.clock.now() + 1h));
    CHECK_FALSE(f.store.touch(key, f.clock.now() + 1h));
    f.store.remove(key);
  }
  CHECK(f.store.round_trips() == before);
  CHECK(f.rows() == 1);
  const std::string nasty = "'); DROP TABLE django_session; --\"\\\n\t\xe2\x82\xac$1";
  REQUIRE(f.store.update(kKey, nasty, f.clock.now() + 1h));
  CHECK(f.store.load(kKey)->payload == nasty);
  // PostgreSQL text cannot hold NUL: refused before any SQL, the record untouched.
  CHECK_THROWS_AS(f.store.update(kKey, std::string("a\0b", 3), f.clock.now() + 1h), sessions::StorageError);
  CHECK(f.store.load(kKey)->payload == nasty);
}

TEST_CASE("PostgresStore: one round trip per operation once prepared; a Session load or save costs one each",
          "[postgres][statements]") {
  for (const bool prepared : {true, false}) {
    INFO("prepare_statements = " << prepared);
    Fixture f;
    PostgresStore::Options o = f.options();
    o.prepare_statements = prepared;
    o.pool_size = 1;  // one connection: what is prepared on it stays prepared
    PostgresStore store(o);
    auto delta = [&store](auto&& operation) {
      const std::uint64_t before = store.round_trips();
      operation();
      return store.round_trips() - before;
    };
    const TimePoint later = f.clock.now() + 1h;
    const std::uint64_t first = prepared ? 2 : 1;  // prepare + execute, the first time on a connection
    CHECK(delta([&] { (void)store.create(kKey, "a", later); }) == first);
    CHECK(delta([&] { (void)store.create(kKey2, "a", later); }) == 1);
    CHECK(delta([&] { (void)store.load(kKey); }) == first);
    CHECK(delta([&] { (void)store.load(kKey); }) == 1);
    CHECK(delta([&] { (void)store.update(kKey, "b", later); }) == first);
    CHECK(delta([&] { (void)store.update(kKey, "b", later); }) == 1);
    CHECK(delta([&] { (void)store.touch(kKey, later); }) == first);
    CHECK(delta([&] { (void)store.touch(kKey, later); }) == 1);
    CHECK(delta([&] { (void)store.exists(kKey); }) == first);
    CHECK(delta([&] { (void)store.exists(kKey); }) == 1);

    using S = sessions::Session<PostgresStore>;
    std::string key;
    CHECK(delta([&] {
            S s(store, f.settings);
            s.set("n", 1);
            s.save();
            key = *s.session_key();
          }) == 1);
    CHECK(delta([&] {
            S s(store, key, f.settings);
            CHECK(s.get("n") == 1);
          }) == 1);
    CHECK(delta([&] {
            S s(store, key, f.settings);
            s.set("n", 2);
            s.save();
          }) == 2);
  }
}

TEST_CASE("PostgresStore with DjangoSignedSerializer round-trips Django's session_data", "[postgres][format]") {
  Fixture f;
  const sessions::DjangoSignedSerializer serializer("django-insecure-test-key");
  sessions::Session<PostgresStore, sessions::DjangoSignedSerializer> s(f.store, f.settings, serializer);
  s.set("user", "ada");
  s.save();
  Raw raw;
  const std::string data =
      raw.one("SELECT session_data FROM \"" + f.table + "\" WHERE session_key = $1", {*s.session_key()});
  CHECK(std::count(data.begin(), data.end(), ':') == 2);
  CHECK(serializer.loads(data) == sessions::Data{{"user", "ada"}});
}

TEST_CASE("PostgresStore options from a URL", "[postgres][url]") {
  using sessions::ConfigurationError;
  using Params = std::vector<std::pair<std::string, std::string>>;
  auto o = PostgresStore::options_from_url(
      "postgresql://app:p%40ss@db1:5433,db2/appdb?sslmode=disable&table=app_sessions&pool_size=9&connect_timeout=3"
      "&statement_timeout=1500&pool_timeout=200&prepare_statements=off&clear_batch=50&create_table=no");
  CHECK(o.parameters == Params{{"host", "db1,db2"},
                               {"port", "5433,"},
                               {"user", "app"},
                               {"password", "p@ss"},
                               {"dbname", "appdb"},
                               {"sslmode", "disable"}});
  CHECK(o.table == "app_sessions");
  CHECK(o.pool_size == 9);
  CHECK(o.connect_timeout == 3s);
  CHECK(o.statement_timeout == 1500ms);
  CHECK(o.pool_timeout == 200ms);
  CHECK_FALSE(o.prepare_statements);
  CHECK(o.clear_batch == 50);
  CHECK_FALSE(o.create_table);

  o = PostgresStore::options_from_url("postgres:///appdb?host=/var/run/postgresql");
  CHECK(o.parameters == Params{{"dbname", "appdb"}, {"host", "/var/run/postgresql"}});
  o = PostgresStore::options_from_url("postgresql://%2Fvar%2Frun%2Fpostgresql/appdb");
  CHECK(o.parameters == Params{{"host", "/var/run/postgresql"}, {"dbname", "appdb"}});

  CHECK_THROWS_AS(PostgresStore::options_from_url("mysql://h/db"), ConfigurationError);
  CHECK_THROWS_AS(PostgresStore::options_from_url("postgresql:db"), ConfigurationError);
  CHECK_THROWS_AS(PostgresStore::options_from_url("postgresql://h/db?pool_size=0"), ConfigurationError);
  CHECK_THROWS_AS(PostgresStore::options_from_url("postgresql://h/db?connect_timeout=x"), ConfigurationError);

  // libpq refuses an unknown keyword: a configuration error, before any connection attempt.
  CHECK_THROWS_AS(PostgresStore(server_url() + "?no_such_keyword=1"), ConfigurationError);
  PostgresStore::Options bad_table = PostgresStore::options_from_url(server_url());
  bad_table.table = "x\"; DROP TABLE y; --";
  CHECK_THROWS_AS(PostgresStore(bad_table), ConfigurationError);
}

TEST_CASE("PostgresStore refuses timeouts that are not positive and a clear_batch of 0", "[postgres][config]") {
  PostgresStore::Options options = PostgresStore::options_from_url(server_url());
  options.statement_timeout = 0ms;
  CHECK(test_support::configuration_error([&] { PostgresStore s(options); }) ==
        "PostgresStore: statement_timeout must be positive (got 0 ms)");
  options = PostgresStore::options_from_url(server_url());
  options.clear_batch = 0;
  CHECK(test_support::configuration_error([&] { PostgresStore s(options); }) ==
        "PostgresStore: clear_batch must be at least 1");
}

TEST_CASE("PostgresStore: nothing listening is a StorageError naming host and port, never the password",
          "[postgres][faults]") {
  // A port that was free a moment ago; nothing listens there.
  PostgresStore::Options o = PostgresStore::options_from_url("postgresql://user:hunter2@127.0.0.1:1/db");
  o.connect_timeout = 2s;
  const auto start = std::chrono::steady_clock::now();
  try {
    PostgresStore store(o);
    FAIL("connected to nothing");
  } catch (const sessions::StorageError& e) {
    const std::string what = e.what();
    INFO(what);
    // The stores' format: `PostgresStore::op: what (host:port)`.
    CHECK(what.starts_with("PostgresStore::open: cannot connect: "));
    CHECK(what.ends_with(" (127.0.0.1:1)"));
    CHECK(what.find("hunter2") == std::string::npos);
  }
  CHECK(std::chrono::steady_clock::now() - start < 3s);
}

TEST_CASE("PostgresStore: connections killed by the server are replaced transparently", "[postgres][faults]") {
  Fixture f;
  PostgresStore::Options o = f.options();
  const std::string app = "sessions_kill_" + f.table;
  o.parameters.emplace_back("application_name", app);
  o.pool_size = 2;
  PostgresStore store(o);
  REQUIRE(store.create(kKey, "survives", f.clock.now() + 1h));
  Raw raw;
  const auto killed = [&] {
    return raw.rows("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", {app}).size();
  };
  CHECK(killed() >= 1);
  CHECK(store.load(kKey)->payload == "survives");  // a new connection, no error
  CHECK(store.update(kKey, "still", f.clock.now() + 1h));
  CHECK(killed() >= 1);
  CHECK(store.update(kKey, "again", f.clock.now() + 1h));
  CHECK(store.load(kKey)->payload == "again");
}

TEST_CASE("PostgresStore: errors read `PostgresStore::op: what (host:port, session abcd...)`, never the whole key",
          "[postgres][errors]") {
  Fixture f;
  PostgresStore store(f.options());
  REQUIRE(store.create(kKey, "v", f.clock.now() + 1h));
  const std::string server = describe_server(f.options());
  const std::string tail = " (" + server + ", session " + std::string(sessions::loggable_key_prefix(kKey)) + "...)";
  const auto message_of = [](auto operation) -> std::string {
    try {
      operation();
    } catch (const sessions::StorageError& e) {
      return e.what();
    }
    return "(no exception)";
  };

  SECTION("a payload the column cannot hold, refused before any statement") {
    const std::string what =
        message_of([&] { (void)store.update_if(kKey, std::string("a\0b", 3), f.clock.now() + 1h, "v"); });
    INFO(what);
    CHECK(what.starts_with("PostgresStore::update_if: the payload contains a NUL byte"));
    CHECK(what.ends_with(tail));
    CHECK(what.find(std::string(kKey)) == std::string::npos);
  }
  SECTION("an SQL error from the server") {
    Raw(server_url()).exec("DROP TABLE \"" + f.table + "\"");
    const std::string what = message_of([&] { (void)store.load(kKey); });
    INFO(what);
    CHECK(what.starts_with("PostgresStore::load: "));
    CHECK(what.find("[SQLSTATE 42P01]") != std::string::npos);
    CHECK(what.ends_with(tail));
    CHECK(what.find(std::string(kKey)) == std::string::npos);
  }
}
