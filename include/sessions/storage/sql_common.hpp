#pragma once
// What the SQL stores (SqliteStore, PostgresStore) share without sharing a client library: the
// table name check, the names of their statements, the URL parameters they both take, and
// Django's text form of an expire_date. No SQL client header here.

#include <array>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "../clock.hpp"
#include "../errors.hpp"
#include "url.hpp"

namespace sessions::detail::sql {

/// Django's table (migration sessions.0001_initial).
inline constexpr std::string_view kDjangoTable = "django_session";
/// Django's name for the expire_date index of django_session (`_create_index_name`: table, column
/// and the first 8 hex digits of md5("django_session" "expire_date")).
inline constexpr std::string_view kDjangoExpireIndex = "django_session_expire_date_a5c62663";
/// PostgreSQL only: Django's varchar_pattern_ops index for LIKE on the key.
inline constexpr std::string_view kDjangoKeyLikeIndex = "django_session_session_key_c0390e0f_like";
/// Longest table name accepted: index names derived from it stay within PostgreSQL's 63 bytes.
inline constexpr std::size_t kMaxTableName = 40;

/// The statements of the SQL stores, indexing each store's statement texts and the per-connection
/// prepared handles. Both stores prepare the statements before kHolds; kHolds (after an update_if
/// that changed nothing: is the row live, and does it already hold the new payload?) is
/// PostgreSQL's only, since there a retry on a new connection can find its own first attempt
/// applied. SQLite's update_if runs under its writer mutex and asks kExists instead.
enum StatementId : std::size_t {
  kLoad,
  kCreate,
  kUpdate,
  kTouch,
  kRemove,
  kExists,
  kClearExpired,
  kUpdateIf,
  kHolds,
  kStatementCount
};

/// Checks that `name` is a plain SQL identifier ([A-Za-z_][A-Za-z0-9_]*, at most 40 characters),
/// so that it can be quoted into statements as is; ConfigurationError otherwise.
inline void validate_table_name(std::string_view store, std::string_view name) {
  bool ok = !name.empty() && name.size() <= kMaxTableName;
  for (std::size_t i = 0; ok && i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    ok = letter || (digit && i > 0);
  }
  if (!ok) {
    throw ConfigurationError(std::string(store) + ": the table name '" + std::string(name) +
                             "' is not a plain identifier ([A-Za-z_][A-Za-z0-9_]*, at most 40 characters)");
  }
}

/// The URL parameters both SQL stores take: table, create_table, pool_size, pool_timeout (ms) and
/// clear_batch (rows per statement, at most `max_clear_batch`).
template <class Options>
void take_common_parameters(Url& url, Options& options, std::int64_t max_clear_batch) {
  if (auto v = url.take("table")) options.table = *v;
  if (auto v = url.take_bool("create_table")) options.create_table = *v;
  if (auto v = url.take_integer("pool_size", 1, 1024)) options.pool_size = static_cast<std::size_t>(*v);
  if (auto v = url.take_milliseconds("pool_timeout")) options.pool_timeout = *v;
  if (auto v = url.take_integer("clear_batch", 1, max_clear_batch)) {
    options.clear_batch = static_cast<std::size_t>(*v);
  }
}

/// `"name"`: the identifier quoted (validate_table_name() has ruled out quotes inside).
[[nodiscard]] inline std::string quoted(std::string_view name) {
  // Reserved and appended: `"\"" + std::string(name) + "\""` makes g++ 12 -O2 warn -Wrestrict.
  std::string out;
  out.reserve(name.size() + 2);
  out += '"';
  out += name;
  out += '"';
  return out;
}

/// The expire_date index of `table`: Django's name for django_session, `<table>_expire_date_idx`
/// for any other table.
[[nodiscard]] inline std::string expire_index_name(std::string_view table) {
  if (table == kDjangoTable) return std::string(kDjangoExpireIndex);
  return std::string(table) + "_expire_date_idx";
}

/// Microseconds since the Unix epoch, floored: the precision of Django's DateTimeField.
[[nodiscard]] inline std::int64_t unix_micros(TimePoint t) noexcept {
  return std::chrono::floor<std::chrono::microseconds>(t.time_since_epoch()).count();
}

/// The TimePoint of `micros` microseconds since the epoch, saturated to TimePoint's range.
[[nodiscard]] inline TimePoint from_unix_micros(std::int64_t micros) noexcept {
  using Dur = TimePoint::duration;
  constexpr std::int64_t kMax = std::chrono::duration_cast<std::chrono::microseconds>(Dur::max()).count();
  constexpr std::int64_t kMin = std::chrono::duration_cast<std::chrono::microseconds>(Dur::min()).count();
  if (micros >= kMax) return TimePoint::max();
  if (micros <= kMin) return TimePoint::min();
  return TimePoint{std::chrono::duration_cast<Dur>(std::chrono::microseconds{micros})};
}

/// `t` (floored to the microsecond) as Python's str() of a naive UTC datetime, which is what
/// Django writes into SQLite's expire_date: `YYYY-MM-DD HH:MM:SS` plus `.ffffff` only when the
/// microseconds are not zero. Years outside 0001..9999 are clamped to that range (Python's).
[[nodiscard]] inline std::string format_utc(TimePoint t) {
  using namespace std::chrono;
  constexpr std::int64_t kMinMicros = -62135596800LL * 1000000;           // 0001-01-01 00:00:00
  constexpr std::int64_t kMaxMicros = 253402300799LL * 1000000 + 999999;  // 9999-12-31 23:59:59.999999
  std::int64_t micros = unix_micros(t);
  if (micros < kMinMicros) micros = kMinMicros;
  if (micros > kMaxMicros) micros = kMaxMicros;
  const auto us = microseconds{micros};
  const auto day = floor<days>(us);
  const year_month_day ymd{sys_days{day}};
  const auto in_day = us - duration_cast<microseconds>(day);
  const auto secs = duration_cast<seconds>(in_day).count();
  const auto frac = (in_day - duration_cast<microseconds>(seconds{secs})).count();
  std::array<char, 32> buf{};
  auto put = [&buf](std::size_t pos, std::int64_t value, int width) {
    for (int i = width - 1; i >= 0; --i) {
      buf[pos + static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
  };
  put(0, static_cast<int>(ymd.year()), 4);
  buf[4] = '-';
  put(5, static_cast<unsigned>(ymd.month()), 2);
  buf[7] = '-';
  put(8, static_cast<unsigned>(ymd.day()), 2);
  buf[10] = ' ';
  put(11, secs / 3600, 2);
  buf[13] = ':';
  put(14, secs / 60 % 60, 2);
  buf[16] = ':';
  put(17, secs % 60, 2);
  std::size_t len = 19;
  if (frac != 0) {
    buf[19] = '.';
    put(20, frac, 6);
    len = 26;
  }
  return std::string(buf.data(), len);
}

/// Parses Django's SQLite expire_date text: `YYYY-MM-DD HH:MM:SS` (or with 'T'), optionally
/// `.f` to `.ffffff`, as naive UTC; nullopt when it is anything else.
[[nodiscard]] inline std::optional<TimePoint> parse_utc(std::string_view text) noexcept {
  using namespace std::chrono;
  if (text.size() < 19) return std::nullopt;
  auto number = [&text](std::size_t pos, std::size_t width, int& out) {
    int value = 0;
    for (std::size_t i = pos; i < pos + width; ++i) {
      const char c = text[i];
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    out = value;
    return true;
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (!number(0, 4, y) || text[4] != '-' || !number(5, 2, mo) || text[7] != '-' || !number(8, 2, d) ||
      (text[10] != ' ' && text[10] != 'T') || !number(11, 2, h) || text[13] != ':' || !number(14, 2, mi) ||
      text[16] != ':' || !number(17, 2, s)) {
    return std::nullopt;
  }
  std::int64_t frac = 0;
  if (text.size() > 19) {
    const std::size_t digits = text.size() - 20;
    if (text[19] != '.' || digits == 0 || digits > 6) return std::nullopt;
    int value = 0;
    if (!number(20, digits, value)) return std::nullopt;
    frac = value;
    for (std::size_t i = digits; i < 6; ++i) frac *= 10;
  }
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 59) return std::nullopt;
  const std::int64_t day_count = sys_days{ymd}.time_since_epoch().count();
  const std::int64_t micros = ((day_count * 86400 + h * 3600 + mi * 60 + s) * 1000000) + frac;
  return from_unix_micros(micros);
}

// --- the per-user index (user_index.hpp) ---------------------------------------------------------
// A side table beside the sessions table, `<table>_user_index`, one row per indexed session:
// Django's table is left as it is. Instants of the side table are integer microseconds since the
// epoch (one form for both databases); the session's own expiry is read from the sessions table,
// so an entry whose session is gone or expired is never listed, whatever the entry says.

/// An integer read as text; 0 when it is not one.
[[nodiscard]] inline std::int64_t int_of(std::string_view text) noexcept {
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

/// The side table of `table`.
[[nodiscard]] inline std::string user_index_table(std::string_view table) { return std::string(table) + "_user_index"; }

/// The statements of the per-user index, `$1`-style placeholders (SQLite reads them as `?1` once
/// `placeholder` is '?'). `sessions_expire_type` is how the sessions table's expire_date is
/// compared with a bound `now`.
struct UserIndexSql {
  std::string create_table;
  std::string create_user_index;
  std::string create_expire_index;
  /// $1 key -> user_id.
  std::string owner;
  /// $1 user, $2 now -> key, last_seen (µs) of the user's live sessions, least recently seen first.
  std::string live_of_user;
  /// $1 key, $2 user, $3 created, $4 last_seen, $5 expires (µs), $6 user agent, $7 address: the
  /// entry inserted, or refreshed (created kept for the same user; empty agent/address kept).
  std::string upsert;
  /// $1 key.
  std::string remove_entry;
  /// $1 key, $2 sessions' now: the session deleted only if it is still expired.
  std::string remove_expired;
  /// $1 key, $2 user.
  std::string unindex;
  /// $1 user, $2 now -> key, created, last_seen, expires (µs), user agent, address; oldest first.
  std::string list;
  /// $1 sessions' now, $2 limit -> key, user (empty when not indexed) of expired sessions.
  std::string expired_batch;
  /// Every entry whose session row is gone.
  std::string clear_orphans;
  /// $1 now (µs), $2 sessions' now, $3 limit -> key, user of entries whose session went without them.
  std::string orphans;
};

[[nodiscard]] inline UserIndexSql user_index_sql(std::string_view table, char placeholder) {
  const std::string t = sql::quoted(table);
  const std::string i = sql::quoted(user_index_table(table));
  const std::string plain(table);
  UserIndexSql q;
  q.create_table = "CREATE TABLE IF NOT EXISTS " + i +
                   " (\"session_key\" varchar(40) NOT NULL PRIMARY KEY, \"user_id\" varchar(150) NOT NULL,"
                   " \"created\" bigint NOT NULL, \"last_seen\" bigint NOT NULL, \"expire_date\" bigint NOT NULL,"
                   " \"user_agent\" text NOT NULL DEFAULT '', \"address\" text NOT NULL DEFAULT '')";
  q.create_user_index =
      "CREATE INDEX IF NOT EXISTS " + sql::quoted(plain + "_uidx_user") + " ON " + i + " (\"user_id\")";
  q.create_expire_index =
      "CREATE INDEX IF NOT EXISTS " + sql::quoted(plain + "_uidx_expire") + " ON " + i + " (\"expire_date\")";
  q.owner = "SELECT \"user_id\" FROM " + i + " WHERE \"session_key\" = $1";
  q.live_of_user = "SELECT x.\"session_key\", x.\"last_seen\" FROM " + i + " x JOIN " + t +
                   " s ON s.\"session_key\" = x.\"session_key\" WHERE x.\"user_id\" = $1 AND s.\"expire_date\" > $2"
                   " ORDER BY x.\"last_seen\", x.\"session_key\"";
  q.upsert =
      "INSERT INTO " + i +
      " AS x (\"session_key\", \"user_id\", \"created\", \"last_seen\", \"expire_date\", \"user_agent\", \"address\")"
      " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (\"session_key\") DO UPDATE SET"
      " \"created\" = CASE WHEN x.\"user_id\" = excluded.\"user_id\" THEN x.\"created\" ELSE excluded.\"created\" END,"
      " \"user_agent\" = CASE WHEN excluded.\"user_agent\" <> '' OR x.\"user_id\" <> excluded.\"user_id\""
      " THEN excluded.\"user_agent\" ELSE x.\"user_agent\" END,"
      " \"address\" = CASE WHEN excluded.\"address\" <> '' OR x.\"user_id\" <> excluded.\"user_id\""
      " THEN excluded.\"address\" ELSE x.\"address\" END,"
      " \"user_id\" = excluded.\"user_id\", \"last_seen\" = excluded.\"last_seen\","
      " \"expire_date\" = excluded.\"expire_date\"";
  q.remove_entry = "DELETE FROM " + i + " WHERE \"session_key\" = $1";
  q.remove_expired = "DELETE FROM " + t + " WHERE \"session_key\" = $1 AND \"expire_date\" <= $2";
  q.unindex = "DELETE FROM " + i + " WHERE \"session_key\" = $1 AND \"user_id\" = $2";
  q.list =
      "SELECT x.\"session_key\", x.\"created\", x.\"last_seen\", x.\"expire_date\", x.\"user_agent\", x.\"address\" "
      "FROM " +
      i + " x JOIN " + t +
      " s ON s.\"session_key\" = x.\"session_key\" WHERE x.\"user_id\" = $1 AND s.\"expire_date\" > $2"
      " ORDER BY x.\"created\", x.\"session_key\"";
  q.expired_batch =
      "SELECT s.\"session_key\", coalesce(x.\"user_id\", '') FROM " + t + " s LEFT JOIN " + i +
      " x ON x.\"session_key\" = s.\"session_key\" WHERE s.\"expire_date\" <= $1 LIMIT CAST($2 AS INTEGER)";
  // PostgreSQL: two purgers at once take different rows (SQLite's transaction excludes the other).
  if (placeholder == '$') q.expired_batch += " FOR UPDATE OF s SKIP LOCKED";
  q.clear_orphans = "DELETE FROM " + i + " WHERE NOT EXISTS (SELECT 1 FROM " + t + " s WHERE s.\"session_key\" = " + i +
                    ".\"session_key\")";
  q.orphans = "SELECT x.\"session_key\", x.\"user_id\" FROM " + i +
              " x WHERE x.\"expire_date\" <= $1 AND NOT EXISTS"
              " (SELECT 1 FROM " +
              t +
              " s WHERE s.\"session_key\" = x.\"session_key\" AND s.\"expire_date\" > $2) LIMIT CAST($3 AS INTEGER)";
  if (placeholder != '$') {
    for (UserIndexSql* self = &q;
         std::string * s : {&self->owner, &self->live_of_user, &self->upsert, &self->remove_entry, &self->unindex,
                            &self->remove_expired, &self->list, &self->expired_batch, &self->orphans}) {
      for (char& c : *s) {
        if (c == '$') c = placeholder;
      }
    }
  }
  return q;
}

}  // namespace sessions::detail::sql
