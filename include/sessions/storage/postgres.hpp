#pragma once
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

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../clock.hpp"
#include "../errors.hpp"
#include "../log.hpp"
#include "../record.hpp"
#include "../session_key.hpp"
#include "../user_index.hpp"
#include "detail/pg_client.hpp"
#include "detail/pg_io.hpp"
#include "detail/pg_user_index.hpp"
#include "detail/sql_user_index.hpp"
#include "detail/store_options.hpp"
#include "sql_common.hpp"
#include "url.hpp"

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
