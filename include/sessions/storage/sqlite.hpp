#pragma once
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

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "../clock.hpp"
#include "../errors.hpp"
#include "../log.hpp"
#include "../record.hpp"
#include "../session_key.hpp"
#include "../user_index.hpp"
#include "detail/pool.hpp"
#include "detail/sqlite_client.hpp"
#include "detail/sqlite_user_index.hpp"
#include "detail/sql_user_index.hpp"
#include "detail/store_options.hpp"
#include "sql_common.hpp"
#include "url.hpp"

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
