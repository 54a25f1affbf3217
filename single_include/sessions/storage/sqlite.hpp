#pragma once
// sessions 0.1.0: Django's session framework as a header-only C++20 library, single-header edition.
//
// GENERATED FILE, DO NOT EDIT.
// It is produced from include/sessions/storage/sqlite.hpp by
//     python3 tools/amalgamate.py
// Change the headers under include/sessions/ and run that command again; CI fails when this file
// is out of date (python3 tools/amalgamate.py --check).
//
// The core comes from the single-header sessions.hpp next to this directory.

#include <sessions/sessions.hpp>

// ---- begin sessions/storage/sqlite.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_SQLITE_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_SQLITE_HPP
// SqliteStore: Django's db backend (django.contrib.sessions.backends.db) on an SQLite file,
// sharing Django's table and formats, so a Django application and this library can serve the same
// sessions from the same file. Needs libsqlite3 (CMake: link sessions::sqlite). This is the only
// header of the library that includes <sqlite3.h>.
//
// The table (created if missing; exactly the DDL of Django's `migrate`):
//   CREATE TABLE "django_session" ("session_key" varchar(40) NOT NULL PRIMARY KEY,
//                                  "session_data" text NOT NULL, "expire_date" datetime NOT NULL)
//   CREATE INDEX "django_session_expire_date_a5c62663" ON "django_session" ("expire_date")
// expire_date holds what Django writes with USE_TZ=True: naive UTC text `YYYY-MM-DD HH:MM:SS`
// plus `.ffffff` when the microseconds are not zero, compared as text, as Django does. Instants
// are kept to the microsecond (Django's precision; the nanoseconds of a TimePoint are floored).
// Another table name can be configured (a plain identifier; its index is `<table>_expire_date_idx`).
// If Django's `migrate` must also run on the file, run it first (or with --fake-initial), since
// Django's initial migration refuses an existing table.
//
// Sharing sessions with Django: pair the store with DjangoSignedSerializer and Django's SECRET_KEY.
//
//   sessions::SqliteStore store("sqlite:///srv/app/db.sqlite3");
//   sessions::DjangoSignedSerializer serializer(secret_key);
//   sessions::Session<sessions::SqliteStore, sessions::DjangoSignedSerializer> session(
//       store, key, settings, serializer);
//
// Operations (one SQL statement each, every value bound as a parameter; `now` comes from the
// store's Clock, never from SQL, so a ManualClock drives expiry in tests):
//   load     SELECT session_data, expire_date WHERE session_key = ? AND expire_date > now
//   create   INSERT ... ON CONFLICT (session_key) DO UPDATE ... WHERE expire_date <= now: a live
//            row is never overwritten (false), an expired one is replaced, atomically
//   update   UPDATE ... WHERE session_key = ? AND expire_date > now (0 rows: false; never creates)
//   touch    the same, setting expire_date only
//   update_if  the same, AND session_data = <expected> (compare-and-set, Settings::lost_update);
//            when no row changed, the exists statement tells conflict from missing
//   remove   DELETE WHERE session_key = ?
//   exists   SELECT 1 WHERE session_key = ? AND expire_date > now
//   clear_expired  DELETE WHERE expire_date <= now, in batches of Options::clear_batch rows so
//            that the write lock is released between batches; returns the count. (Django deletes
//            `expire_date < now`; `<=` removes exactly the rows that load() already treats as
//            gone, since a record ends AT its expiry instant.)
// Expired rows are not deleted by load(): a read stays a read (no write lock), as in Django.
// Keys are checked with is_valid_session_key() before any SQL: an invalid key is absent.
//
// Threads: one instance serves every thread. It keeps a small pool of connections (at most
// Options::pool_size, opened on demand; a call waits at most Options::pool_timeout for one), each
// with its statements prepared once; a call borrows a connection for the duration of one statement.
// A connection is used by one thread at a time, so they are opened SQLITE_OPEN_NOMUTEX (no per-call
// mutex inside SQLite), and readers never wait for each other or for the writer (WAL). Compared
// with one SQLITE_OPEN_FULLMUTEX connection, this lets reads run in parallel and saves preparing
// statements per call. SQLite admits one writer at a time: this process's writers queue on a mutex
// (SQLite's own busy handler would make them poll and sleep in steps of milliseconds), and a writer
// that finds the file locked by another process waits up to Options::busy_timeout, then fails with
// StorageError ("database is locked"). Do not use a store across fork(): open a new one in the
// child.
//
// Durability: WAL with synchronous=NORMAL (the default) never corrupts the database, and a
// committed write survives a crash of the process; a power loss or an OS crash may lose the last
// transactions before the next checkpoint (sessions written in the last moments may reappear in
// their previous state or vanish). SqliteSynchronous::full syncs the WAL on every commit: durable
// across power loss too, at the cost of an fsync per write. ::off leaves it to the OS.
//
// The per-user index (user_index.hpp): a side table `<table>_user_index` (sql_common.hpp),
// created on first use with its indexes on user_id and on expire_date; Django's table is not
// changed. index_session runs in one BEGIN IMMEDIATE transaction (the user's live entries counted,
// the oldest evicted or the new one refused, the entry written), so two logins, even from two
// processes, never both pass the limit. purge_expired deletes one batch of expired rows and their
// entries in one short transaction; remove() and clear_expired() delete the entries of the rows
// they delete (once this process has seen the side table exist).
//
// Errors: a file that cannot be opened or is not a database, or a table that is missing when
// create_table is off: ConfigurationError (from the constructor). Anything failing later (disk
// full, I/O error, locked beyond busy_timeout, corruption): StorageError with SQLite's message;
// the connection involved is closed and a fresh one is opened by the next call.

#include <sqlite3.h>

// ---- begin sessions/storage/detail/pool.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_POOL_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_POOL_HPP
// The connection pool every store that holds connections uses (SQLite, PostgreSQL, Redis,
// memcached): at most `pool_size` connections, opened on demand and shared by every thread; a
// caller that finds none free waits up to `pool_timeout` and then gets StorageTimeout. A
// connection is lent as a Lease (RAII): it goes back to the pool when the lease ends, or is
// closed when the lease was discard()ed because the connection broke. Optionally, failed connects
// start a back-off (doubling up to a maximum) during which no new connection is attempted, so an
// unreachable server costs one connect timeout per back-off period, not one per request.

namespace sessions::detail {

/// The pool settings every connection-holding store's Options carries, under these names.
struct PoolSettings {
  /// Most connections open at once (in use or idle). At least 1.
  std::size_t pool_size = 8;
  /// Longest wait for a free connection when all pool_size are in use. Positive.
  std::chrono::milliseconds pool_timeout{1000};
  /// After a failed connect, no new one for this long, doubling per consecutive failure up to
  /// backoff_max. Zero: no back-off.
  std::chrono::milliseconds backoff{0};
  std::chrono::milliseconds backoff_max{0};
};

/// The one validation rule for pool sizes and timeouts; `store` names the store in the message.
inline void validate_pool_settings(std::string_view store, const PoolSettings& s) {
  require_at_least_one(store, "pool_size", s.pool_size);
  require_positive(store, "pool_timeout", s.pool_timeout);
  if (s.backoff < std::chrono::milliseconds::zero() || s.backoff_max < s.backoff) {
    throw ConfigurationError(std::string(store) + ": the reconnect back-off must be 0 <= backoff <= backoff_max");
  }
}

/// `Conn` is a movable, pointer-like handle that closes its connection when destroyed (a
/// unique_ptr, possibly with a custom deleter).
template <class Conn>
class ConnectionPool {
 public:
  using SteadyClock = std::chrono::steady_clock;

  /// `store` names the store in configuration errors; `logger` and `category` receive the back-off
  /// warnings, prefixed with `server` ("RedisStore: 127.0.0.1:6379").
  ConnectionPool(std::string_view store, PoolSettings settings, Logger logger = {}, std::string_view category = {},
                 std::string server = {})
      : settings_(settings), logger_(logger), category_(category), server_(std::move(server)) {
    validate_pool_settings(store, settings_);
  }
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  /// A lent connection: back to the pool when the lease ends, unless discard()ed.
  class Lease {
   public:
    Lease(ConnectionPool& pool, Conn conn, bool fresh) noexcept : pool_(&pool), conn_(std::move(conn)), fresh_(fresh) {}
    Lease(Lease&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)), conn_(std::move(other.conn_)), fresh_(other.fresh_) {}
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (pool_ != nullptr) pool_->give_back(std::move(conn_));
    }
    // Conn is pointer-like: these reach the connection it owns.
    [[nodiscard]] auto get() const noexcept { return conn_.get(); }
    [[nodiscard]] auto operator->() const noexcept { return conn_.get(); }
    [[nodiscard]] auto& operator*() const noexcept { return *conn_; }
    /// True when the connection was opened for this lease (not reused from the pool).
    [[nodiscard]] bool fresh() const noexcept { return fresh_; }
    /// The connection broke: it is closed instead of going back, and its slot is freed.
    void discard() noexcept {
      if (pool_ == nullptr) return;
      { Conn closed = std::move(conn_); }
      std::exchange(pool_, nullptr)->forget_one();
    }

   private:
    ConnectionPool* pool_;
    Conn conn_;
    bool fresh_;
  };

  /// An idle connection (dropped first when `healthy(conn)` says it died while idle), or a new one
  /// from `connect()` (which throws StorageError when it cannot). When all pool_size are lent,
  /// waits up to pool_timeout, then throws StorageTimeout(`context(what)`); during a back-off,
  /// StorageError(`context(what)`). `context` turns "what" into the store's full message.
  template <class Connect, class Healthy, class Context>
  Lease acquire(Connect&& connect, Healthy&& healthy, Context&& context) {
    const auto deadline = SteadyClock::now() + settings_.pool_timeout;
    std::unique_lock lock(mutex_);
    for (;;) {
      while (!idle_.empty()) {
        Conn conn = std::move(idle_.back());
        idle_.pop_back();
        if (healthy(conn)) return Lease(*this, std::move(conn), false);
        --open_;  // closed by the server meanwhile: replaced below
      }
      if (open_ < settings_.pool_size) {
        const auto now = SteadyClock::now();
        if (now < retry_at_) {
          const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(retry_at_ - now);
          throw StorageError(context("the server is unreachable (" + last_error_ + "); next connection attempt in " +
                                     std::to_string(wait.count() + 1) + " ms"));
        }
        ++open_;  // reserved; connected outside the lock
        lock.unlock();
        return Lease(*this, connect_reserved(connect, context), true);
      }
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() && open_ >= settings_.pool_size) {
        throw StorageTimeout(context("no free connection within " + std::to_string(settings_.pool_timeout.count()) +
                                     " ms (pool_size " + std::to_string(settings_.pool_size) + ")"));
      }
    }
  }

  /// acquire() with every idle connection taken as healthy.
  template <class Connect, class Context>
  Lease acquire(Connect&& connect, Context&& context) {
    return acquire(
        std::forward<Connect>(connect), [](const Conn&) { return true; }, std::forward<Context>(context));
  }

  /// Adds a connection opened outside the pool (a store's constructor opens one to check its
  /// configuration); ignored when the pool is full.
  void adopt(Conn conn) {
    std::lock_guard lock(mutex_);
    if (open_ >= settings_.pool_size) return;
    idle_.push_back(std::move(conn));
    ++open_;
  }

  /// Connections open (lent, idle or being connected) and idle, at this instant.
  struct State {
    std::size_t open = 0;
    std::size_t idle = 0;
  };
  [[nodiscard]] State state() const {
    std::lock_guard lock(mutex_);
    return State{open_, idle_.size()};
  }
  [[nodiscard]] const PoolSettings& settings() const noexcept { return settings_; }
  /// The prefix of back-off messages, for a store that knows its server only after validating.
  void set_server(std::string server) { server_ = std::move(server); }

 private:
  // connect() for a slot already counted in open_: on failure the slot is freed, the back-off
  // starts (or grows), and the error is rethrown with the store's context.
  template <class Connect, class Context>
  Conn connect_reserved(Connect& connect, Context& context) {
    try {
      Conn conn = connect();
      std::unique_lock lock(mutex_);
      if (failures_ != 0) {
        const int failures = std::exchange(failures_, 0);
        retry_at_ = {};
        lock.unlock();
        logger_(LogLevel::info, category_,
                server_ + ": connected again after " + std::to_string(failures) + " failed attempt(s)");
      }
      return conn;
    } catch (const StorageError& e) {
      const std::string why = e.what();
      std::chrono::milliseconds pause{};
      {
        std::lock_guard lock(mutex_);
        --open_;
        ++failures_;
        pause = settings_.backoff;
        for (int i = 1; i < failures_ && pause < settings_.backoff_max; ++i) pause *= 2;
        if (pause > settings_.backoff_max) pause = settings_.backoff_max;
        retry_at_ = SteadyClock::now() + pause;
        last_error_ = why;
      }
      cv_.notify_one();
      if (pause > std::chrono::milliseconds::zero()) {
        logger_(LogLevel::warning, category_,
                server_ + ": " + why + "; no new attempt for " + std::to_string(pause.count()) + " ms");
      }
      throw StorageError(context(why));
    } catch (...) {
      forget_one();
      throw;
    }
  }

  void give_back(Conn conn) noexcept {
    {
      std::lock_guard lock(mutex_);
      try {
        idle_.push_back(std::move(conn));
      } catch (...) {
        --open_;  // no room to keep it: closed (conn's destructor, after the lock)
      }
    }
    cv_.notify_one();
  }

  void forget_one() noexcept {
    {
      std::lock_guard lock(mutex_);
      --open_;
    }
    cv_.notify_one();
  }

  PoolSettings settings_;
  Logger logger_;
  std::string_view category_;
  std::string server_;

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Conn> idle_;
  std::size_t open_ = 0;  // idle + lent + being connected
  int failures_ = 0;      // consecutive failed connects
  SteadyClock::time_point retry_at_{};
  std::string last_error_;
};

}  // namespace sessions::detail
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_POOL_HPP
// ---- end sessions/storage/detail/pool.hpp ----
// ---- begin sessions/storage/detail/sqlite_client.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_SQLITE_CLIENT_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_SQLITE_CLIENT_HPP
// SqliteStore's connections and statements (storage/sqlite.hpp describes the behaviour): the
// statement text and Django's DDL, opening a connection (pragmas, WAL, the table created under the
// write lock, the statements prepared once), the pool with its writer mutex, one execution of a
// prepared statement, and the per-user index's transactions.

// ---- begin sessions/storage/detail/sqlite_user_index.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_SQLITE_USER_INDEX_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_SQLITE_USER_INDEX_HPP
// SqliteStore's side of the per-user index (sql_user_index.hpp writes the statements' order for
// both SQL stores): its statements on one connection, prepared per call (they run at login,
// listing and purge time, never on a plain request), every parameter bound as text (SQLite's
// column affinity makes integers of the side table's numbers); the BEGIN IMMEDIATE transaction
// index_session and purge_expired run in; and the IndexAccess that IndexMethods is given.

// ---- begin sessions/storage/detail/sql_user_index.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_SQL_USER_INDEX_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_SQL_USER_INDEX_HPP
// The per-user index of the SQL stores (sql_common.hpp's side table), written once for both:
// each store lends a `Db` that runs one statement with text parameters on the connection of its
// open transaction, and this file says which statements, in which order.
//
//   db.rows(sql, {params...}) -> std::vector<std::vector<std::string>>   every row, as text
//   db.exec(sql, {params...})                                            no rows wanted
//
// index_session() must run in one transaction that excludes every other index_session() of the
// same user (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory transaction lock on the user), so two
// logins never both pass the limit.
//
// IndexMethods<Access> is the stores' UserIndexStorage on top of those statements: each store
// passes an Access, its way to a connection (see IndexMethods), and forwards to it.

namespace sessions::detail::sql {

/// `now` as both stores compare it: `sessions_now` for the sessions table (each store's own form),
/// microseconds for the side table.
struct IndexNow {
  std::string sessions_now;
  std::string micros;
};

template <class Db>
IndexOutcome index_session_in(Db& db, const UserIndexSql& q, std::string_view remove_sql, std::string_view user,
                              std::string_view key, const SessionDetails& d, const UserSessionLimit& limit,
                              const IndexNow& now) {
  IndexOutcome outcome;
  const auto owner = db.rows(q.owner, {key});
  const bool same_user = !owner.empty() && owner[0][0] == user;
  if (limit.max_sessions != 0 && !same_user) {
    std::vector<std::string> live;
    for (auto& row : db.rows(q.live_of_user, {user, now.sessions_now})) {
      if (row[0] != key) live.push_back(std::move(row[0]));
    }
    if (live.size() >= limit.max_sessions) {
      if (limit.at_limit == UserSessionLimit::AtLimit::refuse_new) {
        outcome.refused = true;
        return outcome;
      }
      const std::size_t excess = live.size() - limit.max_sessions + 1;  // least recently seen first
      for (std::size_t n = 0; n < excess; ++n) {
        db.exec(std::string(remove_sql), {live[n]});
        db.exec(q.remove_entry, {live[n]});
        outcome.evicted.push_back(std::move(live[n]));
      }
    }
  }
  db.exec(q.upsert, {key, user, std::to_string(unix_micros(d.created)), std::to_string(unix_micros(d.last_seen)),
                     std::to_string(unix_micros(d.expires_at)), d.user_agent, d.address});
  return outcome;
}

template <class Db>
std::vector<UserSession> list_in(Db& db, const UserIndexSql& q, std::string_view user, const IndexNow& now) {
  std::vector<UserSession> out;
  for (auto& row : db.rows(q.list, {user, now.sessions_now})) {
    out.push_back(UserSession{std::move(row[0]),
                              SessionDetails{from_unix_micros(int_of(row[1])), from_unix_micros(int_of(row[2])),
                                             from_unix_micros(int_of(row[3])), std::move(row[4]), std::move(row[5])}});
  }
  return out;
}

/// One bounded step of the purge, in the caller's transaction: at most `batch` expired sessions
/// deleted with their entries, then (within the same batch) entries whose session went without them.
template <class Db>
std::vector<PurgedSession> purge_in(Db& db, const UserIndexSql& q, std::size_t batch, const IndexNow& now) {
  std::vector<PurgedSession> purged;
  for (auto& row : db.rows(q.expired_batch, {now.sessions_now, std::to_string(batch)})) {
    purged.push_back(PurgedSession{std::move(row[0]), std::move(row[1])});
  }
  for (const PurgedSession& s : purged) {
    db.exec(q.remove_expired, {s.key, now.sessions_now});
    db.exec(q.remove_entry, {s.key});
  }
  if (purged.size() < batch) {
    for (auto& row : db.rows(q.orphans, {now.micros, now.sessions_now, std::to_string(batch - purged.size())})) {
      db.exec(q.remove_entry, {row[0]});
      purged.push_back(PurgedSession{std::move(row[0]), std::move(row[1])});
    }
  }
  return purged;
}

/// What each store's IndexAccess holds: its client, the sessions table, the side table's
/// statements, and whether the side table exists.
template <class Client>
struct IndexState {
  Client& client;
  const std::string& table;
  const UserIndexSql& index_sql;
  std::atomic<bool>& index_ready;
};

/// The per-user index of an SQL store, written once for SqliteStore and PostgresStore. `Access` is
/// the store's way to its connections, each lending a Db (rows/exec above):
///
///   access.read(op, fn)                 fn(db) on a pooled connection, no transaction
///   access.write(op, key, fn)           fn(db) for one write outside a transaction
///   access.transaction(op, user, fn)    fn(db) in one transaction that excludes every other one of
///                                       `user` (empty: the purge's), the side table created first
///   access.index_now(t) -> IndexNow     `t` in the store's two forms
///   access.page_sql                     for_each_session's page: (key, data, expiry) of the live
///                                       rows after key $2/?2, ordered by key
///   access.expiry_of(text)              that expiry column read back (nullopt: skip the row)
///   access.table, access.index_sql      the sessions table, the side table's statements
///   access.index_ready                  the side table exists (seen at open, or created by this
///                                       process): until then nothing is indexed, and the reads
///                                       answer empty without a query
template <class Access>
struct IndexMethods {
  Access access;
  // The sessions table's DELETE of one key (the eviction of index_session).
  const std::string& remove_sql;

  IndexOutcome index_session(std::string_view user, std::string_view key, const SessionDetails& details,
                             const UserSessionLimit& limit, TimePoint now) {
    if (!is_valid_session_key(key)) return {};
    const IndexNow at = access.index_now(now);
    return access.transaction("index_session", user, [&](auto& db) {
      return index_session_in(db, access.index_sql, remove_sql, user, key, details, limit, at);
    });
  }

  void unindex_session(std::string_view user, std::string_view key) {
    if (!access.index_ready.load(std::memory_order_relaxed)) return;
    access.write("unindex_session", key, [&](auto& db) {
      db.exec(access.index_sql.unindex, {key, user});
      return 0;
    });
  }

  std::vector<UserSession> user_sessions(std::string_view user, TimePoint now) {
    if (!access.index_ready.load(std::memory_order_relaxed)) return {};
    return access.read("user_sessions",
                       [&](auto& db) { return list_in(db, access.index_sql, user, access.index_now(now)); });
  }

  std::vector<PurgedSession> purge_expired(std::size_t batch, TimePoint now) {
    const IndexNow at = access.index_now(now);
    return access.transaction("purge_expired", {}, [&](auto& db) { return purge_in(db, access.index_sql, batch, at); });
  }

  void for_each_session(const std::function<void(std::string_view, const std::string&, TimePoint)>& fn, TimePoint now) {
    const std::string at = access.index_now(now).sessions_now;
    std::string after;
    for (;;) {
      const auto page = access.read("for_each_session", [&](auto& db) {
        return db.rows(access.page_sql, {at, after});
      });
      if (page.empty()) return;
      for (const auto& row : page) {
        if (const std::optional<TimePoint> expires = access.expiry_of(row[2])) fn(row[0], row[1], *expires);
      }
      after = page.back()[0];
    }
  }

  [[nodiscard]] std::size_t user_index_size() {
    if (!access.index_ready.load(std::memory_order_relaxed)) return 0;
    const auto rows = access.read("user_index_size", [&](auto& db) {
      return db.rows("SELECT count(*) FROM " + sql::quoted(user_index_table(access.table)), {});
    });
    return static_cast<std::size_t>(int_of(rows.at(0).at(0)));
  }
};

}  // namespace sessions::detail::sql
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_SQL_USER_INDEX_HPP
// ---- end sessions/storage/detail/sql_user_index.hpp ----

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
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_SQLITE_USER_INDEX_HPP
// ---- end sessions/storage/detail/sqlite_user_index.hpp ----

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
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_SQLITE_CLIENT_HPP
// ---- end sessions/storage/detail/sqlite_client.hpp ----

namespace sessions {

/// SQLite's `PRAGMA synchronous` (see SqliteStore's durability notes).
enum class SqliteSynchronous { off, normal, full, extra };

class SqliteStore {
 public:
  /// The store's name in events and messages.
  static constexpr std::string_view store_name = "SqliteStore";
  using payload_type = std::string;
  /// Django's `session_data text` column: a binary serializer is refused at compile time.
  static constexpr bool text_payload = true;

  struct Options {
    /// The database file; created if missing (its directory must exist).
    std::filesystem::path path;
    /// The sessions table: Django's by default.
    std::string table = std::string(detail::sql::kDjangoTable);
    /// Create the table and its index (Django's DDL) when the store opens and they are missing.
    bool create_table = true;
    /// How long a writer waits for the database lock before failing.
    std::chrono::milliseconds busy_timeout{5000};
    SqliteSynchronous synchronous = SqliteSynchronous::normal;
    /// journal_mode=WAL (set once, persistent in the file). Off: the file's journal mode is left
    /// as it is (use it on file systems without shared memory, e.g. network mounts).
    bool wal = true;
    /// Connections kept at most; a call waits up to pool_timeout for one when all are in use,
    /// then gets StorageTimeout.
    std::size_t pool_size = 8;
    std::chrono::milliseconds pool_timeout{5000};
    /// Rows deleted per statement by clear_expired().
    std::size_t clear_batch = 1000;
    Clock clock{};
    Logger logger{};
  };

  /// Options from a URL: `sqlite:///absolute/path.db`, `sqlite://relative/path.db` (or
  /// `sqlite:relative.db`), with optional parameters table, create_table, busy_timeout (ms),
  /// synchronous (off|normal|full|extra), wal, pool_size, pool_timeout (ms), clear_batch. Anything else is
  /// a ConfigurationError. In-memory databases are refused (each connection would see its own).
  [[nodiscard]] static Options options_from_url(std::string_view text) { return options_from_url(text, Options{}); }
  [[nodiscard]] static Options options_from_url(std::string_view text, Options base) {
    Url url = detail::parse_store_url("SqliteStore", text, {"sqlite", "sqlite3"});
    Options options = std::move(base);
    const std::string path = detail::url_local_path("SqliteStore", url);
    if (path == ":memory:" || path == "/:memory:" || path.starts_with("file:")) {
      throw ConfigurationError(
          "SqliteStore: in-memory and URI databases are not supported (every connection of "
          "the pool would see a different database); use a file");
    }
    options.path = path;
    detail::sql::take_common_parameters(url, options, 1'000'000);
    if (auto v = url.take_milliseconds("busy_timeout")) options.busy_timeout = *v;
    if (auto v = url.take_bool("wal")) options.wal = *v;
    if (auto v = url.take("synchronous")) {
      std::string lower = *v;
      for (char& c : lower) c = Url::ascii_lower(c);
      if (lower == "off" || lower == "0") {
        options.synchronous = SqliteSynchronous::off;
      } else if (lower == "normal" || lower == "1") {
        options.synchronous = SqliteSynchronous::normal;
      } else if (lower == "full" || lower == "2") {
        options.synchronous = SqliteSynchronous::full;
      } else if (lower == "extra" || lower == "3") {
        options.synchronous = SqliteSynchronous::extra;
      } else {
        throw ConfigurationError("SqliteStore: synchronous must be off, normal, full or extra, not '" + *v + "'");
      }
    }
    url.reject_unknown_parameters();
    return options;
  }

  explicit SqliteStore(Options options) : options_(std::move(options)) {
    detail::sql::validate_table_name("SqliteStore", options_.table);
    if (options_.path.empty()) throw ConfigurationError("SqliteStore: no database file given");
    if (::sqlite3_threadsafe() == 0) {
      throw ConfigurationError("SqliteStore: this libsqlite3 was built without thread support (SQLITE_THREADSAFE=0)");
    }
    detail::require_positive("SqliteStore", "busy_timeout", options_.busy_timeout);
    detail::require_at_least_one("SqliteStore", "clear_batch", options_.clear_batch);
    index_ready_ = client_.open(detail::sql::user_index_table(options_.table));
  }

  /// SqliteStore(options_from_url(url)) with the given clock and logger.
  explicit SqliteStore(std::string_view url, Clock clock = {}, Logger logger = {})
      : SqliteStore(detail::with_clock_and_logger(options_from_url(url), clock, logger)) {}

  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;
  ~SqliteStore() = default;

  [[nodiscard]] std::optional<Record<std::string>> load(std::string_view key) {
    if (!is_valid_session_key(key)) return std::nullopt;
    const std::string now = now_text();
    Lease c = client_.borrow("load");
    Statement st(client_, c, kLoad, "load", key);
    st.bind(1, key);
    st.bind(2, now);
    if (!st.step()) return std::nullopt;
    const std::string_view expire = st.column_text(1);
    const std::optional<TimePoint> expires_at = detail::sql::parse_utc(expire);
    if (!expires_at) {
      options_.logger(LogLevel::warning, kLogCategory,
                      detail::store_message("SqliteStore", "load", client_.path_string(), key,
                                            "the row has an unreadable expire_date; treated as absent"));
      return std::nullopt;
    }
    return Record<std::string>{std::string(st.column_text(0)), *expires_at};
  }

  [[nodiscard]] bool create(std::string_view key, const std::string& payload, TimePoint expires_at) {
    if (!is_valid_session_key(key)) return false;
    return client_.write_one("create", kCreate, key, {key, payload, detail::sql::format_utc(expires_at), now_text()});
  }

  [[nodiscard]] bool update(std::string_view key, const std::string& payload, TimePoint expires_at) {
    if (!is_valid_session_key(key)) return false;
    return client_.write_one("update", kUpdate, key, {key, payload, detail::sql::format_utc(expires_at), now_text()});
  }

  /// Compare-and-set (lost-update protection): UPDATE ... WHERE session_key = ? AND expire_date >
  /// now AND `session_data = <expected>`; when no row changed, an exists check tells a conflict from
  /// a missing record. No schema change: the table stays Django's.
  [[nodiscard]] CasResult update_if(std::string_view key, const std::string& payload, TimePoint expires_at,
                                    const std::string& expected) {
    if (!is_valid_session_key(key)) return CasResult::missing;
    const std::string now = now_text();
    const std::string expire = detail::sql::format_utc(expires_at);
    std::lock_guard writer(client_.writer());
    Lease c = client_.borrow("update_if");
    {
      Statement st(client_, c, kUpdateIf, "update_if", key);
      st.bind(1, key);
      st.bind(2, payload);
      st.bind(3, expire);
      st.bind(4, now);
      st.bind(5, expected);
      st.step();
      if (::sqlite3_changes(c->db) == 1) return CasResult::written;
    }
    // Under the writer mutex still: no write of this process comes in between.
    Statement st(client_, c, kExists, "update_if", key);
    st.bind(1, key);
    st.bind(2, now);
    return st.step() ? CasResult::conflict : CasResult::missing;
  }

  [[nodiscard]] bool touch(std::string_view key, TimePoint expires_at) {
    if (!is_valid_session_key(key)) return false;
    return client_.write_one("touch", kTouch, key, {key, detail::sql::format_utc(expires_at), now_text()});
  }

  void remove(std::string_view key) {
    if (!is_valid_session_key(key)) return;
    std::lock_guard writer(client_.writer());
    Lease c = client_.borrow("remove");
    {
      Statement st(client_, c, kRemove, "remove", key);
      st.bind(1, key);
      st.step();
    }
    if (index_ready_.load(std::memory_order_relaxed)) detail::SqliteIndexDb{c->db}.exec(index_sql_.remove_entry, {key});
  }

  [[nodiscard]] bool exists(std::string_view key) {
    if (!is_valid_session_key(key)) return false;
    const std::string now = now_text();
    Lease c = client_.borrow("exists");
    Statement st(client_, c, kExists, "exists", key);
    st.bind(1, key);
    st.bind(2, now);
    return st.step();
  }

  /// Deletes the rows whose expire_date is at or before now; returns how many.
  std::size_t clear_expired() {
    const std::string now = now_text();
    std::size_t removed = 0;
    for (;;) {
      std::lock_guard writer(client_.writer());  // released between batches
      Lease c = client_.borrow("clear_expired");
      Statement st(client_, c, kClearExpired, "clear_expired", {});
      st.bind(1, now);
      st.bind(2, static_cast<std::int64_t>(options_.clear_batch));
      st.step();
      const auto n = static_cast<std::size_t>(::sqlite3_changes(c->db));
      removed += n;
      if (n < options_.clear_batch) break;
    }
    if (index_ready_.load(std::memory_order_relaxed)) {
      std::lock_guard writer(client_.writer());
      Lease c = client_.borrow("clear_expired");
      detail::SqliteIndexDb{c->db}.exec(index_sql_.clear_orphans);
    }
    return removed;
  }

  // --- the per-user index (UserIndexStorage, user_index.hpp) -------------------------------------

  IndexOutcome index_session(std::string_view user, std::string_view key, const SessionDetails& details,
                             const UserSessionLimit& limit) {
    return index().index_session(user, key, details, limit, options_.clock.now());
  }
  void unindex_session(std::string_view user, std::string_view key) { index().unindex_session(user, key); }
  /// The user's live sessions (their rows still there, unexpired), oldest first.
  std::vector<UserSession> user_sessions(std::string_view user, TimePoint now) {
    return index().user_sessions(user, now);
  }
  /// Deletes at most `batch` expired rows and their entries in one short write transaction.
  std::vector<PurgedSession> purge_expired(std::size_t batch, TimePoint now) {
    return index().purge_expired(batch, now);
  }
  /// Calls fn(key, payload, expires_at) for each live row, read a page at a time (no transaction
  /// held while fn runs).
  void for_each_session(const std::function<void(std::string_view, const std::string&, TimePoint)>& fn) {
    index().for_each_session(fn, options_.clock.now());
  }
  /// Entries of the side table (0 when it does not exist): what a test of the index's growth counts.
  [[nodiscard]] std::size_t user_index_size() { return index().user_index_size(); }

  /// SQL statements executed so far (each is one call into SQLite; for metrics and tests).
  [[nodiscard]] std::uint64_t statements_executed() const noexcept { return client_.statements_executed(); }
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return options_.path; }
  [[nodiscard]] const std::string& table() const noexcept { return options_.table; }
  [[nodiscard]] const Clock& clock() const noexcept { return options_.clock; }

 private:
  static constexpr std::string_view kLogCategory = "sessions.storage.sqlite";
  using enum detail::sql::StatementId;
  using Client = detail::sqlite::Client<Options>;
  using Lease = typename Client::Lease;
  using Statement = typename Client::Statement;

  [[nodiscard]] detail::sql::IndexMethods<detail::sqlite::IndexAccess<Client>> index() {
    return {{{client_, options_.table, index_sql_, index_ready_}}, client_.statement(kRemove)};
  }

  [[nodiscard]] std::string now_text() const { return detail::sql::format_utc(options_.clock.now()); }

  Options options_;
  Client client_{options_};
  detail::sql::UserIndexSql index_sql_ = detail::sql::user_index_sql(options_.table, '?');
  // The side table exists (seen at open, or created by this process).
  std::atomic<bool> index_ready_{false};
};

}  // namespace sessions
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_SQLITE_HPP
// ---- end sessions/storage/sqlite.hpp ----
