#pragma once
// PostgresStore in the shared fixtures: the server comes from SESSIONS_TEST_POSTGRES_URL (set by
// tests/servers/postgres.sh, which ctest runs this program in); each fixture gets a table of its
// own, dropped at the end. Without the variable every test FAILS with an explanation: these tests
// never skip. Also a plain libpq connection for checks behind the store's back.

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "sessions/storage/postgres.hpp"
#include "support/fixtures.hpp"

namespace postgres_test {

using namespace std::chrono_literals;
using sessions::TimePoint;

inline constexpr std::string_view kKey = "abcdefghijklmnopqrstuvwxyz012345";
inline constexpr std::string_view kKey2 = "0123456789abcdefghijklmnopqrstuv";

inline std::string required_env(const char* name, const char* what) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    throw std::runtime_error(std::string(name) + " is not set: " + what +
                             ". Run this program through tests/servers/postgres.sh run -- <program> (as ctest "
                             "does), which starts a throw-away server and sets it.");
  }
  return value;
}

/// postgresql://... of a server and database the tests may write to.
inline std::string server_url() {
  return required_env("SESSIONS_TEST_POSTGRES_URL", "the PostgreSQL tests need a server");
}

/// A script taking stop|start|freeze|thaw, for the fault tests.
inline std::string control_script() {
  return required_env("SESSIONS_TEST_POSTGRES_CTL", "the fault tests need to stop and start the server");
}

/// Runs the control script; throws when it fails.
inline void control(const std::string& action) {
  const std::string command = "\"" + control_script() + "\" " + action;
  if (std::system(command.c_str()) != 0) throw std::runtime_error("the server control script failed: " + action);
}

/// A table name no other fixture of this run uses.
inline std::string unique_table() {
  static std::atomic<int> counter{0};
  return "sessions_t" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
}

/// A plain blocking libpq connection.
class Raw {
 public:
  explicit Raw(const std::string& url = server_url()) : pg_(PQconnectdb(url.c_str())) {
    if (PQstatus(pg_) != CONNECTION_OK) {
      const std::string message = PQerrorMessage(pg_);
      PQfinish(pg_);
      throw std::runtime_error("cannot connect to the test server: " + message);
    }
    PQsetNoticeProcessor(
        pg_, [](void*, const char*) {}, nullptr);  // "drop cascades to ..."
  }
  Raw(const Raw&) = delete;
  Raw& operator=(const Raw&) = delete;
  ~Raw() { PQfinish(pg_); }

  /// Every row of `sql` (parameters as text), each column as text ("NULL" for NULL).
  std::vector<std::vector<std::string>> rows(const std::string& sql, const std::vector<std::string>& params = {}) {
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p.c_str());
    PGresult* r =
        PQexecParams(pg_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0);
    const ExecStatusType status = PQresultStatus(r);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      const std::string message = PQresultErrorMessage(r);
      PQclear(r);
      throw std::runtime_error("SQL failed: " + sql + ": " + message);
    }
    std::vector<std::vector<std::string>> out;
    for (int i = 0; i < PQntuples(r); ++i) {
      std::vector<std::string> row;
      for (int c = 0; c < PQnfields(r); ++c) row.emplace_back(PQgetisnull(r, i, c) ? "NULL" : PQgetvalue(r, i, c));
      out.push_back(std::move(row));
    }
    PQclear(r);
    return out;
  }
  void exec(const std::string& sql, const std::vector<std::string>& params = {}) { (void)rows(sql, params); }
  std::string one(const std::string& sql, const std::vector<std::string>& params = {}) {
    const auto r = rows(sql, params);
    if (r.size() != 1 || r[0].size() != 1) throw std::runtime_error("expected one value from " + sql);
    return r[0][0];
  }

 private:
  PGconn* pg_;
};

}  // namespace postgres_test

namespace test_support {

template <>
struct StoreFixture<sessions::PostgresStore> : FixtureBase {
  std::string url = postgres_test::server_url();
  std::string table = postgres_test::unique_table();
  sessions::PostgresStore store{options()};

  sessions::PostgresStore::Options options() {
    sessions::PostgresStore::Options o = sessions::PostgresStore::options_from_url(url);
    o.table = table;
    o.clock = sessions::Clock(clock);
    o.logger = log.logger();
    return o;
  }
  std::int64_t rows() {
    postgres_test::Raw raw(url);
    return std::stoll(raw.one("SELECT count(*) FROM \"" + table + "\""));
  }

  StoreFixture() = default;
  StoreFixture(const StoreFixture&) = delete;
  StoreFixture& operator=(const StoreFixture&) = delete;
  ~StoreFixture() {
    try {
      postgres_test::Raw(url).exec("DROP TABLE IF EXISTS \"" + table + "\"");
    } catch (...) {  // the server may be down after a fault test; it is thrown away anyway
    }
  }
};

}  // namespace test_support
