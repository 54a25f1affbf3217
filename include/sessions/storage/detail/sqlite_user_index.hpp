#pragma once
// SqliteStore's statements of the per-user index (sql_user_index.hpp) on one connection: prepared
// per call (they run at login, listing and purge time, never on a plain request), every
// parameter bound as text (SQLite's column affinity makes integers of the side table's numbers).

#include <sqlite3.h>

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "../../errors.hpp"
#include "sql_user_index.hpp"

namespace sessions::detail {

struct SqliteIndexDb {
  sqlite3* db;

  std::vector<std::vector<std::string>> rows(const std::string& sql, std::initializer_list<std::string_view> params) {
    std::vector<std::vector<std::string>> out;
    sqlite3_stmt* st = nullptr;
    int rc = ::sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size() + 1), &st, nullptr);
    int index = 0;
    for (const std::string_view p : params) {
      if (rc != SQLITE_OK) break;
      rc = ::sqlite3_bind_text64(st, ++index, p.data(), p.size(), SQLITE_STATIC, SQLITE_UTF8);
    }
    while (rc == SQLITE_OK || rc == SQLITE_ROW) {
      rc = ::sqlite3_step(st);
      if (rc != SQLITE_ROW) break;
      std::vector<std::string>& row = out.emplace_back();
      for (int c = 0; c < ::sqlite3_column_count(st); ++c) {
        const unsigned char* text = ::sqlite3_column_text(st, c);
        const int n = ::sqlite3_column_bytes(st, c);
        row.emplace_back(text == nullptr || n <= 0
                             ? std::string()
                             : std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(n)));
      }
    }
    const std::string error = ::sqlite3_errmsg(db);
    ::sqlite3_finalize(st);
    if (rc != SQLITE_DONE) throw StorageError("SqliteStore: the per-user index: " + error);
    return out;
  }
  void exec(const std::string& sql, std::initializer_list<std::string_view> params = {}) { (void)rows(sql, params); }
};

}  // namespace sessions::detail
