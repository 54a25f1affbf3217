#pragma once
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

#include <cstddef>
#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "../../clock.hpp"
#include "../../session_key.hpp"
#include "../../user_index.hpp"
#include "../sql_common.hpp"

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
