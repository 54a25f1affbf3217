#pragma once
// SqliteStore's side of the per-user index (sql_user_index.hpp writes the statements' order for
// both SQL stores): its statements on one connection, prepared per call (they run at login,
// listing and purge time, never on a plain request), every parameter bound as text (SQLite's
// column affinity makes integers of the side table's numbers); the BEGIN IMMEDIATE transaction
// index_session and purge_expired run in; and the IndexAccess that IndexMethods is given.

#include <sqlite3.h>

#include <atomic>
#include <cstddef>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "../../clock.hpp"
#include "../../errors.hpp"
#include "../sql_common.hpp"
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

namespace sessions::detail::sqlite {

/// for_each_session's page: the live rows after the key ?2.
[[nodiscard]] inline std::string page_sql(const std::string& table) {
  return "SELECT \"session_key\", \"session_data\", \"expire_date\" FROM " + sql::quoted(table) +
         " WHERE \"expire_date\" > ?1 AND \"session_key\" > ?2 ORDER BY \"session_key\" LIMIT 500";
}

/// Runs fn(db) in one BEGIN IMMEDIATE transaction (the side table created first if missing),
/// under the writer mutex; rolled back if it throws.
template <class Client, class Fn>
std::invoke_result_t<Fn&, SqliteIndexDb&> in_transaction(Client& client, const char* op,
                                                         const sql::UserIndexSql& index_sql,
                                                         std::atomic<bool>& index_ready, Fn&& fn) {
  std::lock_guard writer(client.writer());
  typename Client::Lease c = client.borrow(op);
  SqliteIndexDb db{c->db};
  if (!index_ready.load(std::memory_order_relaxed)) {
    db.exec(index_sql.create_table);
    db.exec(index_sql.create_user_index);
    db.exec(index_sql.create_expire_index);
    index_ready = true;
  }
  db.exec("BEGIN IMMEDIATE");
  try {
    auto result = fn(db);
    db.exec("COMMIT");
    return result;
  } catch (...) {
    (void)client.exec(c->db, "ROLLBACK");
    throw;
  }
}

/// SqliteStore's way to connections for the per-user index (sql_user_index.hpp's IndexMethods);
/// `Client` is sqlite_client.hpp's.
template <class Client>
struct IndexAccess : sql::IndexState<Client> {
  std::string page_sql = sqlite::page_sql(this->table);

  template <class Fn>
  auto read(const char* op, Fn&& fn) {
    typename Client::Lease c = this->client.borrow(op);
    SqliteIndexDb db{c->db};
    return fn(db);
  }
  template <class Fn>
  auto write(const char* op, std::string_view /*key*/, Fn&& fn) {
    std::lock_guard writer(this->client.writer());
    return read(op, fn);
  }
  // BEGIN IMMEDIATE: every other writer, of any user, waits (SQLite has one writer at a time).
  template <class Fn>
  auto transaction(const char* op, std::string_view /*user*/, Fn&& fn) {
    return sqlite::in_transaction(this->client, op, this->index_sql, this->index_ready, fn);
  }
  [[nodiscard]] static sql::IndexNow index_now(TimePoint now) {
    return {sql::format_utc(now), std::to_string(sql::unix_micros(now))};
  }
  [[nodiscard]] static std::optional<TimePoint> expiry_of(const std::string& text) { return sql::parse_utc(text); }
};

}  // namespace sessions::detail::sqlite
