#pragma once
// RedisStore's per-user index, the operations (storage/redis.hpp documents them and the layout;
// detail/redis_user_index.hpp has the key names and the scripts). Each runs through the store's
// Client: the scripts on the user's slot, the purge pipelined, one round trip per node and step.

#include <hiredis/hiredis.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../../clock.hpp"
#include "../../detail/cache_value.hpp"
#include "../../session_key.hpp"
#include "../../user_index.hpp"
#include "key_value.hpp"
#include "redis_client.hpp"
#include "redis_io.hpp"
#include "redis_user_index.hpp"

namespace sessions::detail::redis_store {

class IndexOps {
 public:
  explicit IndexOps(Client& client) noexcept : client_(client) {}

  // index_session; the caller deletes the records of the sessions it evicted (other slots).
  [[nodiscard]] IndexOutcome index_session(std::string_view user, std::string_view key, const SessionDetails& details,
                                           const UserSessionLimit& limit, TimePoint now) {
    if (!is_valid_session_key(key)) return {};
    if (details.expires_at <= now) {
      unindex_session(user, key);
      return {};
    }
    const IndexKeys keys(client_.options().key_prefix, user);
    const std::string details_key = keys.details_prefix + std::string(key);
    const std::string now_ms = ms_text(now);
    const std::string expires = ms_text(details.expires_at);
    const std::string created = ms_text(details.created);
    const std::string last_seen = ms_text(details.last_seen);
    const std::string max = std::to_string(limit.max_sessions);
    const std::string ttl = std::to_string(detail::cache_value::ttl(details.expires_at, now).count());
    const std::string grace = std::to_string(kIndexGraceMs);
    const bool refuse = limit.at_limit == UserSessionLimit::AtLimit::refuse_new;
    const std::array<std::string_view, 14> args{
        keys.index,         details_key,     key, keys.details_prefix, now_ms, expires, created, last_seen,
        details.user_agent, details.address, max, refuse ? "r" : "e",  ttl,    grace};
    const Reply reply =
        client_.script_reply("index_session", key, Kind::write, kIndexScriptSha1, kIndexScript, 2, args);
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0 || reply->element[0]->type != REDIS_REPLY_INTEGER) {
      client_.unexpected("index_session", key, *reply);
    }
    if (reply->element[0]->integer == 0) return IndexOutcome{true, {}};
    const std::vector<std::string> out = strings(*reply, 1);  // earliest score, evicted...
    if (out.empty()) client_.unexpected("index_session", key, *reply);
    note_user(keys.encoded, out.front(), now_ms);
    IndexOutcome outcome;
    outcome.evicted.assign(out.begin() + 1, out.end());
    return outcome;
  }

  void unindex_session(std::string_view user, std::string_view key) {
    const IndexKeys keys(client_.options().key_prefix, user);
    (void)remove_entries("unindex_session", keys, "", {std::string(key)});
  }

  template <class Exists>
  [[nodiscard]] std::vector<UserSession> user_sessions(std::string_view user, TimePoint now, Exists&& exists) {
    const IndexKeys keys(client_.options().key_prefix, user);
    const std::string now_ms = ms_text(now);
    const std::array<std::string_view, 3> args{keys.index, keys.details_prefix, now_ms};
    const Reply reply = client_.script_reply("user_sessions", {}, Kind::read, kListScriptSha1, kListScript, 1, args);
    std::vector<UserSession> sessions = parse_listing(*reply);
    std::vector<std::string> gone;
    std::erase_if(sessions, [&](const UserSession& s) {
      if (exists(s.key)) return false;
      gone.push_back(s.key);
      return true;
    });
    if (!gone.empty()) (void)remove_entries("user_sessions", keys, "", gone);
    std::stable_sort(sessions.begin(), sessions.end(),
                     [](const UserSession& a, const UserSession& b) { return a.details.created < b.details.created; });
    return sessions;
  }

  [[nodiscard]] std::vector<PurgedSession> purge_expired(std::size_t batch, TimePoint now) {
    std::vector<PurgedSession> purged;
    if (batch == 0) return purged;
    const char* op = "purge_expired";
    const std::string users = users_key(client_.options().key_prefix);
    const std::string now_ms = ms_text(now);
    const Reply due =
        client_.exec(op, {}, Kind::read,
                     {"ZRANGEBYSCORE", users, "-inf", now_ms, "WITHSCORES", "LIMIT", "0", std::to_string(batch)});
    const std::vector<std::string> due_users = strings(*due, 0);  // user, score, ...
    // Each step below is one pipelined round trip per node, for every user of the batch at once.
    std::vector<IndexKeys> keys;
    std::vector<std::vector<std::string>> commands;
    const std::string per_user = std::to_string(std::min<std::size_t>(batch, kPurgePerUser));
    for (std::size_t i = 0; i + 1 < due_users.size(); i += 2) {
      keys.emplace_back(client_.options().key_prefix, decode_user(due_users[i]));
      commands.push_back({"ZRANGEBYSCORE", keys.back().index, "-inf", now_ms, "LIMIT", "0", per_user});
    }
    // 1. The users' expired entries, at most `batch` in all: the users beyond wait for the next call.
    const std::vector<Reply> lists = client_.exec_all(op, Kind::read, commands);
    std::vector<std::pair<std::size_t, std::string>> candidates;  // (user, session key)
    std::size_t users_taken = 0;
    for (; users_taken < lists.size() && candidates.size() < batch; ++users_taken) {
      for (std::string& key : strings(*lists[users_taken], 0)) {
        if (candidates.size() == batch) break;
        candidates.emplace_back(users_taken, std::move(key));
      }
    }
    // 2. Their records' expiry: a record touched since it was indexed moves its entry (3) instead.
    commands.clear();
    for (const auto& [user, key] : candidates)
      commands.push_back({"GETRANGE", key_value::cache_key(client_.options().key_prefix, key), "0", "19"});
    const std::vector<Reply> headers = client_.exec_all(op, Kind::read, commands);
    std::vector<std::vector<std::string>> removals(users_taken);
    commands.clear();
    for (std::size_t j = 0; j < candidates.size(); ++j) {
      const auto& [user, key] = candidates[j];
      const std::optional<TimePoint> expires_at = headers[j]->type == REDIS_REPLY_STRING
                                                      ? detail::cache_value::read_header(reply_text(*headers[j]))
                                                      : std::nullopt;
      if (expires_at && *expires_at > now) {
        commands.push_back({"ZADD", keys[user].index, "XX", ms_text(*expires_at), key});
      } else {
        removals[user].push_back(key);
      }
    }
    if (!commands.empty()) (void)client_.exec_all(op, Kind::write, commands);
    // 4. The removal script on each user's slot (also for a user without expired entries: its score
    // in the users' set is set right in 5).
    for (std::size_t u = 0; u < users_taken; ++u) {
      std::vector<std::string> args{keys[u].index, keys[u].details_prefix, now_ms};
      args.insert(args.end(), removals[u].begin(), removals[u].end());
      removals[u] = std::move(args);
    }
    const std::vector<Reply> removed =
        client_.scripts_pipelined(op, Kind::write, kRemoveScriptSha1, kRemoveScript, removals);
    // 5. Each user's score becomes the earliest expiry left, or the user leaves the set when none
    // is left; either only if no login changed the score since it was read.
    commands.clear();
    for (std::size_t u = 0; u < users_taken; ++u) {
      const std::vector<std::string> out = strings(*removed[u], 0);
      if (out.empty()) client_.unexpected(op, {}, *removed[u]);
      const std::string user = decode_user(keys[u].encoded);
      for (auto it = out.begin() + 1; it != out.end(); ++it) purged.push_back(PurgedSession{*it, user});
      commands.push_back({users, keys[u].encoded, "p", out.front(), due_users[2 * u + 1]});
    }
    (void)client_.scripts_pipelined(op, Kind::write, kUsersScriptSha1, kUsersScript, commands);
    return purged;
  }

 private:
  // The most expired entries of one user a purge takes at once (a user with more is due again).
  static constexpr std::size_t kPurgePerUser = 64;

  static std::string ms_text(TimePoint t) { return std::to_string(to_ms(t)); }

  // The per-user index's remove script: the entries among `keys_to_remove` whose score is at most
  // `max_score` ("": any) go. Returns {the earliest score left or "", the removed keys...}.
  std::vector<std::string> remove_entries(const char* op, const IndexKeys& keys, std::string_view max_score,
                                          const std::vector<std::string>& keys_to_remove) {
    std::vector<std::string_view> args{keys.index, keys.details_prefix, max_score};
    args.insert(args.end(), keys_to_remove.begin(), keys_to_remove.end());
    const Reply reply = client_.script_reply(op, {}, Kind::write, kRemoveScriptSha1, kRemoveScript, 1, args);
    std::vector<std::string> out = strings(*reply, 0);
    if (out.empty()) client_.unexpected(op, {}, *reply);
    return out;
  }

  // The sorted set of users after a login: the user's score becomes `earliest` when the user is
  // missing, when it was due (at most `now`: the purge may be about to remove the user) or when
  // `earliest` is lower.
  void note_user(const std::string& encoded, const std::string& earliest, const std::string& now) {
    users_script("index_session", encoded, "l", earliest, now);
  }
  void users_script(const char* op, const std::string& encoded, std::string_view mode, std::string_view score,
                    std::string_view than) {
    const std::string users = users_key(client_.options().key_prefix);
    const std::array<std::string_view, 5> args{users, encoded, mode, score, than};
    (void)client_.script_reply(op, {}, Kind::write, kUsersScriptSha1, kUsersScript, 1, args);
  }

  Client& client_;
};

}  // namespace sessions::detail::redis_store
