#pragma once
// sessions 0.1.0: Django's session framework as a header-only C++20 library, single-header edition.
//
// GENERATED FILE, DO NOT EDIT.
// It is produced from include/sessions/storage/postgres.hpp by
//     python3 tools/amalgamate.py
// Change the headers under include/sessions/ and run that command again; CI fails when this file
// is out of date (python3 tools/amalgamate.py --check).
//
// The core comes from the single-header sessions.hpp next to this directory.

#include <sessions/sessions.hpp>

// ---- begin sessions/storage/postgres.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_POSTGRES_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_POSTGRES_HPP
// PostgresStore: Django's db backend (django.contrib.sessions.backends.db) on PostgreSQL, sharing
// Django's table, so a Django application and this library can serve the same sessions. Needs
// libpq (CMake: link sessions::postgres). This is the only header of the library that includes
// <libpq-fe.h>.
//
// The table (created if missing, as Django's `migrate` creates it):
//   CREATE TABLE "django_session" ("session_key" varchar(40) NOT NULL PRIMARY KEY,
//       "session_data" text NOT NULL, "expire_date" timestamp with time zone NOT NULL)
//   CREATE INDEX "django_session_expire_date_a5c62663" ON "django_session" ("expire_date")
//   CREATE INDEX "django_session_session_key_c0390e0f_like" ON "django_session"
//       ("session_key" varchar_pattern_ops)
// Another table name can be configured (a plain identifier, resolved through the search_path).
// If Django's `migrate` must also run on the database, run it first (or with --fake-initial).
// Instants are exact to the microsecond (timestamptz's precision): they are sent as UTC text
// (`2024-01-02 03:04:05.123456+00`) and read back as integer microseconds since the epoch, so
// neither the session's TimeZone nor DateStyle matters.
//
// Sharing sessions with Django: pair the store with DjangoSignedSerializer and Django's SECRET_KEY.
//
//   sessions::PostgresStore store("postgresql://app:secret@db.internal:5432/app?pool_size=8");
//   sessions::DjangoSignedSerializer serializer(secret_key);
//   sessions::Session<sessions::PostgresStore, sessions::DjangoSignedSerializer> session(
//       store, key, settings, serializer);
//
// Operations: the statements and their semantics are SqliteStore's (load/exists see only rows
// with expire_date > now, `now` from the store's Clock and passed as a parameter; create is
// INSERT ... ON CONFLICT DO UPDATE ... WHERE the existing row has expired, so a live row is never
// overwritten; update/touch never create; update_if adds AND session_data = <expected>; clear_expired deletes expire_date <= now in batches of
// Options::clear_batch rows). Each statement is prepared once per connection (on its first use)
// and then costs exactly one round trip; Options::prepare_statements = false sends unnamed
// statements instead (one round trip each too), for poolers that cannot keep prepared statements
// (pgbouncer in transaction mode before 1.21).
// Keys are checked with is_valid_session_key() before any SQL: an invalid key is absent.
//
// Connections: a bounded pool (Options::pool_size), opened on demand, shared by every thread of
// the process. A call waits at most Options::pool_timeout for a free connection.
//
// Time bounds: no call can hang. libpq is driven in non-blocking mode and every wait is a poll()
// with a deadline:
//   connecting          at most Options::connect_timeout (all hosts of the list together); host
//                       names are resolved by getaddrinfo() before that clock starts, so give IP
//                       addresses (or a local resolver) where DNS itself could hang
//   a statement         at most Options::statement_timeout + 500 ms; the server is told the same
//                       statement_timeout, so it aborts a runaway statement itself
// A connection that timed out is closed (its state is unknown). Idle connections have TCP
// keepalives (idle 30 s, interval 10 s, 3 probes), so a vanished server is noticed.
//
// Failures: the server down, unreachable or restarted: StorageError naming the operation and what
// libpq reported (host and port, never the password). A connection found broken (the server
// restarted, the socket closed) is replaced by a new one and the statement is sent again, once
// per call; every statement is idempotent except create, whose retry can report a collision with
// the row its first attempt inserted just before the connection broke (the session layer then
// simply picks another key). When the server comes back, the same store instance works again.
// A connection string libpq cannot parse or a keyword it does not know: ConfigurationError from
// the constructor, before any connection attempt. The constructor connects once (and creates the
// table if needed): StorageError if it cannot (a value libpq rejects, e.g. sslmode=bogus, shows
// up there too).
//
// The per-user index (user_index.hpp): a side table `<table>_user_index` (sql_common.hpp), created
// on first use with its indexes on user_id and expire_date; Django's table is not changed.
// index_session is one transaction holding an advisory transaction lock on a hash of the table and
// the user id, so two logins of one user, from any number of processes, never both pass the
// limit; purge_expired deletes one batch of expired rows and their entries in one short
// transaction; remove() and clear_expired() delete the entries of the rows they delete (once this
// process has seen the side table exist).
//
// Payloads are PostgreSQL text: valid UTF-8 without NUL bytes (what the serializers produce); a
// payload with a NUL byte is refused with StorageError before any SQL.

#include <libpq-fe.h>

// ---- begin sessions/storage/detail/pg_client.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_PG_CLIENT_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_PG_CLIENT_HPP
// PostgresStore's connections and statements (storage/postgres.hpp describes the behaviour): the
// pool, connecting within connect_timeout, sending a statement and waiting for its results within
// statement_timeout, preparing statements once per connection, retrying once on a new connection
// when one turns out broken, the store's error messages, and the per-user index's transactions.
// The single-purpose libpq helpers it uses are in pg_io.hpp.

#include <poll.h>

// ---- begin sessions/storage/detail/pg_io.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_PG_IO_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_PG_IO_HPP
// PostgresStore's libpq mechanics: its statements and DDL, a pooled connection (starting one,
// checking an idle one), waiting on a socket with a deadline, reading a row, libpq's messages on
// one line, and what a configuration names (its keywords, its servers). PostgresStore
// (storage/postgres.hpp) composes them.

namespace sessions::detail::pg {

using SteadyClock = std::chrono::steady_clock;
using Deadline = SteadyClock::time_point;

/// A connection that stopped working (closed by the server, a socket error); `retry` when the
/// statement may be sent again on a new connection.
class Broken : public StorageError {
 public:
  Broken(const std::string& message, bool retry_allowed) : StorageError(message), retry(retry_allowed) {}
  bool retry;
};

/// libpq's multi-line messages on one line, without the trailing newline.
[[nodiscard]] inline std::string one_line(const char* text) {
  std::string out;
  bool space = false;
  for (const char* p = text != nullptr ? text : ""; *p != '\0'; ++p) {
    const char c = *p;
    if (c == '\n' || c == '\t' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out.empty() ? "unknown error" : out;
}

/// The servers a configuration names, for messages before a connection exists: `host:port` for
/// each host of libpq's comma-separated `host` (a port list pairs with it, one port applies to
/// all), "(libpq's default host)" when none is named.
[[nodiscard]] inline std::string server_list(std::string_view hosts, std::string_view ports) {
  if (hosts.empty()) return ports.empty() ? "(libpq's default host)" : "(libpq's default host):" + std::string(ports);
  const auto split = [](std::string_view text) {
    std::vector<std::string_view> parts;
    for (std::size_t start = 0;;) {
      const std::size_t comma = text.find(',', start);
      parts.push_back(text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
      if (comma == std::string_view::npos) return parts;
      start = comma + 1;
    }
  };
  const std::vector<std::string_view> host_list = split(hosts);
  const std::vector<std::string_view> port_list = ports.empty() ? std::vector<std::string_view>{} : split(ports);
  std::string out;
  for (std::size_t i = 0; i < host_list.size(); ++i) {
    if (i != 0) out += ',';
    out += host_list[i];
    const std::string_view port = port_list.size() == 1 ? port_list[0] : i < port_list.size() ? port_list[i] : "";
    if (!port.empty()) {
      out += ':';
      out += port;
    }
  }
  return out;
}

/// Waits until `fd` is ready for `events`; false when the deadline passed first.
[[nodiscard]] inline bool wait_socket(int fd, short events, Deadline deadline) {
  for (;;) {
    const auto remaining = deadline - SteadyClock::now();
    if (remaining <= SteadyClock::duration::zero()) return false;
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(remaining).count();
    pollfd p{};
    p.fd = fd;
    p.events = events;
    const int r = ::poll(&p, 1, ms > 60'000 ? 60'000 : static_cast<int>(ms));
    if (r > 0) return true;
    if (r < 0 && errno != EINTR) return true;  // libpq's next call reports the socket's error
  }
}

using sql::StatementId;
using enum sql::StatementId;

/// The names the statements are prepared under on each connection, and their parameter counts.
inline constexpr std::array<const char*, kStatementCount> kNames = {
    "sessions_load",   "sessions_create",        "sessions_update",    "sessions_touch", "sessions_remove",
    "sessions_exists", "sessions_clear_expired", "sessions_update_if", "sessions_holds"};
inline constexpr std::array<int, kStatementCount> kParamCount = {2, 4, 4, 3, 1, 2, 2, 5, 3};

/// The text of every statement on `table` (a validated identifier), indexed by StatementId.
[[nodiscard]] inline std::array<std::string, kStatementCount> statements(const std::string& table) {
  std::array<std::string, kStatementCount> sql;
  const std::string t = sql::quoted(table);
  sql[kLoad] = "SELECT \"session_data\", (extract(epoch FROM \"expire_date\") * 1000000)::int8 FROM " + t +
               " WHERE \"session_key\" = $1 AND \"expire_date\" > $2::timestamptz";
  sql[kCreate] = "INSERT INTO " + t +
                 " (\"session_key\", \"session_data\", \"expire_date\") VALUES ($1, $2, $3::timestamptz)"
                 " ON CONFLICT (\"session_key\") DO UPDATE SET \"session_data\" = EXCLUDED.\"session_data\","
                 " \"expire_date\" = EXCLUDED.\"expire_date\" WHERE " +
                 t + ".\"expire_date\" <= $4::timestamptz";
  sql[kUpdate] = "UPDATE " + t +
                 " SET \"session_data\" = $2, \"expire_date\" = $3::timestamptz"
                 " WHERE \"session_key\" = $1 AND \"expire_date\" > $4::timestamptz";
  sql[kTouch] =
      "UPDATE " + t +
      " SET \"expire_date\" = $2::timestamptz WHERE \"session_key\" = $1 AND \"expire_date\" > $3::timestamptz";
  sql[kUpdateIf] = "UPDATE " + t +
                   " SET \"session_data\" = $2, \"expire_date\" = $3::timestamptz"
                   " WHERE \"session_key\" = $1 AND \"expire_date\" > $4::timestamptz AND \"session_data\" = $5";
  sql[kHolds] =
      "SELECT \"session_data\" = $3 FROM " + t + " WHERE \"session_key\" = $1 AND \"expire_date\" > $2::timestamptz";
  sql[kRemove] = "DELETE FROM " + t + " WHERE \"session_key\" = $1";
  sql[kExists] = "SELECT 1 FROM " + t + " WHERE \"session_key\" = $1 AND \"expire_date\" > $2::timestamptz";
  // The outer condition is checked again on the row's latest version, so a row that a
  // concurrent create() replaced with a live one after the subquery saw it is not deleted.
  sql[kClearExpired] = "DELETE FROM " + t + " WHERE \"session_key\" IN (SELECT \"session_key\" FROM " + t +
                       " WHERE \"expire_date\" <= $1::timestamptz LIMIT $2::int8)"
                       " AND \"expire_date\" <= $1::timestamptz";
  return sql;
}

/// UTC text with an explicit offset: timestamptz input that no session setting can reinterpret.
[[nodiscard]] inline std::string timestamptz(TimePoint t) { return sql::format_utc(t) + "+00"; }

/// for_each_session's page: the live rows after the key $2, their expiry as microseconds.
[[nodiscard]] inline std::string page_sql(const std::string& table) {
  return "SELECT \"session_key\", \"session_data\", (extract(epoch FROM \"expire_date\") * 1000000)::int8 FROM " +
         sql::quoted(table) +
         " WHERE \"expire_date\" > $1::timestamptz AND \"session_key\" > $2 ORDER BY \"session_key\" LIMIT 500";
}

/// True when `table` exists (resolved through the search_path): one row, `t` or `f`.
[[nodiscard]] inline std::string table_exists_sql(const std::string& table) {
  return "SELECT to_regclass('" + sql::quoted(table) + "') IS NOT NULL";
}

/// The table and its indexes as Django's `migrate` creates them, in one transaction under an
/// advisory lock, so that two processes starting together do not race on CREATE TABLE.
[[nodiscard]] inline std::string create_table_sql(const std::string& table) {
  const std::string t = sql::quoted(table);
  const std::string like =
      table == sql::kDjangoTable ? std::string(sql::kDjangoKeyLikeIndex) : table + "_session_key_like";
  return "BEGIN; SELECT pg_advisory_xact_lock(hashtext('sessions.create_table')); "
         "CREATE TABLE IF NOT EXISTS " +
         t +
         " (\"session_key\" varchar(40) NOT NULL PRIMARY KEY, \"session_data\" text NOT NULL,"
         " \"expire_date\" timestamp with time zone NOT NULL); "
         "CREATE INDEX IF NOT EXISTS " +
         sql::quoted(sql::expire_index_name(table)) + " ON " + t +
         " (\"expire_date\"); "
         "CREATE INDEX IF NOT EXISTS " +
         sql::quoted(like) + " ON " + t + " (\"session_key\" varchar_pattern_ops); COMMIT";
}

struct ResultDeleter {
  void operator()(PGresult* r) const noexcept { ::PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

/// One pooled connection and which statements it has prepared.
struct Conn {
  PGconn* pg = nullptr;
  std::array<bool, kStatementCount> prepared{};
  bool bad = false;  // timed out or broken: closed instead of going back to the pool
  Conn() = default;
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  ~Conn() { close(); }
  void close() noexcept {
    if (pg != nullptr) ::PQfinish(pg);
    pg = nullptr;
    prepared = {};
    bad = false;
  }
};

/// The rows a command changed (PQcmdTuples), 0 when it says nothing.
[[nodiscard]] inline std::size_t affected(const Result& r) {
  const char* text = ::PQcmdTuples(r.get());
  std::size_t n = 0;
  const char* end = text + std::strlen(text);
  std::from_chars(text, end, n);
  return n;
}

/// The int8 at (`row`, `column`) of `r`; nullopt when it is not an integer's text.
[[nodiscard]] inline std::optional<std::int64_t> int8_value(const Result& r, int row, int column) {
  std::int64_t value = 0;
  const char* text = ::PQgetvalue(r.get(), row, column);
  const char* end = text + std::strlen(text);
  if (std::from_chars(text, end, value).ptr != end) return std::nullopt;
  return value;
}

/// Starts a non-blocking connection (PQconnectStartParams): the library's defaults (its
/// application name, TCP keepalives so that a vanished server is noticed, a TCP user timeout of
/// `tcp_timeout`), overridden by `conninfo` (when not empty) and then by `parameters`. nullptr
/// when libpq is out of memory.
[[nodiscard]] inline PGconn* start_connection(const std::string& conninfo,
                                              const std::vector<std::pair<std::string, std::string>>& parameters,
                                              std::chrono::milliseconds tcp_timeout) {
  std::vector<const char*> keys;
  std::vector<const char*> values;
  const std::string tcp_timeout_text = std::to_string(tcp_timeout.count());
  auto add = [&](const char* k, const char* v) {
    keys.push_back(k);
    values.push_back(v);
  };
  // Defaults first: the conninfo and the parameters after them override them.
  add("fallback_application_name", "sessions");
  add("keepalives", "1");
  add("keepalives_idle", "30");
  add("keepalives_interval", "10");
  add("keepalives_count", "3");
  add("tcp_user_timeout", tcp_timeout_text.c_str());
  const bool expand = !conninfo.empty();
  if (expand) add("dbname", conninfo.c_str());
  for (const auto& [k, v] : parameters) add(k.c_str(), v.c_str());
  keys.push_back(nullptr);
  values.push_back(nullptr);
  return ::PQconnectStartParams(keys.data(), values.data(), expand ? 1 : 0);
}

/// False when an idle connection was closed by the server (restart, idle timeout, network
/// failure): it shows as readable, its pending bytes an error message or the end of the stream.
[[nodiscard]] inline bool alive(Conn& c) {
  if (::PQstatus(c.pg) != CONNECTION_OK) return false;
  pollfd p{};
  p.fd = ::PQsocket(c.pg);
  p.events = POLLIN;
  if (p.fd < 0) return false;
  if (::poll(&p, 1, 0) <= 0) return true;
  if (::PQconsumeInput(c.pg) == 0 || ::PQstatus(c.pg) != CONNECTION_OK) return false;
  // Anything else pending (an asynchronous error about to end the session) is not a reason
  // to trust the connection with a statement.
  if (PGresult* r = ::PQgetResult(c.pg); r != nullptr) {
    ::PQclear(r);
    return false;
  }
  return true;
}

/// `host:port` of the server `pg` is connected to (or trying to).
[[nodiscard]] inline std::string describe(PGconn* pg) {
  const char* host = pg != nullptr ? ::PQhost(pg) : nullptr;
  const char* port = pg != nullptr ? ::PQport(pg) : nullptr;
  std::string out = host != nullptr && *host != '\0' ? host : "(default host)";
  if (port != nullptr && *port != '\0') out += std::string(":") + port;
  return out;
}

/// Keywords libpq does not know and a conninfo it cannot parse are configuration errors, found
/// before any connection attempt (a connection failure is a StorageError).
inline void validate_connection(const std::string& conninfo,
                                const std::vector<std::pair<std::string, std::string>>& parameters) {
  if (!conninfo.empty()) {
    char* error = nullptr;
    PQconninfoOption* parsed = ::PQconninfoParse(conninfo.c_str(), &error);
    if (parsed == nullptr) {
      const std::string why = error != nullptr ? one_line(error) : "out of memory";
      ::PQfreemem(error);
      throw ConfigurationError("PostgresStore: invalid connection string: " + why);
    }
    ::PQconninfoFree(parsed);
  }
  PQconninfoOption* defaults = ::PQconndefaults();
  if (defaults == nullptr) throw ConfigurationError("PostgresStore: libpq is out of memory");
  for (const auto& [k, v] : parameters) {
    bool known = false;
    for (const PQconninfoOption* o = defaults; o->keyword != nullptr && !known; ++o) known = k == o->keyword;
    if (!known) {
      ::PQconninfoFree(defaults);
      throw ConfigurationError("PostgresStore: '" + k + "' is not a libpq connection keyword");
    }
  }
  ::PQconninfoFree(defaults);
}

/// The hosts and ports a conninfo and parameters name (the parameters win), for messages written
/// before there is a connection.
[[nodiscard]] inline std::string configured_servers(
    const std::string& conninfo, const std::vector<std::pair<std::string, std::string>>& parameters) {
  std::string hosts;
  std::string ports;
  if (!conninfo.empty()) {
    if (PQconninfoOption* parsed = ::PQconninfoParse(conninfo.c_str(), nullptr); parsed != nullptr) {
      for (const PQconninfoOption* o = parsed; o->keyword != nullptr; ++o) {
        if (o->val == nullptr) continue;
        if (std::string_view(o->keyword) == "host") hosts = o->val;
        if (std::string_view(o->keyword) == "port") ports = o->val;
      }
      ::PQconninfoFree(parsed);
    }
  }
  for (const auto& [k, v] : parameters) {
    if (k == "host") hosts = v;
    if (k == "port") ports = v;
  }
  return server_list(hosts, ports);
}

}  // namespace sessions::detail::pg
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_PG_IO_HPP
// ---- end sessions/storage/detail/pg_io.hpp ----
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

namespace sessions::detail::pg {

inline constexpr std::string_view kLogCategory = "sessions.storage.postgres";
inline constexpr std::chrono::milliseconds kStatementGrace{500};

/// PostgresStore's way to the server. `Options` is PostgresStore::Options (conninfo, parameters,
/// table, pool_size, pool_timeout, connect_timeout, statement_timeout, prepare_statements,
/// logger), which must outlive the client.
template <class Options>
class Client {
  using Pool = ConnectionPool<std::unique_ptr<Conn>>;

 public:
  explicit Client(const Options& options)
      : options_(options),
        pool_(std::make_unique<Pool>("PostgresStore", PoolSettings{options.pool_size, options.pool_timeout})) {}
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // The constructor's connection, once the options are validated: the table created when asked,
  // the connection kept in the pool. True when the side table `index_table` exists.
  bool open(const std::string& index_table) {
    servers_ = configured_servers(options_.conninfo, options_.parameters);
    sql_ = statements(options_.table);
    auto conn = std::make_unique<Conn>();
    connect(*conn, "open");
    if (options_.create_table) create_table(*conn);
    bool index_exists = false;
    {
      const std::string check = table_exists_sql(index_table);
      Result r = run(*conn, "open", {}, [&] { return ::PQsendQuery(conn->pg, check.c_str()); });
      index_exists = ::PQntuples(r.get()) == 1 && std::string_view(::PQgetvalue(r.get(), 0, 0)) == "t";
    }
    pool_->adopt(std::move(conn));
    return index_exists;
  }

  /// The text of the statement `id` (for the index's evictions, which delete rows as remove() does).
  [[nodiscard]] const std::string& statement(StatementId id) const noexcept { return sql_[id]; }

  /// Messages sent to the server and answered so far.
  [[nodiscard]] std::uint64_t round_trips() const noexcept { return round_trips_.load(std::memory_order_relaxed); }

  void check_payload(const char* op, std::string_view key, const std::string& payload) const {
    if (std::memchr(payload.data(), '\0', payload.size()) != nullptr) {
      throw StorageError(
          message(op, key, "the payload contains a NUL byte, which a PostgreSQL text column cannot hold"));
    }
  }

  // ------------------------------------------------------------------------------ connections

  [[noreturn]] void fail_connect(Conn& c, const char* op, const std::string& what) {
    std::string text = message(op, {}, "cannot connect: " + what, describe(c.pg));
    c.close();
    throw Broken(text, /*retry_allowed=*/false);
  }

  // Opens `c` within connect_timeout and sets the server-side statement_timeout.
  void connect(Conn& c, const char* op) {
    c.close();
    const Deadline deadline = SteadyClock::now() + options_.connect_timeout;
    c.pg = start_connection(options_.conninfo, options_.parameters, options_.statement_timeout + kStatementGrace);
    if (c.pg == nullptr) throw StorageError(message(op, {}, "libpq is out of memory"));
    if (::PQstatus(c.pg) == CONNECTION_BAD) fail_connect(c, op, one_line(::PQerrorMessage(c.pg)));
    ::PQsetNoticeProcessor(c.pg, &Client::notice, this);
    PostgresPollingStatusType status = PGRES_POLLING_WRITING;
    for (;;) {
      if (status == PGRES_POLLING_OK) break;
      if (status == PGRES_POLLING_FAILED) fail_connect(c, op, one_line(::PQerrorMessage(c.pg)));
      const short events = status == PGRES_POLLING_READING ? POLLIN : POLLOUT;
      if (!wait_socket(::PQsocket(c.pg), events, deadline)) {
        fail_connect(c, op, "timed out after " + std::to_string(options_.connect_timeout.count()) + " ms");
      }
      status = ::PQconnectPoll(c.pg);
    }
    if (::PQsetnonblocking(c.pg, 1) != 0) fail_connect(c, op, "cannot switch to non-blocking mode");
    const std::string setup = "SET statement_timeout = " + std::to_string(options_.statement_timeout.count());
    try {
      (void)run(c, op, {}, [&] { return ::PQsendQuery(c.pg, setup.c_str()); });
    } catch (const Broken& e) {
      c.close();
      throw Broken(e.what(), false);
    }
  }

  static void notice(void* self, const char* message) {
    static_cast<Client*>(self)->options_.logger(LogLevel::debug, kLogCategory, one_line(message));
  }

  // The constructor's table check and creation, under an advisory lock so that two processes
  // starting together do not race on CREATE TABLE.
  void create_table(Conn& c) {
    const std::string check = table_exists_sql(options_.table);
    const std::string ddl = create_table_sql(options_.table);
    try {
      Result r = run(c, "open", {}, [&] { return ::PQsendQuery(c.pg, check.c_str()); });
      if (::PQntuples(r.get()) == 1 && std::string_view(::PQgetvalue(r.get(), 0, 0)) == "t") return;
      (void)run(c, "open", {}, [&] { return ::PQsendQuery(c.pg, ddl.c_str()); });
    } catch (const StorageError& e) {
      throw ConfigurationError(std::string("PostgresStore: cannot create the table ") + options_.table + ": " +
                               e.what());
    }
  }

  // ------------------------------------------------------------------------------- statements

  // Sends what `send` sends, waits for every result within statement_timeout (+ grace), and
  // returns the last one, which must be a success. Broken when the connection failed; a plain
  // StorageError for a timeout (the connection is marked bad) or an SQL error.
  template <class Send>
  Result run(Conn& c, const char* op, std::string_view key, Send send) {
    const Deadline deadline = SteadyClock::now() + options_.statement_timeout + kStatementGrace;
    round_trips_.fetch_add(1, std::memory_order_relaxed);
    auto broken = [&](const char* what) -> Broken {
      c.bad = true;
      return Broken(message(op, key, std::string(what) + ": " + one_line(::PQerrorMessage(c.pg)), describe(c.pg)),
                    /*retry_allowed=*/true);
    };
    if (send() == 0) throw broken("cannot send the statement");
    int flushed = 0;
    while ((flushed = ::PQflush(c.pg)) == 1) {
      if (!wait_socket(::PQsocket(c.pg), POLLIN | POLLOUT, deadline)) timeout(c, op, key);
      if (::PQconsumeInput(c.pg) == 0) throw broken("the connection failed");
    }
    if (flushed < 0) throw broken("cannot send the statement");
    // The last result, or the first failure when there is one (what follows says nothing more).
    Result last;
    bool failed = false;
    for (;;) {
      while (::PQisBusy(c.pg) != 0) {
        if (!wait_socket(::PQsocket(c.pg), POLLIN, deadline)) timeout(c, op, key);
        if (::PQconsumeInput(c.pg) == 0) throw broken("the connection failed");
      }
      PGresult* r = ::PQgetResult(c.pg);
      if (r == nullptr) break;
      if (failed) {
        ::PQclear(r);
        continue;
      }
      const ExecStatusType status = ::PQresultStatus(r);
      failed = status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK;
      last.reset(r);
    }
    if (::PQstatus(c.pg) != CONNECTION_OK) throw broken("the connection failed");
    if (!last) throw broken("no result from the server");
    const ExecStatusType status = ::PQresultStatus(last.get());
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return last;
    const char* state = ::PQresultErrorField(last.get(), PG_DIAG_SQLSTATE);
    const std::string_view sqlstate = state != nullptr ? state : "";
    const std::string text = one_line(::PQresultErrorMessage(last.get()));
    // Connection-level errors (class 08) and an administrator's shutdown (57P01..57P03) end the
    // session: the connection must be replaced. So does a read-only transaction refusing a write
    // (25006): after a failover the old primary may be back as a standby, and a new connection
    // (libpq's host list with target_session_attrs=read-write) finds the new primary; the refused
    // statement was not applied, so it may be sent again.
    if (sqlstate.starts_with("08") || sqlstate.starts_with("57P") || sqlstate == "25006") {
      c.bad = true;
      throw Broken(message(op, key, text, describe(c.pg)), /*retry_allowed=*/true);
    }
    throw StorageError(
        message(op, key, text + (sqlstate.empty() ? "" : " [SQLSTATE " + std::string(sqlstate) + "]"), describe(c.pg)));
  }

  [[noreturn]] void timeout(Conn& c, const char* op, std::string_view key) {
    const std::string where = describe(c.pg);
    c.bad = true;  // a statement is in flight: the connection is unusable
    throw StorageError(message(
        op, key, "no answer within " + std::to_string((options_.statement_timeout + kStatementGrace).count()) + " ms",
        where));
  }

  // `PostgresStore::op: what (host:port, session abcd...)`, the stores' error format. The server
  // is the one `c` is connected to when there is a connection (describe()); before, the hosts the
  // options name, of which libpq will pick one.
  [[nodiscard]] std::string message(const char* op, std::string_view key, const std::string& what,
                                    std::string_view where) const {
    return store_message("PostgresStore", op, where, key, what);
  }
  [[nodiscard]] std::string message(const char* op, std::string_view key, const std::string& what) const {
    return message(op, key, what, servers_);
  }

  // One statement with text parameters: prepared on first use per connection (or unnamed).
  Result execute(Conn& c, StatementId id, const char* op, std::string_view key,
                 std::initializer_list<const char*> params) {
    const int n = static_cast<int>(params.size());
    const char* const* values = params.begin();
    if (!options_.prepare_statements) {
      return run(c, op, key,
                 [&] { return ::PQsendQueryParams(c.pg, sql_[id].c_str(), n, nullptr, values, nullptr, nullptr, 0); });
    }
    for (int attempt = 0;; ++attempt) {
      if (!c.prepared[id]) {
        (void)run(c, op, key,
                  [&] { return ::PQsendPrepare(c.pg, kNames[id], sql_[id].c_str(), kParamCount[id], nullptr); });
        c.prepared[id] = true;
      }
      try {
        return run(c, op, key, [&] { return ::PQsendQueryPrepared(c.pg, kNames[id], n, values, nullptr, nullptr, 0); });
      } catch (const Broken&) {
        throw;
      } catch (const StorageError& e) {
        // 26000: the statement is gone (e.g. DISCARD ALL by a pooler): prepare it again, once.
        if (attempt == 0 && std::string_view(e.what()).find("[SQLSTATE 26000]") != std::string_view::npos) {
          c.prepared[id] = false;
          continue;
        }
        throw;
      }
    }
  }

  // create and update: the statement `id` with (key, payload, expiry, now); true when it changed
  // one row.
  bool write_row(const char* op, StatementId id, std::string_view key, const std::string& payload,
                 TimePoint expires_at) {
    if (!is_valid_session_key(key)) return false;
    check_payload(op, key, payload);
    const std::string now = timestamptz(options_.clock.now());
    const std::string expire = timestamptz(expires_at);
    const std::string k(key);
    return call(op, key, [&](Conn& c) {
      return affected(execute(c, id, op, key, {k.c_str(), payload.c_str(), expire.c_str(), now.c_str()})) == 1;
    });
  }

  // A borrowed connection, connected and alive, then `fn(conn)`; once more on a new connection
  // when the first one turns out broken.
  template <class Fn>
  std::invoke_result_t<Fn&, Conn&> call(const char* op, std::string_view key, Fn fn) {
    for (int attempt = 0;; ++attempt) {
      Lease lease = borrow(op, key);
      Conn& c = *lease;
      try {
        if (c.pg == nullptr || !alive(c)) connect(c, op);
        return fn(c);
      } catch (const Broken& e) {
        c.bad = true;
        if (attempt == 0 && e.retry) {
          options_.logger(LogLevel::info, kLogCategory, std::string(e.what()) + "; retrying on a new connection");
          continue;
        }
        throw StorageError(e.what());
      }
    }
  }

  // One unnamed statement with text parameters (the index's statements: not on a request's path).
  Result query(Conn& c, const char* op, std::string_view key, const std::string& sql,
               std::initializer_list<const char*> params) {
    const int n = static_cast<int>(params.size());
    return run(c, op, key,
               [&] { return ::PQsendQueryParams(c.pg, sql.c_str(), n, nullptr, params.begin(), nullptr, nullptr, 0); });
  }

 private:
  // A pooled connection; closed instead of going back when it timed out, broke or never connected.
  class Lease {
   public:
    explicit Lease(Pool::Lease lease) noexcept : lease_(std::move(lease)) {}
    Lease(Lease&&) noexcept = default;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (lease_.get() != nullptr && (lease_->bad || lease_->pg == nullptr)) lease_.discard();
    }
    Conn& operator*() const noexcept { return *lease_; }

   private:
    Pool::Lease lease_;
  };

  // A connection slot; connected by call() (a new Conn is not connected yet).
  Lease borrow(const char* op, std::string_view key) {
    return Lease(pool_->acquire([] { return std::make_unique<Conn>(); },
                                [&](const std::string& what) { return message(op, key, what); }));
  }
  const Options& options_;
  std::string servers_;  // the configured hosts, for messages without a connection
  std::array<std::string, kStatementCount> sql_;
  std::unique_ptr<Pool> pool_;
  std::atomic<std::uint64_t> round_trips_{0};
};

}  // namespace sessions::detail::pg
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_PG_CLIENT_HPP
// ---- end sessions/storage/detail/pg_client.hpp ----
// ---- begin sessions/storage/detail/pg_user_index.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_PG_USER_INDEX_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_PG_USER_INDEX_HPP
// PostgresStore's side of the per-user index (sql_user_index.hpp writes the statements' order for
// both SQL stores): a Db on one pooled connection, the transaction under an advisory lock that
// index_session and purge_expired run in, and the IndexAccess that IndexMethods is given.

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
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_PG_USER_INDEX_HPP
// ---- end sessions/storage/detail/pg_user_index.hpp ----

namespace sessions {

class PostgresStore {
 public:
  /// The store's name in events and messages.
  static constexpr std::string_view store_name = "PostgresStore";
  using payload_type = std::string;
  /// Django's `session_data text` column: a binary serializer is refused at compile time.
  static constexpr bool text_payload = true;

  struct Options {
    /// A libpq connection string or URI (`host=... dbname=...`, `postgresql://...`), passed to
    /// libpq as it is. May be empty when `parameters` say everything (or libpq's PG* environment
    /// variables do).
    std::string conninfo;
    /// libpq connection keywords and values ({"host", "10.0.0.5"}, {"sslmode", "require"}, ...);
    /// they override the same keywords in `conninfo`.
    std::vector<std::pair<std::string, std::string>> parameters;
    /// The sessions table: Django's by default.
    std::string table = std::string(detail::sql::kDjangoTable);
    /// CREATE TABLE / CREATE INDEX when the store opens and the table does not exist.
    bool create_table = true;
    /// Connections kept at most.
    std::size_t pool_size = 4;
    /// Bound on opening one connection (all hosts of a host list together).
    std::chrono::milliseconds connect_timeout{5000};
    /// Bound on one statement (also set as the server's statement_timeout).
    std::chrono::milliseconds statement_timeout{5000};
    /// Bound on waiting for a free connection when all pool_size are in use.
    std::chrono::milliseconds pool_timeout{5000};
    /// Named prepared statements (see the header comment).
    bool prepare_statements = true;
    /// Rows deleted per statement by clear_expired().
    std::size_t clear_batch = 10000;
    Clock clock{};
    Logger logger{};
  };

  /// Options from a URL: `postgresql://[user[:password]@][host[:port][,host[:port]...]][/dbname]
  /// [?param=value&...]` (or `postgres://`); unix sockets as `postgresql:///db?host=/var/run/
  /// postgresql` or with a %2F-encoded host. Store parameters: table, create_table, pool_size,
  /// connect_timeout (seconds, as libpq's), statement_timeout (ms), pool_timeout (ms),
  /// prepare_statements, clear_batch. Every other parameter goes to libpq as a connection keyword
  /// (sslmode, application_name, target_session_attrs, ...), which rejects unknown ones.
  [[nodiscard]] static Options options_from_url(std::string_view text) { return options_from_url(text, Options{}); }
  [[nodiscard]] static Options options_from_url(std::string_view text, Options base) {
    Url url = detail::parse_store_url("PostgresStore", text, {"postgresql", "postgres"});
    if (!url.has_authority) {
      throw ConfigurationError("PostgresStore: the URL " + url.redacted() + " has no '//' part");
    }
    Options options = std::move(base);
    detail::sql::take_common_parameters(url, options, 10'000'000);
    if (auto v = url.take_integer("connect_timeout", 1, 3600)) options.connect_timeout = std::chrono::seconds{*v};
    if (auto v = url.take_milliseconds("statement_timeout")) options.statement_timeout = *v;
    if (auto v = url.take_bool("prepare_statements")) options.prepare_statements = *v;
    auto& p = options.parameters;
    if (!url.hosts.empty()) {
      std::string hosts;
      std::string ports;
      bool any_port = false;
      for (std::size_t i = 0; i < url.hosts.size(); ++i) {
        if (i != 0) {
          hosts += ',';
          ports += ',';
        }
        hosts += url.hosts[i].name;
        if (url.hosts[i].port) {
          ports += std::to_string(*url.hosts[i].port);
          any_port = true;
        }
      }
      p.emplace_back("host", hosts);
      if (any_port) p.emplace_back("port", ports);
    }
    if (url.username && !url.username->empty()) p.emplace_back("user", *url.username);
    if (url.password) p.emplace_back("password", *url.password);
    if (url.path.size() > 1) p.emplace_back("dbname", url.path.substr(1));
    for (auto& [k, v] : url.query) p.emplace_back(k, v);  // libpq's keywords; later ones win
    return options;
  }

  explicit PostgresStore(Options options) : options_(std::move(options)) {
    detail::sql::validate_table_name("PostgresStore", options_.table);
    detail::require_positive("PostgresStore", "connect_timeout", options_.connect_timeout);
    detail::require_positive("PostgresStore", "statement_timeout", options_.statement_timeout);
    detail::require_at_least_one("PostgresStore", "clear_batch", options_.clear_batch);
    for (const auto& [k, v] : options_.parameters) {
      if (k.empty() || k.find('\0') != std::string::npos || v.find('\0') != std::string::npos) {
        throw ConfigurationError("PostgresStore: an empty connection keyword or a NUL byte in a connection value");
      }
    }
    detail::pg::validate_connection(options_.conninfo, options_.parameters);
    index_ready_ = client_.open(detail::sql::user_index_table(options_.table));
  }

  /// PostgresStore(options_from_url(url)) with the given clock and logger.
  explicit PostgresStore(std::string_view url, Clock clock = {}, Logger logger = {})
      : PostgresStore(detail::with_clock_and_logger(options_from_url(url), clock, logger)) {}

  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;
  ~PostgresStore() = default;

  [[nodiscard]] std::optional<Record<std::string>> load(std::string_view key) {
    if (!is_valid_session_key(key)) return std::nullopt;
    const std::string now = detail::pg::timestamptz(options_.clock.now());
    const std::string k(key);
    return client_.call("load", key, [&](Conn& c) -> std::optional<Record<std::string>> {
      detail::pg::Result r = client_.execute(c, detail::pg::kLoad, "load", key, {k.c_str(), now.c_str()});
      if (::PQntuples(r.get()) != 1) return std::nullopt;
      const std::optional<std::int64_t> micros = detail::pg::int8_value(r, 0, 1);
      if (!micros) {
        throw StorageError(
            client_.message("load", key, "unexpected expire_date value from the server", detail::pg::describe(c.pg)));
      }
      return Record<std::string>{
          std::string(::PQgetvalue(r.get(), 0, 0), static_cast<std::size_t>(::PQgetlength(r.get(), 0, 0))),
          detail::sql::from_unix_micros(*micros)};
    });
  }

  [[nodiscard]] bool create(std::string_view key, const std::string& payload, TimePoint expires_at) {
    return client_.write_row("create", detail::pg::kCreate, key, payload, expires_at);
  }

  [[nodiscard]] bool update(std::string_view key, const std::string& payload, TimePoint expires_at) {
    return client_.write_row("update", detail::pg::kUpdate, key, payload, expires_at);
  }

  /// Compare-and-set (lost-update protection): UPDATE ... WHERE session_key = $1 AND expire_date >
  /// now AND `session_data = <expected>`, one round trip. Under READ COMMITTED a concurrent UPDATE of
  /// the row makes this one wait and re-check the condition on the new version, so two
  /// compare-and-sets of one version never both succeed. When no row changed, one more statement
  /// tells conflict from missing; it also reports `written` when the row already holds exactly
  /// `payload`, which is what a retry on a new connection finds after the first attempt was
  /// applied just before the connection broke. No schema change: the table stays Django's.
  [[nodiscard]] CasResult update_if(std::string_view key, const std::string& payload, TimePoint expires_at,
                                    const std::string& expected) {
    if (!is_valid_session_key(key)) return CasResult::missing;
    client_.check_payload("update_if", key, payload);
    const std::string now = detail::pg::timestamptz(options_.clock.now());
    const std::string expire = detail::pg::timestamptz(expires_at);
    const std::string k(key);
    if (std::memchr(expected.data(), '\0', expected.size()) != nullptr) return CasResult::conflict;  // never stored
    const bool changed = client_.call("update_if", key, [&](Conn& c) {
      return detail::pg::affected(
                 client_.execute(c, detail::pg::kUpdateIf, "update_if", key,
                                 {k.c_str(), payload.c_str(), expire.c_str(), now.c_str(), expected.c_str()})) == 1;
    });
    if (changed) return CasResult::written;
    return client_.call("update_if", key, [&](Conn& c) {
      detail::pg::Result r =
          client_.execute(c, detail::pg::kHolds, "update_if", key, {k.c_str(), now.c_str(), payload.c_str()});
      if (::PQntuples(r.get()) != 1) return CasResult::missing;
      return std::string_view(::PQgetvalue(r.get(), 0, 0)) == "t" ? CasResult::written : CasResult::conflict;
    });
  }

  [[nodiscard]] bool touch(std::string_view key, TimePoint expires_at) {
    if (!is_valid_session_key(key)) return false;
    const std::string now = detail::pg::timestamptz(options_.clock.now());
    const std::string expire = detail::pg::timestamptz(expires_at);
    const std::string k(key);
    return client_.call("touch", key, [&](Conn& c) {
      return detail::pg::affected(
                 client_.execute(c, detail::pg::kTouch, "touch", key, {k.c_str(), expire.c_str(), now.c_str()})) == 1;
    });
  }

  void remove(std::string_view key) {
    if (!is_valid_session_key(key)) return;
    const std::string k(key);
    client_.call("remove", key, [&](Conn& c) {
      (void)client_.execute(c, detail::pg::kRemove, "remove", key, {k.c_str()});
      if (index_ready_.load(std::memory_order_relaxed))
        (void)client_.query(c, "remove", key, index_sql_.remove_entry, {k.c_str()});
      return 0;
    });
  }

  [[nodiscard]] bool exists(std::string_view key) {
    if (!is_valid_session_key(key)) return false;
    const std::string now = detail::pg::timestamptz(options_.clock.now());
    const std::string k(key);
    return client_.call("exists", key, [&](Conn& c) {
      return ::PQntuples(client_.execute(c, detail::pg::kExists, "exists", key, {k.c_str(), now.c_str()}).get()) == 1;
    });
  }

  /// Deletes the rows whose expire_date is at or before now; returns how many.
  std::size_t clear_expired() {
    const std::string now = detail::pg::timestamptz(options_.clock.now());
    const std::string batch = std::to_string(options_.clear_batch);
    std::size_t removed = 0;
    for (;;) {
      const std::size_t n = client_.call("clear_expired", {}, [&](Conn& c) {
        return detail::pg::affected(
            client_.execute(c, detail::pg::kClearExpired, "clear_expired", {}, {now.c_str(), batch.c_str()}));
      });
      removed += n;
      if (n < options_.clear_batch) break;
    }
    if (index_ready_.load(std::memory_order_relaxed)) {
      client_.call("clear_expired", {}, [&](Conn& c) {
        (void)client_.query(c, "clear_expired", {}, index_sql_.clear_orphans, {});
        return 0;
      });
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
  /// Deletes at most `batch` expired rows and their entries in one short transaction.
  std::vector<PurgedSession> purge_expired(std::size_t batch, TimePoint now) {
    return index().purge_expired(batch, now);
  }
  /// Calls fn(key, payload, expires_at) for each live row, read a page at a time (no transaction
  /// held while fn runs).
  void for_each_session(const std::function<void(std::string_view, const std::string&, TimePoint)>& fn) {
    index().for_each_session(fn, options_.clock.now());
  }
  /// Entries of the side table (0 when this process has not seen it): for tests of its growth.
  [[nodiscard]] std::size_t user_index_size() { return index().user_index_size(); }

  /// Messages sent to the server and answered so far (statements, preparations, connection
  /// setup): the round trips, for metrics and tests.
  [[nodiscard]] std::uint64_t round_trips() const noexcept { return client_.round_trips(); }
  [[nodiscard]] const std::string& table() const noexcept { return options_.table; }
  [[nodiscard]] const Clock& clock() const noexcept { return options_.clock; }

 private:
  using Client = detail::pg::Client<Options>;
  using Conn = detail::pg::Conn;

  [[nodiscard]] detail::sql::IndexMethods<detail::pg::IndexAccess<Client>> index() {
    return {{{client_, options_.table, index_sql_, index_ready_}}, client_.statement(detail::pg::kRemove)};
  }

  Options options_;
  Client client_{options_};
  detail::sql::UserIndexSql index_sql_ = detail::sql::user_index_sql(options_.table, '$');
  // The side table exists (seen at open, or created by this process).
  std::atomic<bool> index_ready_{false};
};

}  // namespace sessions
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_POSTGRES_HPP
// ---- end sessions/storage/postgres.hpp ----
