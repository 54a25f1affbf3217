#pragma once
// PostgresStore's side of the per-user index (sql_user_index.hpp writes the statements' order for
// both SQL stores): a Db on one pooled connection, the transaction under an advisory lock that
// index_session and purge_expired run in, and the IndexAccess that IndexMethods is given.

#include <libpq-fe.h>

#include <atomic>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "../../clock.hpp"
#include "../sql_common.hpp"
#include "pg_io.hpp"
#include "sql_user_index.hpp"

namespace sessions::detail::pg {

/// The index's statements on one connection (sql_user_index.hpp's Db).
template <class Client>
struct IndexDb {
  Client& client;
  Conn& c;
  const char* op;

  std::vector<std::vector<std::string>> rows(const std::string& sql, std::initializer_list<std::string_view> params) {
    std::vector<std::string> texts(params.begin(), params.end());  // NUL-terminated
    std::vector<const char*> values;
    for (const std::string& s : texts) values.push_back(s.c_str());
    const int n = static_cast<int>(values.size());
    Result r = client.run(c, op, {}, [&] {
      return ::PQsendQueryParams(c.pg, sql.c_str(), n, nullptr, values.data(), nullptr, nullptr, 0);
    });
    std::vector<std::vector<std::string>> out;
    for (int row = 0; row < ::PQntuples(r.get()); ++row) {
      std::vector<std::string>& cells = out.emplace_back();
      for (int col = 0; col < ::PQnfields(r.get()); ++col) {
        cells.emplace_back(::PQgetvalue(r.get(), row, col), static_cast<std::size_t>(::PQgetlength(r.get(), row, col)));
      }
    }
    return out;
  }
  void exec(const std::string& sql, std::initializer_list<std::string_view> params = {}) { (void)rows(sql, params); }
};

/// fn(db) in one transaction on one connection (the side table `index_sql` names created first
/// unless `index_ready`), under an advisory transaction lock on `lock_name` when it is not empty;
/// rolled back if it throws. A connection found broken is replaced and the whole transaction run
/// again (Client::call()).
template <class Client, class Fn>
std::invoke_result_t<Fn&, IndexDb<Client>&> in_transaction(Client& client, const char* op, const std::string& lock_name,
                                                           const sql::UserIndexSql& index_sql,
                                                           std::atomic<bool>& index_ready, Fn&& fn) {
  return client.call(op, {}, [&](Conn& c) -> std::invoke_result_t<Fn&, IndexDb<Client>&> {
    IndexDb<Client> db{client, c, op};
    if (!index_ready.load(std::memory_order_relaxed)) {
      db.exec("SELECT pg_advisory_lock(hashtext('sessions.create_table'))");
      try {
        db.exec(index_sql.create_table);
        db.exec(index_sql.create_user_index);
        db.exec(index_sql.create_expire_index);
      } catch (...) {
        if (!c.bad) db.exec("SELECT pg_advisory_unlock(hashtext('sessions.create_table'))");
        throw;
      }
      db.exec("SELECT pg_advisory_unlock(hashtext('sessions.create_table'))");
      index_ready = true;
    }
    db.exec("BEGIN");
    try {
      if (!lock_name.empty()) db.exec("SELECT pg_advisory_xact_lock(hashtext($1))", {lock_name});
      auto result = fn(db);
      db.exec("COMMIT");
      return result;
    } catch (...) {
      if (!c.bad) {
        try {
          db.exec("ROLLBACK");
        } catch (...) {  // the transaction's error is the one to report
        }
      }
      throw;
    }
  });
}

/// PostgresStore's way to connections for the per-user index (sql_user_index.hpp's IndexMethods);
/// `Client` is pg_client.hpp's.
template <class Client>
struct IndexAccess : sql::IndexState<Client> {
  std::string page_sql = pg::page_sql(this->table);

  template <class Fn>
  auto read(const char* op, Fn&& fn) {
    return write(op, {}, fn);
  }
  template <class Fn>
  auto write(const char* op, std::string_view key, Fn&& fn) {
    return this->client.call(op, key, [&](Conn& c) {
      IndexDb<Client> db{this->client, c, op};
      return fn(db);
    });
  }
  // Under an advisory transaction lock on the table and the user (none for the purge).
  template <class Fn>
  auto transaction(const char* op, std::string_view user, Fn&& fn) {
    const std::string lock_name = user.empty() ? std::string() : this->table + ":" + std::string(user);
    return pg::in_transaction(this->client, op, lock_name, this->index_sql, this->index_ready, fn);
  }
  [[nodiscard]] static sql::IndexNow index_now(TimePoint now) {
    return {timestamptz(now), std::to_string(sql::unix_micros(now))};
  }
  [[nodiscard]] static std::optional<TimePoint> expiry_of(const std::string& micros) {
    return sql::from_unix_micros(sql::int_of(micros));
  }
};

}  // namespace sessions::detail::pg
