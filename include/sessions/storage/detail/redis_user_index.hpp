#pragma once
// RedisStore's per-user index (UserIndexStorage, user_index.hpp): the key names, the encoding of
// a user id into them, and the Lua scripts. RedisStore (storage/redis.hpp) describes the layout.
//
// Every key of one user carries the user's hash tag ("{<encoded user>}"), so that on a Redis
// Cluster they share one slot and each script below runs on one node, atomically. The user id is
// data from the session: it is percent-encoded before it becomes part of a key, so that a '{' or
// '}' in it can never move its keys to another user's slot, and its length is bounded.
//
// Scores and the stored instants are milliseconds since the epoch by the store's Clock (Lua
// numbers are doubles: exact for any instant of this era).

#include <hiredis/hiredis.h>

#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "../../clock.hpp"
#include "../../errors.hpp"
#include "../../user_index.hpp"
#include "redis_io.hpp"

namespace sessions::detail::redis_store {

/// The longest user id the index takes (bytes, before encoding): a key is not a place for a
/// document, and an unbounded id would make unbounded keys.
inline constexpr std::size_t kMaxIndexedUserId = 256;

/// `user` as it appears in keys: bytes other than `[A-Za-z0-9._@+-]` as `%XX` (upper-case hex), so
/// no '{', '}', ':' or '*' reaches a key. LimitExceeded for an empty id or one longer than
/// kMaxIndexedUserId (an empty hash tag would scatter the user's keys over the cluster).
[[nodiscard]] inline std::string encode_user(std::string_view user) {
  if (user.empty() || user.size() > kMaxIndexedUserId) {
    throw LimitExceeded("RedisStore: a user id of the per-user index must be 1 to " +
                        std::to_string(kMaxIndexedUserId) + " bytes (got " + std::to_string(user.size()) + ")");
  }
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(user.size());
  for (const char c : user) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                       c == '_' || c == '@' || c == '+' || c == '-';
    if (plain) {
      out += c;
    } else {
      const auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    }
  }
  return out;
}

/// The inverse of encode_user; a malformed escape is kept as it is (the text came from our own keys).
[[nodiscard]] inline std::string decode_user(std::string_view encoded) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(encoded.size());
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] == '%' && i + 2 < encoded.size() && hex(encoded[i + 1]) >= 0 && hex(encoded[i + 2]) >= 0) {
      out += static_cast<char>(hex(encoded[i + 1]) * 16 + hex(encoded[i + 2]));
      i += 2;
    } else {
      out += encoded[i];
    }
  }
  return out;
}

/// The key names of one user's index, under the store's key prefix.
struct IndexKeys {
  IndexKeys(std::string_view prefix, std::string_view user)
      : encoded(encode_user(user)),
        index(std::string(prefix) + "idx:{" + encoded + "}"),
        details_prefix(index + ":s:") {}
  std::string encoded;
  /// The sorted set: members are session keys, scores their expiry.
  std::string index;
  /// + session key: the hash of that session's details (c created, l last_seen, e expires,
  /// a user agent, r address), expiring with the session.
  std::string details_prefix;
};

/// The sorted set of users that have entries, each scored by the earliest expiry among them (at
/// most that: a refreshed session can leave the score early, and the purge then sets it right).
[[nodiscard]] inline std::string users_key(std::string_view prefix) { return std::string(prefix) + "idx:users"; }

[[nodiscard]] inline std::int64_t to_ms(TimePoint t) noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
[[nodiscard]] inline TimePoint from_ms(std::int64_t ms) noexcept {
  return TimePoint{std::chrono::duration_cast<TimePoint::duration>(std::chrono::milliseconds{ms})};
}

/// How long a user's sorted set outlives the latest expiry among its entries: the purge has this
/// long to find the expired entries (and emit their events); a store whose purge never runs still
/// loses the whole set then, so the index cannot outgrow the sessions.
inline constexpr std::int64_t kIndexGraceMs = 24LL * 3600 * 1000;

// index_session. KEYS: the user's sorted set, the session's details hash. ARGV: 1 session key,
// 2 details prefix, 3 now, 4 expires, 5 created, 6 last_seen, 7 user agent, 8 address, 9 limit
// (0: none), 10 'r' to refuse at the limit ('e': evict the oldest by last_seen), 11 the details'
// TTL in ms, 12 the sorted set's grace in ms. Expired entries are not counted (and not removed:
// the purge removes them and tells their expiry). Returns {0} when refused, else {1, the earliest
// score, evicted keys...}; the caller deletes the evicted sessions' records (other slots).
inline constexpr std::string_view kIndexScript =
    "local idx, pre, key = KEYS[1], ARGV[2], ARGV[1]\n"
    "local now, limit = tonumber(ARGV[3]), tonumber(ARGV[9])\n"
    "local evicted = {}\n"
    "if limit > 0 and not redis.call('ZSCORE', idx, key) then\n"
    "  local live = redis.call('ZRANGEBYSCORE', idx, '(' .. ARGV[3], '+inf')\n"
    "  local over = #live + 1 - limit\n"
    "  if over > 0 then\n"
    "    if ARGV[10] == 'r' then return {0} end\n"
    "    local seen = {}\n"
    "    for i = 1, #live do\n"
    "      seen[i] = {tonumber(redis.call('HGET', pre .. live[i], 'l') or '0'), live[i]}\n"
    "    end\n"
    "    table.sort(seen, function(a, b) if a[1] ~= b[1] then return a[1] < b[1] end return a[2] < b[2] end)\n"
    "    for i = 1, over do\n"
    "      redis.call('ZREM', idx, seen[i][2])\n"
    "      redis.call('DEL', pre .. seen[i][2])\n"
    "      evicted[#evicted + 1] = seen[i][2]\n"
    "    end\n"
    "  end\n"
    "end\n"
    "redis.call('HSETNX', KEYS[2], 'c', ARGV[5])\n"
    "redis.call('HSET', KEYS[2], 'l', ARGV[6], 'e', ARGV[4], 'a', ARGV[7], 'r', ARGV[8])\n"
    "redis.call('PEXPIRE', KEYS[2], ARGV[11])\n"
    "redis.call('ZADD', idx, ARGV[4], key)\n"
    "local last = redis.call('ZRANGE', idx, -1, -1, 'WITHSCORES')\n"
    "local first = redis.call('ZRANGE', idx, 0, 0, 'WITHSCORES')\n"
    "redis.call('PEXPIRE', idx, math.max(1, tonumber(last[2]) - now) + tonumber(ARGV[12]))\n"
    "local out = {1, first[2]}\n"
    "for i = 1, #evicted do out[#out + 1] = evicted[i] end\n"
    "return out\n";
/// SHA-1 of kIndexScript (what SCRIPT LOAD answers; a test checks it against the server).
inline constexpr std::string_view kIndexScriptSha1 = "f10a89c5960f17680c52d5fb5dd4be239606a110";

// Removes entries. KEYS: the user's sorted set. ARGV: 1 details prefix, 2 the highest score to
// remove ('' : any), 3... session keys. An entry is removed (with its details) only when its score
// is at most ARGV[2]: an entry a concurrent save refreshed stays. Returns {the earliest remaining
// score or '', removed keys...}.
inline constexpr std::string_view kRemoveScript =
    "local idx, pre = KEYS[1], ARGV[1]\n"
    "local limit = tonumber(ARGV[2])\n"
    "local out = {''}\n"
    "for i = 3, #ARGV do\n"
    "  local s = redis.call('ZSCORE', idx, ARGV[i])\n"
    "  if s and (not limit or tonumber(s) <= limit) then\n"
    "    redis.call('ZREM', idx, ARGV[i])\n"
    "    redis.call('DEL', pre .. ARGV[i])\n"
    "    out[#out + 1] = ARGV[i]\n"
    "  end\n"
    "end\n"
    "local first = redis.call('ZRANGE', idx, 0, 0, 'WITHSCORES')\n"
    "if first[2] then out[1] = first[2] end\n"
    "return out\n";
/// SHA-1 of kRemoveScript.
inline constexpr std::string_view kRemoveScriptSha1 = "36210057ea4f82fec4ffcd547801907ef1a9a102";

// A user's live entries with their details. KEYS: the user's sorted set. ARGV: 1 details prefix,
// 2 now. Returns {key, created, last_seen, expires, user agent, address, key, ...} (a missing
// field is nil).
inline constexpr std::string_view kListScript =
    "local idx, pre = KEYS[1], ARGV[1]\n"
    "local keys = redis.call('ZRANGEBYSCORE', idx, '(' .. ARGV[2], '+inf')\n"
    "local out = {}\n"
    "for i = 1, #keys do\n"
    "  local d = redis.call('HMGET', pre .. keys[i], 'c', 'l', 'e', 'a', 'r')\n"
    "  out[#out + 1] = keys[i]\n"
    "  for j = 1, 5 do out[#out + 1] = d[j] end\n"
    "end\n"
    "return out\n";
/// SHA-1 of kListScript.
inline constexpr std::string_view kListScriptSha1 = "c367670bfbcd8784d0309342abe1874de92a18b1";

// The sorted set of users. KEYS: that set. ARGV: 1 the encoded user, 2 'l' after a login (the
// score becomes ARGV[3], the user's earliest expiry, when the user is missing, or when its score
// is at most ARGV[4], now, or higher than ARGV[3]) or 'p' after a purge (only when the score is
// still ARGV[4], the one the purge read: the score becomes ARGV[3], or the user is removed when
// ARGV[3] is ''). So a login that lands between a purge's removal of the last entries and its
// update of this set is never lost: it changed the score the purge compares with.
inline constexpr std::string_view kUsersScript =
    "local cur = redis.call('ZSCORE', KEYS[1], ARGV[1])\n"
    "if ARGV[2] == 'l' then\n"
    "  if not cur or tonumber(cur) <= tonumber(ARGV[4]) or tonumber(ARGV[3]) < tonumber(cur) then\n"
    "    redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])\n"
    "  end\n"
    "elseif cur and tonumber(cur) == tonumber(ARGV[4]) then\n"
    "  if ARGV[3] == '' then redis.call('ZREM', KEYS[1], ARGV[1]) else redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1]) "
    "end\n"
    "end\n"
    "return 0\n";
/// SHA-1 of kUsersScript.
inline constexpr std::string_view kUsersScriptSha1 = "550542e6c97e1470dddade734f9bf232816f590f";

/// `text` with the glob characters of SCAN's MATCH escaped, so that a key prefix matches itself only.
[[nodiscard]] inline std::string glob_escape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

/// The elements of an array reply from index `from` on, as strings (a nil or non-string element
/// is ""); empty for a reply that is not an array.
[[nodiscard]] inline std::vector<std::string> strings(const redisReply& reply, std::size_t from) {
  std::vector<std::string> out;
  if (reply.type != REDIS_REPLY_ARRAY) return out;
  for (std::size_t i = from; i < reply.elements; ++i) {
    const redisReply& e = *reply.element[i];
    out.emplace_back(e.type == REDIS_REPLY_STRING || e.type == REDIS_REPLY_STATUS ? reply_text(e) : std::string_view{});
  }
  return out;
}

/// kListScript's reply as UserSessions (in the index's order); a malformed instant reads as 0.
[[nodiscard]] inline std::vector<UserSession> parse_listing(const redisReply& reply) {
  const std::vector<std::string> fields = strings(reply, 0);
  auto instant = [](const std::string& text) {
    std::int64_t ms = 0;
    (void)std::from_chars(text.data(), text.data() + text.size(), ms);
    return from_ms(ms);
  };
  std::vector<UserSession> out;
  for (std::size_t i = 0; i + 6 <= fields.size(); i += 6) {
    out.push_back(UserSession{fields[i], SessionDetails{instant(fields[i + 1]), instant(fields[i + 2]),
                                                        instant(fields[i + 3]), fields[i + 4], fields[i + 5]}});
  }
  return out;
}

}  // namespace sessions::detail::redis_store
