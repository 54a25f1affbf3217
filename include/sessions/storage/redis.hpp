#pragma once
// RedisStore: sessions in Redis, as Django's `cache` session backend over a Redis cache. The only
// header of the library that includes hiredis (Debian 12: hiredis 0.14; link -lhiredis).
//
// Keys: `<key_prefix><session key>`, by default ":1:django.contrib.sessions.cache<key>", the name
// Django's cache backend gives a session under the default KEY_FUNCTION. The VALUE is ours, not
// Django's (Django pickles the session dict): the record's expiry instant, then the payload (see
// detail/cache_value.hpp). A value without that header (e.g. one Django wrote) reads as absent.
//
// One command, one round trip, per operation:
//   load    GET key                                  -> the record, or nullopt
//   create  SET key value NX PX <ttl>                -> false when the key is there
//   update  SET key value XX PX <ttl>                -> false when the key is gone (never resurrects)
//   touch   EVALSHA <touch script> 1 key now header ttl
//           A touch must move the instant stored in the value as well as the server's TTL, which
//           PEXPIRE alone cannot; the script (GETRANGE, SETRANGE, PEXPIRE, run atomically by the
//           server) does both, only if the record is live by the caller's clock. When the server
//           does not know the script yet (NOSCRIPT: the first touch after the server started, or
//           after SCRIPT FLUSH), one more round trip sends it whole (EVAL), which caches it.
//   update_if  EVALSHA <update_if script> 1 key now expected value ttl: compare-and-set for
//           Settings::lost_update (GET, compare the payload, SET PX), one round trip
//   remove  DEL key
//   exists  GETRANGE key 0 19  (the header only: liveness by the store's clock, no payload)
//   clear_expired  nothing: Redis expires keys itself (returns 0)
// The TTL is the time left until the record's expiry by the store's Clock, rounded up to whole
// milliseconds (at least 1). A record whose expiry is not in the future is never written: create
// then only reports whether a live record is in the way, update and touch delete the live record.
//
// Expiry by the store's clock: load, exists and touch compare the stored instant with
// Options::clock (a ManualClock in tests), so a record past its expiry is absent even while Redis
// still holds it. create and update are plain SET NX / SET XX, which see only what Redis holds: a
// record that is expired by our clock but still held by Redis (clock skew between this host and
// the server of a few milliseconds, or a manual clock in tests) makes create return false (the
// session layer then draws another key) and lets update succeed (the record lives on with its new
// expiry, as if the update had come a moment earlier).
//
// Connections: a pool of at most Options::pool_size connections; a caller that finds none free
// waits up to Options::pool_timeout, then gets a StorageError. Each connection is opened with
// Options::connect_timeout and gets Options::command_timeout as its socket send/receive timeout
// (redisConnectWithTimeout + redisSetTimeout), then AUTH (password, or ACL user and password) and
// SELECT db when configured. An idle connection is checked before use (poll: a connection the
// server closed, e.g. at a restart, is readable) and replaced by a fresh one. When a connect fails,
// new connections are not attempted for Options::reconnect_backoff, doubling with every further
// failure up to Options::reconnect_backoff_max (operations fail at once with a StorageError
// meanwhile, instead of each paying the connect timeout); the first success resets it.
//
// Retries: a command that fails on a connection taken from the pool (broken pipe, reset, timeout)
// is retried once on a fresh connection. That is safe as it stands for the idempotent commands:
// GET, GETRANGE, DEL, SET XX (writing the same value and expiry twice is the same as once) and the
// touch script (it sets an absolute instant). SET NX (create) is not idempotent: the failed attempt
// may have been applied before the connection broke, and then the retry finds the key taken - by
// our own record. Blindly reporting that as a collision would orphan our record (and make
// save(must_create) throw CreateError); blindly reporting success could adopt someone else's
// record. So a retried SET NX that finds the key taken reads the value back: byte for byte ours
// (the same payload and the same expiry to the nanosecond) means the first attempt was applied and
// create returns true; anything else is a real collision (false). A failure on a fresh connection
// is not retried. A timeout discards the connection (a late reply would desynchronize it).
//
// Errors are sessions::StorageError naming the operation and the server (host:port or socket
// path), never the password or a whole session key. Writing to a connection the server closed
// raises SIGPIPE on Linux, which hiredis 0.14 does not suppress: each command runs with SIGPIPE
// blocked in the calling thread, and a SIGPIPE it caused is consumed, so the process is never
// killed (an application that ignores SIGPIPE is unaffected).
//
// Sentinel (Options::sentinels, redis+sentinel://): the primary is the one the sentinels name for
// Options::sentinel_service (SENTINEL get-master-addr-by-name, asked in turn), confirmed by ROLE
// on every new connection. It is asked again after a connection to it failed, after it answered
// READONLY, LOADING or MASTERDOWN (the command is then sent once more, to the primary named now),
// and an idle connection to a server that is no longer the known primary is closed. During a
// failover (the sentinels' down-after-milliseconds plus the election) operations fail with
// StorageError; a short reconnect_backoff_max keeps the first success close to its end.
//
// Cluster (Options::cluster_nodes, redis+cluster://): each key goes to the primary of its hash
// slot (detail/redis_cluster.hpp: CRC16 with hash tags, the map from CLUSTER SLOTS, one pool per
// primary). MOVED updates the map and refreshes it, ASK sends ASKING and the command to the node
// importing the slot (for that command only); at most 5 redirects per command. A failed connection
// refreshes the map and the command is retried once (a failover may have promoted a replica). Every
// command of the store names one key, so the scripts never span slots; a key_prefix with a hash
// tag ("{sessions}:") would put every session in one slot, on one primary.
//
// Durability (Options::wait_replicas, ?wait_replicas=N&wait_timeout_ms=T): Redis replicates
// asynchronously, so a write the primary acknowledged and had not yet sent to a replica is lost
// when that replica is promoted. With wait_replicas, every write is followed by WAIT on the same
// connection; a write fewer replicas confirmed within wait_timeout throws StorageError (it was
// applied on the primary, and survives unless a failover comes first). Without it, the writes of
// the last moments before a primary dies may be lost: their sessions read as older or as new.
//
// Per-user index (UserIndexStorage, user_index.hpp), without keyspace notifications (they are
// lost on a restart and are per node on a cluster). Under the key prefix P, for a user U (its id
// percent-encoded, so that no '{' or '}' of the id reaches a key, at most 256 bytes):
//   P idx:{U}          sorted set: members the user's session keys, scores their expiry (ms)
//   P idx:{U}:s:<key>  hash: created, last_seen, expiry, user agent, address; expires with the
//                      session
//   P idx:users        sorted set of the users with entries, scored by their earliest expiry
// The braces make U the hash tag: a user's keys share one slot, so each script runs on one node.
// index_session is one script there (count the live entries, refuse or evict the oldest by
// last_seen, add), atomic against concurrent logins of the user; the records of evicted sessions
// live in other slots and are deleted after it. Redis expires the records and the details by TTL;
// the entries go with purge_expired, which takes the users whose earliest expiry has passed from
// P idx:users (no scan of the keyspace) and removes their expired entries in bounded batches,
// returning them for the `expired` events; a user's sorted set also expires a day after its latest
// entry, so an index whose purge never runs still does not outgrow its sessions. for_each_session
// SCANs the record keys on every primary. The index's keys are in the store's prefix: a
// key_prefix shared with another store shares its index.
//
// TLS (rediss://) is not supported: Debian's hiredis 0.14 has no hiredis_ssl. Use a unix socket,
// a trusted network or a TLS tunnel.
//
// Thread-safe: one instance serves every thread. It must outlive every operation in progress.

#include <hiredis/hiredis.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../clock.hpp"
#include "../detail/cache_value.hpp"
#include "../log.hpp"
#include "../record.hpp"
#include "../session_key.hpp"
#include "../user_index.hpp"
#include "detail/key_value.hpp"
#include "detail/redis_client.hpp"
#include "detail/redis_io.hpp"
#include "detail/redis_url.hpp"
#include "detail/redis_index_ops.hpp"
#include "detail/redis_user_index.hpp"
#include "detail/store_options.hpp"
#include "redis_options.hpp"

namespace sessions {

class RedisStore {
 public:
  /// The store's name in events and messages.
  static constexpr std::string_view store_name = "RedisStore";
  using payload_type = std::string;
  using Options = RedisOptions;

  explicit RedisStore(Options options) : client_(std::move(options)) {}
  /// RedisStore(options_from_url(url)) with the given clock and logger.
  explicit RedisStore(std::string_view url, Clock clock = {}, Logger logger = {})
      : RedisStore(detail::with_clock_and_logger(options_from_url(url), clock, logger)) {}

  /// Options from a URL, on top of `base` (which supplies everything the URL does not say):
  ///   redis://[[user]:password@]host[:port][/db][?parameters]     port 6379, db 0 by default
  ///   unix://[[user]:password@]/path/to/redis.sock[?db=N&parameters]
  ///   redis+sentinel://[[user]:password@]sentinel[:port][,sentinel[:port]...]/SERVICE[?db=N&parameters]
  ///                                  (sentinel port 26379 by default; sentinel_password=...)
  ///   redis+cluster://[[user]:password@]node[:port][,node[:port]...][?parameters]   (db 0 only)
  /// Parameters: db, connect_timeout, timeout (command timeout), pool_size (per node on a
  /// cluster), pool_timeout (timeouts in milliseconds), key_prefix, wait_replicas and
  /// wait_timeout_ms (Durability, above). rediss:// is refused (no TLS in hiredis 0.14). User and password
  /// are percent-decoded (write '@' as %40, ':' in a user as %3A, '#' as %23). ConfigurationError
  /// for anything malformed or unknown; messages never show the password.
  [[nodiscard]] static Options options_from_url(std::string_view url, Options base = {}) {
    return detail::redis_store::options_from_url(url, std::move(base));
  }

  RedisStore(const RedisStore&) = delete;
  RedisStore& operator=(const RedisStore&) = delete;
  ~RedisStore() = default;

  [[nodiscard]] std::optional<Record<std::string>> load(std::string_view key) {
    if (!is_valid_session_key(key)) return std::nullopt;
    const std::string name = cache_key(key);
    const Reply reply = exec("load", key, Kind::read, {"GET", name});
    if (reply->type == REDIS_REPLY_NIL) return std::nullopt;
    if (reply->type != REDIS_REPLY_STRING) unexpected("load", key, *reply);
    return detail::key_value::live_record(detail::redis_store::reply_text(*reply), options().clock.now(),
                                          options().logger, detail::redis_store::kLogCategory, "RedisStore",
                                          client_.server(), key);
  }

  [[nodiscard]] bool create(std::string_view key, std::string_view payload, TimePoint expires_at) {
    if (!is_valid_session_key(key)) return false;
    const detail::key_value::Write prepared =
        detail::key_value::prepare_write(payload, expires_at, options().clock.now());
    if (prepared.ttl.count() == 0) return !exists(key);  // already over: nothing to store
    const std::string& value = prepared.value;
    const std::string name = cache_key(key);
    const std::string ms = std::to_string(prepared.ttl.count());
    bool retried = false;
    const Reply reply = exec("create", key, Kind::write, {"SET", name, value, "NX", "PX", ms}, &retried);
    if (set_result("create", key, *reply)) return true;
    return detail::key_value::created_by_first_attempt(retried, value, [&]() -> std::optional<std::string> {
      const Reply current = exec("create", key, Kind::read, {"GET", name});
      if (current->type != REDIS_REPLY_STRING) return std::nullopt;
      return std::string(detail::redis_store::reply_text(*current));
    });
  }

  [[nodiscard]] bool update(std::string_view key, std::string_view payload, TimePoint expires_at) {
    if (!is_valid_session_key(key)) return false;
    const TimePoint now = options().clock.now();
    const detail::key_value::Write prepared = detail::key_value::prepare_write(payload, expires_at, now);
    if (prepared.ttl.count() == 0) return run_touch_script("update", key, expires_at, now, prepared.ttl);  // deletes
    const std::string& value = prepared.value;
    const std::string name = cache_key(key);
    const std::string ms = std::to_string(prepared.ttl.count());
    const Reply reply = exec("update", key, Kind::write, {"SET", name, value, "XX", "PX", ms});
    return set_result("update", key, *reply);
  }

  /// Compare-and-set (lost-update protection): one EVALSHA of kUpdateIfScript, which compares the
  /// stored payload with `expected` and SETs the new value with its TTL, atomically on the server.
  /// Liveness by the store's clock, as load() sees it.
  [[nodiscard]] CasResult update_if(std::string_view key, std::string_view payload, TimePoint expires_at,
                                    std::string_view expected) {
    if (!is_valid_session_key(key)) return CasResult::missing;
    const TimePoint now = options().clock.now();
    const std::string name = cache_key(key);
    std::string now_digits = detail::cache_value::header(now);
    now_digits.pop_back();  // 19 digits, no separator
    const std::string value = detail::cache_value::encode(expires_at, payload);
    const std::string ms = std::to_string(detail::cache_value::ttl(expires_at, now).count());
    const long long result = run_script("update_if", key, detail::redis_store::kUpdateIfScriptSha1,
                                        detail::redis_store::kUpdateIfScript, {name, now_digits, expected, value, ms});
    if (result == 1) return CasResult::written;
    return result == 2 ? CasResult::conflict : CasResult::missing;
  }

  [[nodiscard]] bool touch(std::string_view key, TimePoint expires_at) {
    if (!is_valid_session_key(key)) return false;
    const TimePoint now = options().clock.now();
    return run_touch_script("touch", key, expires_at, now, detail::cache_value::ttl(expires_at, now));
  }

  void remove(std::string_view key) {
    if (!is_valid_session_key(key)) return;
    const std::string name = cache_key(key);
    const Reply reply = exec("remove", key, Kind::write, {"DEL", name});
    if (reply->type != REDIS_REPLY_INTEGER) unexpected("remove", key, *reply);
  }

  [[nodiscard]] bool exists(std::string_view key) {
    if (!is_valid_session_key(key)) return false;
    const std::string name = cache_key(key);
    const Reply reply = exec("exists", key, Kind::read, {"GETRANGE", name, "0", "19"});
    if (reply->type != REDIS_REPLY_STRING) unexpected("exists", key, *reply);
    return detail::key_value::live_header(detail::redis_store::reply_text(*reply), options().clock.now());
  }

  /// Redis removes expired keys by itself.
  [[nodiscard]] std::size_t clear_expired() const noexcept { return 0; }

  // --- the per-user index (UserIndexStorage: user_index.hpp; see "Per-user index" above) ------

  /// Indexes `key` under `user` (refreshing the entry and keeping its `created` when it is there),
  /// with the limit checked and applied by one script on the user's slot; the records of the
  /// sessions it evicts are then deleted. A session already expired is unindexed instead.
  /// LimitExceeded for an empty user id or one longer than 256 bytes.
  [[nodiscard]] IndexOutcome index_session(std::string_view user, std::string_view key, const SessionDetails& details,
                                           const UserSessionLimit& limit) {
    IndexOutcome outcome = index().index_session(user, key, details, limit, options().clock.now());
    for (const std::string& evicted : outcome.evicted) remove(evicted);
    return outcome;
  }

  /// Removes the entry of `key` under `user` (and its details).
  void unindex_session(std::string_view user, std::string_view key) { index().unindex_session(user, key); }

  /// The user's live sessions, oldest `created` first. An entry whose record is gone (deleted
  /// without being unindexed) is removed on the way; expired entries are left to the purge, which
  /// tells their expiry.
  [[nodiscard]] std::vector<UserSession> user_sessions(std::string_view user, TimePoint now) {
    return index().user_sessions(user, now, [this](std::string_view key) { return exists(key); });
  }

  /// At most `batch` expired entries removed, with their details, and returned for the `expired`
  /// events: the users come from the sorted set of users by their earliest expiry (no scan of the
  /// keyspace), and an entry goes only when its record is gone or expired by the store's clock (a
  /// record touched since it was indexed moves its entry to its new expiry instead). Redis
  /// expires the records themselves.
  [[nodiscard]] std::vector<PurgedSession> purge_expired(std::size_t batch, TimePoint now) {
    return index().purge_expired(batch, now);
  }

  /// Calls fn(key, payload, expires_at) for each live record under the key prefix (SCAN, on every
  /// primary of a cluster), for `reindex`. Values that are not records of this store (e.g. ones
  /// Django pickled) are skipped.
  void for_each_session(const std::function<void(std::string_view, const std::string&, TimePoint)>& fn) {
    const std::string& prefix = options().key_prefix;
    const std::string match = detail::redis_store::glob_escape(prefix) + "*";
    for (const auto& node : client_.scan_nodes("for_each_session")) {
      std::string cursor = "0";
      do {
        for (const std::string& name : client_.scan_step("for_each_session", node, cursor, match)) {
          const std::string_view key = std::string_view(name).substr(prefix.size());
          if (!is_valid_session_key(key)) continue;  // the index's own keys, or not a session
          if (const auto record = load(key)) fn(key, record->payload, record->expires_at);
        }
      } while (cursor != "0");
    }
  }

  /// PING: throws StorageError when the server cannot be reached (for health checks).
  void ping() {
    const Reply reply = exec("ping", {}, Kind::read, {"PING"});
    if (reply->type != REDIS_REPLY_STATUS) unexpected("ping", {}, *reply);
  }

  /// The Redis key of a session: key_prefix + session key.
  [[nodiscard]] std::string cache_key(std::string_view session_key) const {
    return detail::key_value::cache_key(options().key_prefix, session_key);
  }

  /// "host:port" or "unix:/path", as in messages.
  [[nodiscard]] const std::string& server() const noexcept { return client_.server(); }
  [[nodiscard]] const Clock& clock() const noexcept { return options().clock; }

  /// Connections open (in use or idle) and idle, at this instant.
  struct PoolState {
    std::size_t open = 0;
    std::size_t idle = 0;
  };
  [[nodiscard]] PoolState pool_state() const {
    const auto state = client_.pool_state();
    return PoolState{state.open, state.idle};
  }

 private:
  using Reply = detail::redis_store::Reply;
  using Kind = detail::redis_store::Kind;

  [[nodiscard]] const Options& options() const noexcept { return client_.options(); }

  Reply exec(const char* op, std::string_view key, Kind kind, std::initializer_list<std::string_view> args,
             bool* retried = nullptr) {
    return client_.exec(op, key, kind, args, retried);
  }
  [[noreturn]] void unexpected(const char* op, std::string_view key, const redisReply& reply) const {
    client_.unexpected(op, key, reply);
  }
  bool set_result(const char* op, std::string_view key, const redisReply& reply) const {
    return client_.set_result(op, key, reply);
  }
  long long run_script(const char* op, std::string_view key, std::string_view sha1, std::string_view script,
                       std::initializer_list<std::string_view> key_and_args) {
    return client_.run_script(op, key, sha1, script, key_and_args);
  }

  bool run_touch_script(const char* op, std::string_view key, TimePoint expires_at, TimePoint now,
                        std::chrono::milliseconds ttl) {
    const std::string name = cache_key(key);
    std::string now_digits = detail::cache_value::header(now);
    now_digits.pop_back();  // 19 digits, no separator
    const std::string fresh = detail::cache_value::header(expires_at);
    const std::string ms = std::to_string(ttl.count());
    return run_script(op, key, detail::redis_store::kTouchScriptSha1, detail::redis_store::kTouchScript,
                      {name, now_digits, fresh, ms}) == 1;
  }
  [[nodiscard]] detail::redis_store::IndexOps index() noexcept { return detail::redis_store::IndexOps(client_); }

  detail::redis_store::Client client_;
};

}  // namespace sessions
