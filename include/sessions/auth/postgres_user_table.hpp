#pragma once
// Django's user table (auth_user: id, password, is_active, username) read from the PostgreSQL
// database a Django site uses (and that PostgresStore shares for django_session), as the lookup
// get_user and a login form need. Read-only. Needs libpq (sessions::postgres).
//
//   auth::PostgresUserTable users{"postgresql://app@db.internal/site"};   // the store's URL form
//   auto result = auth::get_user(session, config, users.lookup());
//
// One connection, opened on first use (connect_timeout and statement_timeout from the URL, as
// PostgresStore reads them) and dropped after a failure so that the next lookup reconnects; a
// mutex serialises lookups, so one table may serve every thread. An id the primary key's type
// cannot hold (text for an integer key) is no user, as Django's lookup finds none; any other
// failure is a StorageError.

#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../errors.hpp"
#include "../storage/postgres.hpp"
#include "login.hpp"

namespace sessions::auth {

class PostgresUserTable {
 public:
  /// `url`: `postgresql://...` (parameters as PostgresStore's). `table`: Django's auth_user
  /// unless the site has a custom user model table with the same columns; [A-Za-z0-9_] only
  /// (ConfigurationError), as the name is spliced into SQL.
  explicit PostgresUserTable(std::string_view url, std::string table = "auth_user")
      : options_(PostgresStore::options_from_url(url)), table_(std::move(table)) {
    if (table_.empty()) throw ConfigurationError("PostgresUserTable: empty table name");
    for (const char c : table_) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
      if (!ok) throw ConfigurationError("PostgresUserTable: the table name must be [A-Za-z0-9_]");
    }
  }

  /// The user whose primary key is `id`, if any.
  [[nodiscard]] std::optional<User> find(std::string_view id) const { return query("id", id); }
  /// The user named `username` (what a login form looks up before check_password).
  [[nodiscard]] std::optional<User> find_by_username(std::string_view username) const {
    return query("username", username);
  }
  /// A lookup for get_user.
  [[nodiscard]] auto lookup() const {
    return [this](std::string_view id) { return find(id); };
  }

 private:
  struct Finisher {
    void operator()(PGconn* c) const noexcept { ::PQfinish(c); }
  };
  struct Clearer {
    void operator()(PGresult* r) const noexcept { ::PQclear(r); }
  };

  void connect() const {
    std::vector<std::string> keys;
    std::vector<std::string> values;
    keys.emplace_back("connect_timeout");
    values.push_back(std::to_string(
        std::max<long long>(1, std::chrono::ceil<std::chrono::seconds>(options_.connect_timeout).count())));
    keys.emplace_back("options");
    values.push_back("-c statement_timeout=" + std::to_string(options_.statement_timeout.count()));
    if (!options_.conninfo.empty()) {
      keys.emplace_back("dbname");  // expanded: a whole connection string or URI
      values.push_back(options_.conninfo);
    }
    for (const auto& [k, v] : options_.parameters) {
      keys.push_back(k);
      values.push_back(v);
    }
    std::vector<const char*> k_ptrs;
    std::vector<const char*> v_ptrs;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      k_ptrs.push_back(keys[i].c_str());
      v_ptrs.push_back(values[i].c_str());
    }
    k_ptrs.push_back(nullptr);
    v_ptrs.push_back(nullptr);
    conn_.reset(::PQconnectdbParams(k_ptrs.data(), v_ptrs.data(), 1));
    if (!conn_ || ::PQstatus(conn_.get()) != CONNECTION_OK) {
      conn_.reset();
      throw StorageError("PostgresUserTable: cannot connect to the database");
    }
  }

  [[nodiscard]] std::optional<User> query(std::string_view column, std::string_view value) const {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (!conn_) connect();
    const std::string sql =
        "SELECT id::text, password, is_active, username FROM \"" + table_ + "\" WHERE " + std::string(column) + " = $1";
    const std::string text(value);
    const char* params[] = {text.c_str()};
    const std::unique_ptr<PGresult, Clearer> result(
        ::PQexecParams(conn_.get(), sql.c_str(), 1, nullptr, params, nullptr, nullptr, 0));
    const ExecStatusType status = result ? ::PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_TUPLES_OK) {
      const char* state = result ? ::PQresultErrorField(result.get(), PG_DIAG_SQLSTATE) : nullptr;
      // 22P02 invalid_text_representation: e.g. "abc" for an integer key. No such user.
      if (state != nullptr && std::string_view(state) == "22P02") return std::nullopt;
      if (::PQstatus(conn_.get()) != CONNECTION_OK) conn_.reset();  // reconnect next time
      throw StorageError("PostgresUserTable: user lookup failed");
    }
    if (::PQntuples(result.get()) == 0) return std::nullopt;
    const auto cell = [&](int col) {
      return std::string(::PQgetvalue(result.get(), 0, col),
                         static_cast<std::size_t>(::PQgetlength(result.get(), 0, col)));
    };
    return User{cell(0), cell(1), cell(2) == "t", cell(3)};
  }

  PostgresStore::Options options_;
  std::string table_;
  mutable std::mutex mutex_;
  mutable std::unique_ptr<PGconn, Finisher> conn_;
};

}  // namespace sessions::auth
