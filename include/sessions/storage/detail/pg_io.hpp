#pragma once
// PostgresStore's libpq mechanics: its statements and DDL, a pooled connection (starting one,
// checking an idle one), waiting on a socket with a deadline, reading a row, libpq's messages on
// one line, and what a configuration names (its keywords, its servers). PostgresStore
// (storage/postgres.hpp) composes them.

#include <libpq-fe.h>
#include <poll.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../../clock.hpp"
#include "../../errors.hpp"
#include "../sql_common.hpp"

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
