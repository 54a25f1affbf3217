#pragma once
// PostgresStore's connections and statements (storage/postgres.hpp describes the behaviour): the
// pool, connecting within connect_timeout, sending a statement and waiting for its results within
// statement_timeout, preparing statements once per connection, retrying once on a new connection
// when one turns out broken, the store's error messages, and the per-user index's transactions.
// The single-purpose libpq helpers it uses are in pg_io.hpp.

#include <libpq-fe.h>
#include <poll.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "../../errors.hpp"
#include "../../log.hpp"
#include "../../record.hpp"
#include "../../session_key.hpp"
#include "../sql_common.hpp"
#include "pg_io.hpp"
#include "pool.hpp"
#include "store_options.hpp"

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
