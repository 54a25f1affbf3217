// sessions::parse_url (storage/url.hpp), the parser every store URL goes through: sqlite,
// postgresql (host lists, unix sockets), redis/rediss/unix, memcached host lists; parameters;
// and a ConfigurationError, never echoing the password, for anything malformed.

#include <string>
#include <vector>

#include "sessions/errors.hpp"
#include "sessions/storage/sqlite.hpp"
#include "sessions/storage/url.hpp"
#include "support/catch.hpp"

using sessions::ConfigurationError;
using sessions::parse_url;
using sessions::Url;
using sessions::UrlHost;

namespace {
using Params = std::vector<std::pair<std::string, std::string>>;
}

TEST_CASE("parse_url: sqlite forms", "[url]") {
  Url u = parse_url("sqlite:///abs/path/db.sqlite3");
  CHECK(u.scheme == "sqlite");
  CHECK(u.has_authority);
  CHECK(u.hosts.empty());
  CHECK(u.path == "/abs/path/db.sqlite3");
  CHECK_FALSE(u.username);
  CHECK(u.query.empty());

  u = parse_url("sqlite://relative/path.db");
  REQUIRE(u.hosts.size() == 1);
  CHECK(u.hosts[0].name == "relative");
  CHECK(u.path == "/path.db");

  u = parse_url("sqlite:relative.db?busy_timeout=10");
  CHECK_FALSE(u.has_authority);
  CHECK(u.path == "relative.db");
  CHECK(u.query == Params{{"busy_timeout", "10"}});
}

TEST_CASE("parse_url: postgresql forms", "[url]") {
  Url u = parse_url("postgresql://user:p%40ss%3Aword@db.example.com:5433/app?sslmode=require&application_name=x+y");
  CHECK(u.scheme == "postgresql");
  CHECK(u.username == std::optional<std::string>("user"));
  CHECK(u.password == std::optional<std::string>("p@ss:word"));
  REQUIRE(u.hosts.size() == 1);
  CHECK(u.hosts[0] == UrlHost{"db.example.com", 5433, false});
  CHECK(u.path == "/app");
  CHECK(u.query == Params{{"sslmode", "require"}, {"application_name", "x+y"}});  // '+' is not a space
  CHECK(u.redacted() == "postgresql://user:***@db.example.com:5433/app");

  u = parse_url("POSTGRES://h1:5432,h2,[::1]:6000,[fe80::1%25eth0]/db");
  CHECK(u.scheme == "postgres");
  REQUIRE(u.hosts.size() == 4);
  CHECK(u.hosts[0] == UrlHost{"h1", 5432, false});
  CHECK(u.hosts[1] == UrlHost{"h2", std::nullopt, false});
  CHECK(u.hosts[2] == UrlHost{"::1", 6000, true});
  CHECK(u.host_list() == "h1:5432,h2,[::1]:6000,[fe80::1%eth0]");

  u = parse_url("postgresql:///app?host=/var/run/postgresql");
  CHECK(u.hosts.empty());
  CHECK(u.path == "/app");
  CHECK(u.parameter("host") == std::optional<std::string>("/var/run/postgresql"));

  u = parse_url("postgresql://%2Fvar%2Frun%2Fpostgresql/app");
  REQUIRE(u.hosts.size() == 1);
  CHECK(u.hosts[0].name == "/var/run/postgresql");

  u = parse_url("postgresql://user@/app");  // user, no host
  CHECK(u.username == std::optional<std::string>("user"));
  CHECK_FALSE(u.password);
  CHECK(u.hosts.empty());

  u = parse_url("postgresql://us%40er:pa@ss@host/db");  // an unencoded '@' in the password: last '@' splits
  CHECK(u.username == std::optional<std::string>("us@er"));
  CHECK(u.password == std::optional<std::string>("pa@ss"));
  CHECK(u.hosts[0].name == "host");
}

TEST_CASE("parse_url: redis, unix and memcached forms", "[url]") {
  Url u = parse_url("redis://:secret@127.0.0.1:6379/2?timeout=50");
  CHECK(u.username == std::optional<std::string>(""));
  CHECK(u.password == std::optional<std::string>("secret"));
  CHECK(u.hosts[0] == UrlHost{"127.0.0.1", 6379, false});
  CHECK(u.path == "/2");
  CHECK(u.redacted() == "redis://:***@127.0.0.1:6379/2");

  u = parse_url("rediss://cache.internal");
  CHECK(u.scheme == "rediss");
  CHECK(u.hosts[0] == UrlHost{"cache.internal", std::nullopt, false});
  CHECK(u.path.empty());

  u = parse_url("unix:///run/redis/redis.sock?db=3");
  CHECK(u.scheme == "unix");
  CHECK(u.hosts.empty());
  CHECK(u.path == "/run/redis/redis.sock");

  u = parse_url("memcached://10.0.0.1:11211,10.0.0.2:11212,cache3");
  REQUIRE(u.hosts.size() == 3);
  CHECK(u.hosts[1] == UrlHost{"10.0.0.2", 11212, false});
  CHECK(u.hosts[2] == UrlHost{"cache3", std::nullopt, false});
}

TEST_CASE("parse_url: query parameters", "[url]") {
  Url u = parse_url("x://h/?a=1&&b&c=%26%3D&d=");
  CHECK(u.query == Params{{"a", "1"}, {"b", ""}, {"c", "&="}, {"d", ""}});

  u = parse_url("x://h/?n=42&ms=1500&flag&off=No&neg=-3&big=99999999999999999999&dup=1&dup=2");
  CHECK(u.take_integer("n", 0, 100) == std::optional<std::int64_t>(42));
  CHECK(u.take_milliseconds("ms") == std::optional<std::chrono::milliseconds>(1500));
  CHECK(u.take_bool("flag") == std::optional<bool>(true));
  CHECK(u.take_bool("off") == std::optional<bool>(false));
  CHECK_FALSE(u.take("absent"));
  CHECK_THROWS_AS(u.take_integer("neg", 0, 10), ConfigurationError);
  CHECK_THROWS_AS(u.take_integer("big", 0, 10), ConfigurationError);
  CHECK(u.parameter("dup") == std::optional<std::string>("2"));
  CHECK_THROWS_AS(u.take("dup"), ConfigurationError);

  Url v = parse_url("x://h/?known=1&typo=2&other=3");
  (void)v.take("known");
  try {
    v.reject_unknown_parameters();
    FAIL("unknown parameters accepted");
  } catch (const ConfigurationError& e) {
    const std::string what = e.what();
    CHECK(what.find("'typo'") != std::string::npos);
    CHECK(what.find("'other'") != std::string::npos);
  }
  Url w = parse_url("x://h/?a=x");
  CHECK_THROWS_AS(w.take_integer("a", 0, 1), ConfigurationError);
  Url b = parse_url("x://h/?a=maybe");
  CHECK_THROWS_AS(b.take_bool("a"), ConfigurationError);
  Url e = parse_url("x://h/?a=");
  CHECK_THROWS_AS(e.take_integer("a", 0, 1), ConfigurationError);
}

TEST_CASE("parse_url: malformed URLs are ConfigurationErrors", "[url]") {
  const std::vector<std::string> bad = {
      "",
      "no-scheme-here",
      ":///x",
      "1sqlite:///x",
      "sq lite:///x",
      "sqlite:///a b",            // raw space
      "sqlite:///a\tb",           // control character
      "sqlite:///a%zz",           // bad escape
      "sqlite:///a%4",            // truncated escape
      "sqlite:///a%00b",          // NUL
      "sqlite:///x#frag",         // fragment
      "postgresql://h:0/db",      // port 0
      "postgresql://h:65536/db",  // port too large
      "postgresql://h:12ab/db",
      "postgresql://h:+1/db",
      "postgresql://h1,,h2/db",  // empty host entry
      "postgresql://h1,/db",
      "postgresql://:5432/db",  // port without host
      "postgresql://[::1/db",   // unclosed bracket
      "postgresql://[::1]x/db",
      "postgresql://[zz]/db",
      "postgresql://::1/db",  // IPv6 without brackets
      "x://h/?=value",        // parameter without a name
  };
  for (const std::string& text : bad) {
    INFO(text);
    CHECK_THROWS_AS(parse_url(text), ConfigurationError);
  }
}

TEST_CASE("parse_url: error messages never show the password", "[url]") {
  for (const std::string text :
       {"postgresql://user:hunter2@host:99999/db", "redis://:hunter2@h/#x", "postgresql://u:hunter2@h/%zz"}) {
    try {
      (void)parse_url(text);
      FAIL("accepted: " + text);
    } catch (const ConfigurationError& e) {
      const std::string what = e.what();
      CHECK(what.find("hunter2") == std::string::npos);
      CHECK(what.find("***") != std::string::npos);
    }
  }
  Url u = parse_url("postgresql://user:hunter2@host/db?x=1");
  try {
    u.reject_unknown_parameters();
  } catch (const ConfigurationError& e) {
    CHECK(std::string(e.what()).find("hunter2") == std::string::npos);
  }
}

TEST_CASE("url_scheme: the scheme of every store URL form, with or without an authority", "[url]") {
  CHECK(sessions::url_scheme("sqlite:/tmp/x.db") == "sqlite");
  CHECK(sessions::url_scheme("SQLite:///tmp/x.db") == "sqlite");
  CHECK(sessions::url_scheme("file:/var/sessions") == "file");
  CHECK(sessions::url_scheme("redis://127.0.0.1:6379/0") == "redis");
  CHECK_THROWS_WITH(sessions::url_scheme("/tmp/x.db"), Catch::Contains("no scheme"));
  CHECK_THROWS_AS(sessions::url_scheme(":x"), sessions::ConfigurationError);
}

TEST_CASE("SqliteStore: sqlite:/abs (no authority, RFC 3986) names the same file as sqlite:///abs", "[url]") {
  CHECK(sessions::SqliteStore::options_from_url("sqlite:/tmp/x.db").path ==
        sessions::SqliteStore::options_from_url("sqlite:///tmp/x.db").path);
  CHECK(sessions::SqliteStore::options_from_url("sqlite:/tmp/x.db").path == "/tmp/x.db");
}
