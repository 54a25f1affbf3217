#pragma once
// SqliteStore's connections and statements (storage/sqlite.hpp describes the behaviour): the
// statement text and Django's DDL, opening a connection (pragmas, WAL, the table created under the
// write lock, the statements prepared once), the pool with its writer mutex, one execution of a
// prepared statement, and the per-user index's transactions.

#include <sqlite3.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "../../clock.hpp"
#include "../../errors.hpp"
#include "../sql_common.hpp"
#include "pool.hpp"
#include "sqlite_user_index.hpp"
#include "store_options.hpp"

namespace sessions::detail::sqlite {

using sql::StatementId;
using enum sql::StatementId;
// The statements SQLite prepares: all but PostgreSQL's kHolds.
inline constexpr std::size_t kPrepared = kHolds;
static_assert(kHolds + 1 == kStatementCount, "kHolds, PostgreSQL's only statement, must come last");

/// The statements of SqliteStore's operations on `table`, ?1, ?2, ... as their parameters.
[[nodiscard]] inline std::array<std::string, kPrepared> statements(const std::string& table) {
  std::array<std::string, kPrepared> sql;
  const std::string t = sql::quoted(table);
  sql[kLoad] =
      "SELECT \"session_data\", \"expire_date\" FROM " + t + " WHERE \"session_key\" = ?1 AND \"expire_date\" > ?2";
  sql[kCreate] = "INSERT INTO " + t +
                 " (\"session_key\", \"session_data\", \"expire_date\") VALUES (?1, ?2, ?3)"
                 " ON CONFLICT (\"session_key\") DO UPDATE SET \"session_data\" = excluded.\"session_data\","
                 " \"expire_date\" = excluded.\"expire_date\" WHERE " +
                 t + ".\"expire_date\" <= ?4";
  sql[kUpdate] = "UPDATE " + t +
                 " SET \"session_data\" = ?2, \"expire_date\" = ?3 WHERE \"session_key\" = ?1 AND \"expire_date\" > ?4";
  sql[kTouch] = "UPDATE " + t + " SET \"expire_date\" = ?2 WHERE \"session_key\" = ?1 AND \"expire_date\" > ?3";
  sql[kUpdateIf] =
      "UPDATE " + t +
      " SET \"session_data\" = ?2, \"expire_date\" = ?3 WHERE \"session_key\" = ?1 AND \"expire_date\" > ?4"
      " AND \"session_data\" = ?5";
  sql[kRemove] = "DELETE FROM " + t + " WHERE \"session_key\" = ?1";
  sql[kExists] = "SELECT 1 FROM " + t + " WHERE \"session_key\" = ?1 AND \"expire_date\" > ?2";
  sql[kClearExpired] =
      "DELETE FROM " + t + " WHERE rowid IN (SELECT rowid FROM " + t + " WHERE \"expire_date\" <= ?1 LIMIT ?2)";
  return sql;
}

/// Django's DDL for the table and its index (SQLite keeps the text as written: no IF NOT EXISTS).
[[nodiscard]] inline std::string create_table_sql(const std::string& table) {
  return "CREATE TABLE " + sql::quoted(table) +
         " (\"session_key\" varchar(40) NOT NULL PRIMARY KEY, \"session_data\" text NOT NULL, "
         "\"expire_date\" datetime NOT NULL); CREATE INDEX " +
         sql::quoted(sql::expire_index_name(table)) + " ON " + sql::quoted(table) + " (\"expire_date\")";
}

struct Connection {
  sqlite3* db = nullptr;
  std::array<sqlite3_stmt*, kPrepared> statements{};
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() {
    for (sqlite3_stmt* s : statements) ::sqlite3_finalize(s);  // NULL is a no-op
    ::sqlite3_close_v2(db);
  }
};

/// SqliteStore's way to the database file. `Options` is SqliteStore::Options (path, table,
/// create_table, busy_timeout, synchronous, wal, pool_size, pool_timeout), which must outlive
/// the client.
template <class Options>
class Client {
  struct Pool {
    Pool(std::string_view store, PoolSettings settings) : connections(store, settings) {}
    ConnectionPool<std::unique_ptr<Connection>> connections;
    // Held by this process's writers: SQLite admits one writer at a time anyway, and a writer that
    // finds the lock taken sleeps in steps of milliseconds (its busy handler). Queueing on a mutex
    // instead hands the lock over at once; busy_timeout is left for other processes.
    std::mutex writer;
  };

  // A borrowed connection; goes back to the pool unless discard() was called (after an error).

 public:
  // A borrowed connection; goes back to the pool unless discard() was called (after an error).
  using Lease = ConnectionPool<std::unique_ptr<Connection>>::Lease;

  // One execution of a prepared statement; reset on scope exit (which ends its read transaction).
  class Statement {
   public:
    Statement(Client& client, Lease& lease, StatementId id, const char* op, std::string_view key)
        : client_(client), lease_(lease), st_((*lease).statements[id]), op_(op), key_(key) {}
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement() {
      if (st_ != nullptr) {
        ::sqlite3_reset(st_);
        ::sqlite3_clear_bindings(st_);
      }
    }

    void bind(int index, std::string_view text) {
      check(::sqlite3_bind_text64(st_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8));
    }
    void bind(int index, std::int64_t value) { check(::sqlite3_bind_int64(st_, index, value)); }

    // True for a row, false when done; StorageError otherwise.
    bool step() {
      client_.statements_.fetch_add(1, std::memory_order_relaxed);
      const int rc = ::sqlite3_step(st_);
      if (rc == SQLITE_ROW) return true;
      if (rc == SQLITE_DONE) return false;
      fail(rc);
    }

    [[nodiscard]] std::string_view column_text(int column) const {
      const unsigned char* text = ::sqlite3_column_text(st_, column);
      const int size = ::sqlite3_column_bytes(st_, column);
      if (text == nullptr || size <= 0) return {};
      return {reinterpret_cast<const char*>(text), static_cast<std::size_t>(size)};
    }

   private:
    void check(int rc) {
      if (rc != SQLITE_OK) fail(rc);
    }
    [[noreturn]] void fail(int rc) {
      // `SqliteStore::op: message (code) (file, session abcd...)`, the stores' error format.
      std::string message =
          store_message("SqliteStore", op_, client_.path_string_, key_,
                        std::string(::sqlite3_errmsg(lease_->db)) + " (" + ::sqlite3_errstr(rc) + ")");
      ::sqlite3_reset(st_);
      ::sqlite3_clear_bindings(st_);
      st_ = nullptr;
      // The connection may be in any state after an I/O error or a corruption: a fresh one is
      // opened by the next call.
      lease_.discard();
      throw StorageError(message);
    }

    Client& client_;
    Lease& lease_;
    sqlite3_stmt* st_;
    const char* op_;
    std::string_view key_;
  };

  explicit Client(const Options& options)
      : options_(options),
        pool_(std::make_unique<Pool>("SqliteStore", PoolSettings{options.pool_size, options.pool_timeout})) {}
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Opens one connection now, once the options are validated: a file that cannot be used is a
  // configuration error, reported here rather than at the first request. True when the side
  // table `index_table` exists.
  bool open(const std::string& index_table) {
    path_string_ = options_.path.string();
    sql_ = statements(options_.table);
    auto first = open_connection(/*initialize=*/true);
    const bool index_exists =
        !SqliteIndexDb{first->db}
             .rows("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", {index_table})
             .empty();
    pool_->connections.adopt(std::move(first));
    return index_exists;
  }

  Lease borrow(const char* op) {
    return pool_->connections.acquire(
        [this] { return open_connection(/*initialize=*/false); },
        [&](const std::string& what) { return store_message("SqliteStore", op, path_string_, {}, what); });
  }

  /// Held by this process's writers (see Pool::writer).
  [[nodiscard]] std::mutex& writer() noexcept { return pool_->writer; }

  // Runs the write statement `id` with `texts` bound to ?1, ?2, ... under the writer mutex; true
  // when it changed exactly one row.
  bool write_one(const char* op, StatementId id, std::string_view key, std::initializer_list<std::string_view> texts) {
    std::lock_guard writer(pool_->writer);
    Lease c = borrow(op);
    Statement st(*this, c, id, op, key);
    int index = 0;
    for (const std::string_view text : texts) st.bind(++index, text);
    st.step();
    return ::sqlite3_changes(c->db) == 1;
  }

  // Runs `sql` (no results wanted) on `db`; the error text, or nullopt on success.
  std::optional<std::string> exec(sqlite3* db, const std::string& sql) {
    statements_.fetch_add(1, std::memory_order_relaxed);
    char* error = nullptr;
    const int rc = ::sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    if (rc == SQLITE_OK) return std::nullopt;
    std::string message = error != nullptr ? error : ::sqlite3_errstr(rc);
    ::sqlite3_free(error);
    return message + " (" + ::sqlite3_errstr(rc) + ")";
  }

  /// The text of the statement `id` (for the index's evictions, which delete rows as remove() does).
  [[nodiscard]] const std::string& statement(StatementId id) const noexcept { return sql_[id]; }
  [[nodiscard]] const std::string& path_string() const noexcept { return path_string_; }
  /// SQL statements executed so far (each is one call into SQLite).
  [[nodiscard]] std::uint64_t statements_executed() const noexcept {
    return statements_.load(std::memory_order_relaxed);
  }

 private:
  template <class Fail>
  bool table_exists(sqlite3* db, Fail& fail) {
    sqlite3_stmt* st = nullptr;
    const char* sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1 COLLATE NOCASE";
    statements_.fetch_add(1, std::memory_order_relaxed);
    int rc = ::sqlite3_prepare_v2(db, sql, -1, &st, nullptr);
    if (rc == SQLITE_OK) rc = ::sqlite3_bind_text(st, 1, options_.table.c_str(), -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = ::sqlite3_step(st);
    const std::string error = ::sqlite3_errmsg(db);
    ::sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) fail("cannot read the schema: " + error);
    return rc == SQLITE_ROW;
  }

  // A new connection with its pragmas set and statements prepared. `initialize` (the first
  // connection): also sets the journal mode and creates the table, and every failure is a
  // ConfigurationError; later ones fail with StorageError.
  std::unique_ptr<Connection> open_connection(bool initialize) {
    auto c = std::make_unique<Connection>();
    auto fail = [&](const std::string& what) -> void {
      if (initialize) throw ConfigurationError("SqliteStore: " + what + " (" + path_string_ + ")");
      throw StorageError(what);  // borrow() adds the store, the operation and the file
    };
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    const int rc = ::sqlite3_open_v2(path_string_.c_str(), &c->db, flags, nullptr);
    if (rc != SQLITE_OK) {
      fail(std::string("cannot open the database: ") +
           (c->db != nullptr ? ::sqlite3_errmsg(c->db) : ::sqlite3_errstr(rc)));
    }
    ::sqlite3_extended_result_codes(c->db, 1);
    const auto busy_ms = options_.busy_timeout.count();
    ::sqlite3_busy_timeout(c->db, busy_ms > 0x7fffffff ? 0x7fffffff : static_cast<int>(busy_ms));
    static constexpr std::array<const char*, 4> kSync = {"OFF", "NORMAL", "FULL", "EXTRA"};
    const std::string pragmas =
        std::string("PRAGMA synchronous = ") + kSync[static_cast<std::size_t>(options_.synchronous)];
    if (auto e = exec(c->db, pragmas)) fail("cannot configure the connection: " + *e);
    if (initialize) {
      if (options_.wal) {
        if (auto e = exec(c->db, "PRAGMA journal_mode = WAL")) fail("cannot switch to WAL: " + *e);
      }
      // Checked first, so that a read-only database with the table in place opens (for reading).
      // Django's exact DDL has no IF NOT EXISTS (SQLite keeps the text as written), so the check
      // is repeated under the write lock, where no other process can create the table meanwhile.
      if (options_.create_table && !table_exists(c->db, fail)) {
        std::optional<std::string> e = exec(c->db, "BEGIN IMMEDIATE");
        if (!e && !table_exists(c->db, fail)) e = exec(c->db, create_table_sql(options_.table));
        if (!e) e = exec(c->db, "COMMIT");
        if (e) {
          (void)exec(c->db, "ROLLBACK");
          fail("cannot create the table " + options_.table + ": " + *e);
        }
      }
    }
    for (std::size_t i = 0; i < kPrepared; ++i) {
      const int prc = ::sqlite3_prepare_v3(c->db, sql_[i].c_str(), static_cast<int>(sql_[i].size() + 1),
                                           SQLITE_PREPARE_PERSISTENT, &c->statements[i], nullptr);
      if (prc != SQLITE_OK) {
        fail("cannot prepare a statement on the table " + options_.table + ": " + ::sqlite3_errmsg(c->db) +
             (options_.create_table ? "" : " (create_table is off: does the table exist?)"));
      }
    }
    return c;
  }

  const Options& options_;
  std::string path_string_;
  std::array<std::string, kPrepared> sql_;
  std::unique_ptr<Pool> pool_;
  std::atomic<std::uint64_t> statements_{0};
};

}  // namespace sessions::detail::sqlite
