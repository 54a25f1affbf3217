#pragma once
// Django's user table (auth_user: id, password, is_active, username) read from the SQLite file a
// Django site uses (and that SqliteStore shares for django_session), as the lookup get_user and a
// login form need. Read-only: this never writes a user. Needs libsqlite3 (sessions::sqlite).
//
//   auth::SqliteUserTable users{"sqlite:///srv/site/db.sqlite3"};    // the store's URL form
//   auto result = auth::get_user(session, config, users.lookup());
//   std::optional<auth::User> u = users.find_by_username("alice");   // for a login form
//
// The connection is opened read-only on first use and kept; a mutex serialises lookups, so one
// table may serve every thread. A missing table, a locked database past busy_timeout or any
// other SQLite failure is a StorageError (the caller decides: a login page should say "try
// again", not "wrong password").

#include <sqlite3.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "../errors.hpp"
#include "../storage/sqlite.hpp"
#include "login.hpp"

namespace sessions::auth {

class SqliteUserTable {
 public:
  /// `url`: `sqlite:///absolute/path.db` (parameters as SqliteStore's; busy_timeout is used).
  /// `table`: Django's auth_user unless the site has a custom user model table with the same
  /// columns. Only [A-Za-z0-9_] names are accepted (ConfigurationError), as the name is spliced
  /// into SQL.
  explicit SqliteUserTable(std::string_view url, std::string table = "auth_user")
      : options_(SqliteStore::options_from_url(url)), table_(std::move(table)) {
    if (table_.empty()) throw ConfigurationError("SqliteUserTable: empty table name");
    for (const char c : table_) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
      if (!ok) throw ConfigurationError("SqliteUserTable: the table name must be [A-Za-z0-9_]");
    }
  }

  /// The user whose primary key is `id`, if any (Django's ModelBackend.get_user before its
  /// is_active check, which get_user does).
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
  struct Closer {
    void operator()(sqlite3* db) const noexcept { ::sqlite3_close_v2(db); }
  };
  struct Finalizer {
    void operator()(sqlite3_stmt* st) const noexcept { ::sqlite3_finalize(st); }
  };

  [[noreturn]] void fail(std::string_view what) const {
    std::string message = "SqliteUserTable: " + std::string(what);
    if (db_) message += std::string(": ") + ::sqlite3_errmsg(db_.get());
    throw StorageError(message);
  }

  [[nodiscard]] std::optional<User> query(std::string_view column, std::string_view value) const {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (!db_) {
      sqlite3* raw = nullptr;
      const int rc =
          ::sqlite3_open_v2(options_.path.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
      db_.reset(raw);
      if (rc != SQLITE_OK) {
        db_.reset();
        throw StorageError("SqliteUserTable: cannot open the database");
      }
      ::sqlite3_busy_timeout(db_.get(), static_cast<int>(options_.busy_timeout.count()));
    }
    const std::string sql =
        "SELECT id, password, is_active, username FROM \"" + table_ + "\" WHERE " + std::string(column) + " = ?1";
    sqlite3_stmt* raw = nullptr;
    if (::sqlite3_prepare_v2(db_.get(), sql.c_str(), -1, &raw, nullptr) != SQLITE_OK)
      fail("cannot query the user table");
    const std::unique_ptr<sqlite3_stmt, Finalizer> st(raw);
    if (::sqlite3_bind_text(st.get(), 1, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT) != SQLITE_OK) {
      fail("cannot bind the lookup value");
    }
    const int rc = ::sqlite3_step(st.get());
    if (rc == SQLITE_DONE) return std::nullopt;
    if (rc != SQLITE_ROW) fail("user lookup failed");
    const auto text = [&](int col) {
      const auto* p = reinterpret_cast<const char*>(::sqlite3_column_text(st.get(), col));
      return p == nullptr ? std::string()
                          : std::string(p, static_cast<std::size_t>(::sqlite3_column_bytes(st.get(), col)));
    };
    return User{text(0), text(1), ::sqlite3_column_int64(st.get(), 2) != 0, text(3)};
  }

  SqliteStore::Options options_;
  std::string table_;
  mutable std::mutex mutex_;
  mutable std::unique_ptr<sqlite3, Closer> db_;
};

}  // namespace sessions::auth
