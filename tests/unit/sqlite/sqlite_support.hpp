#pragma once
// SqliteStore in the shared fixtures (a fresh database file in a fresh directory per fixture), and
// raw access to the file through SQLite itself, to check what the store wrote and to write what
// Django would.

#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sessions/storage/sqlite.hpp"
#include "support/fixtures.hpp"

namespace test_support {

template <>
struct StoreFixture<sessions::SqliteStore> : FixtureBase {
  TempDir dir;
  std::filesystem::path db_path = dir.path / "db.sqlite3";
  sessions::SqliteStore store{options()};

  sessions::SqliteStore::Options options() {
    sessions::SqliteStore::Options o;
    o.path = db_path;
    o.clock = sessions::Clock(clock);
    o.logger = log.logger();
    return o;
  }
};

}  // namespace test_support

namespace sqlite_test {

using namespace std::chrono_literals;
using sessions::TimePoint;

inline constexpr std::string_view kKey = "abcdefghijklmnopqrstuvwxyz012345";
inline constexpr std::string_view kKey2 = "0123456789abcdefghijklmnopqrstuv";

/// A plain connection to a database file, for checks behind the store's back.
class Raw {
 public:
  explicit Raw(const std::filesystem::path& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
      throw std::runtime_error("cannot open " + path.string());
    }
    sqlite3_busy_timeout(db_, 5000);
  }
  Raw(const Raw&) = delete;
  Raw& operator=(const Raw&) = delete;
  ~Raw() { sqlite3_close_v2(db_); }

  void exec(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      const std::string message = error != nullptr ? error : "?";
      sqlite3_free(error);
      throw std::runtime_error("SQL failed: " + sql + ": " + message);
    }
  }

  /// Every row of `sql` (bound to `params` as text), each column as text ("NULL" for NULL).
  std::vector<std::vector<std::string>> rows(const std::string& sql, const std::vector<std::string>& params = {}) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
      throw std::runtime_error("cannot prepare " + sql + ": " + sqlite3_errmsg(db_));
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
      sqlite3_bind_text(st, static_cast<int>(i + 1), params[i].c_str(), -1, SQLITE_TRANSIENT);
    }
    std::vector<std::vector<std::string>> out;
    int rc = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      std::vector<std::string> row;
      for (int c = 0; c < sqlite3_column_count(st); ++c) {
        const unsigned char* text = sqlite3_column_text(st, c);
        row.emplace_back(text != nullptr ? reinterpret_cast<const char*>(text) : "NULL");
      }
      out.push_back(std::move(row));
    }
    const std::string error = sqlite3_errmsg(db_);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) throw std::runtime_error("query failed: " + sql + ": " + error);
    return out;
  }

  std::string one(const std::string& sql, const std::vector<std::string>& params = {}) {
    const auto r = rows(sql, params);
    if (r.size() != 1 || r[0].size() != 1) throw std::runtime_error("expected one value from " + sql);
    return r[0][0];
  }

  [[nodiscard]] sqlite3* handle() const noexcept { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace sqlite_test
