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
// TLS (rediss://) is not supported: Debian's hiredis 0.14 has no hiredis_ssl. Use a unix socket,
// a trusted network or a TLS tunnel.
//
// Thread-safe: one instance serves every thread. It must outlive every operation in progress.

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../clock.hpp"
#include "../detail/cache_value.hpp"
#include "../errors.hpp"
#include "../log.hpp"
#include "../record.hpp"
#include "../session_key.hpp"
#include "detail/key_value.hpp"
#include "detail/pool.hpp"
#include "detail/redis_cluster.hpp"
#include "detail/redis_io.hpp"
#include "detail/redis_sentinel.hpp"
#include "detail/store_options.hpp"
#include "url.hpp"

namespace sessions {

/// RedisStore's options: those every key-value store has (key_prefix, connect_timeout, pool_size,
/// pool_timeout, clock, logger; see detail::key_value::CommonOptions) and these.
struct RedisOptions : detail::key_value::CommonOptions {
  /// Host name or address (IPv4, IPv6) of the server; ignored when unix_socket is set.
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  /// Path of the server's unix socket; when not empty, used instead of host and port.
  std::string unix_socket;
  /// ACL user (Redis 6+): `AUTH <username> <password>`. Empty: `AUTH <password>` (the default user).
  std::string username;
  /// Empty: no AUTH.
  std::string password;
  /// `SELECT <db>` on every connection when not 0.
  int db = 0;
  /// Socket send and receive timeout of every command.
  std::chrono::milliseconds command_timeout{1000};
  /// Pause after a failed connect before the next attempt; doubles per failure up to the max.
  std::chrono::milliseconds reconnect_backoff{100};
  std::chrono::milliseconds reconnect_backoff_max{5000};
  /// Redis Sentinel: when not empty, the primary of `sentinel_service` is the one these sentinels
  /// name (host, port and unix_socket are then unused); see "Sentinel" above.
  std::vector<RedisAddress> sentinels;
  std::string sentinel_service;
  /// AUTH for the sentinels (their requirepass); empty: none. `password` is the data nodes'.
  std::string sentinel_password;
  /// Redis Cluster: when not empty, some nodes of the cluster (any, primaries or replicas) from
  /// which the slot map is learnt; host, port and unix_socket are then unused, db must be 0.
  std::vector<RedisAddress> cluster_nodes;
  /// Durability: after every write, `WAIT wait_replicas wait_timeout` on the same connection; a
  /// write fewer replicas confirmed in time is a StorageError (see "Durability" above). 0: no WAIT.
  int wait_replicas = 0;
  std::chrono::milliseconds wait_timeout{100};
};

// RedisStore::options_from_url / MemcachedStore::options_from_url (documented there).
namespace detail::redis_store {
[[nodiscard]] inline RedisOptions options_from_url(std::string_view text, RedisOptions base) {
  Url url = parse_url(text);
  const std::string where = "RedisStore: URL " + url.redacted();
  if (url.scheme == "rediss") {
    throw ConfigurationError(where + ": rediss:// (Redis over TLS) is not supported: the hiredis this build uses (" +
                             std::to_string(HIREDIS_MAJOR) + "." + std::to_string(HIREDIS_MINOR) +
                             ") has no TLS support (hiredis_ssl). Use redis:// over a trusted network or a TLS "
                             "tunnel, or unix:// for a local server");
  }
  const bool sentinel = url.scheme == "redis+sentinel";
  const bool cluster = url.scheme == "redis+cluster";
  if (url.scheme != "redis" && url.scheme != "unix" && !sentinel && !cluster) {
    throw ConfigurationError(where + ": unsupported scheme '" + url.scheme +
                             "' (expected redis://, redis+sentinel://, redis+cluster:// or unix://)");
  }
  if (!url.has_authority) throw ConfigurationError(where + ": expected " + url.scheme + "://...");
  RedisOptions options = std::move(base);
  if (url.username && !url.username->empty()) {
    if (!url.password) throw ConfigurationError(where + ": a user name needs a password (user:password@)");
    options.username = *url.username;
  } else {
    options.username.clear();
  }
  if (url.password) options.password = *url.password;

  std::optional<std::int64_t> db;
  options.sentinels.clear();
  options.sentinel_service.clear();
  options.cluster_nodes.clear();
  if (cluster) {
    if (url.hosts.empty()) throw ConfigurationError(where + ": expected at least one cluster node (host:port)");
    for (const UrlHost& h : url.hosts) options.cluster_nodes.push_back(RedisAddress{h.name, h.port.value_or(6379)});
    if (!url.path.empty() && url.path != "/" && url.path != "/0") {
      throw ConfigurationError(where + ": a Redis Cluster has only database 0");
    }
    options.unix_socket.clear();
  } else if (sentinel) {
    if (url.hosts.empty()) throw ConfigurationError(where + ": expected at least one sentinel (host:port)");
    for (const UrlHost& h : url.hosts) options.sentinels.push_back(RedisAddress{h.name, h.port.value_or(26379)});
    if (url.path.size() < 2 || url.path.find('/', 1) != std::string::npos) {
      throw ConfigurationError(where + ": the path must name the service the sentinels monitor (/mymaster)");
    }
    options.sentinel_service = url.path.substr(1);
    options.unix_socket.clear();
  } else if (url.scheme == "redis") {
    if (url.hosts.size() != 1) throw ConfigurationError(where + ": expected exactly one host");
    options.host = url.hosts.front().name;
    options.port = url.hosts.front().port.value_or(6379);
    options.unix_socket.clear();
    if (!url.path.empty() && url.path != "/") {
      const std::string_view digits = std::string_view(url.path).substr(1);
      std::int64_t value = 0;
      for (const char c : digits) {
        if (c < '0' || c > '9' || value > 1'000'000) {
          throw ConfigurationError(where + ": the path must be a database number (/0, /1, ...)");
        }
        value = value * 10 + (c - '0');
      }
      db = value;
    }
  } else {
    if (!url.hosts.empty()) {
      throw ConfigurationError(where + ": a unix socket URL has no host: write unix:///path/to/redis.sock");
    }
    if (url.path.empty() || url.path == "/") throw ConfigurationError(where + ": no socket path");
    options.unix_socket = url.path;
  }
  if (const auto value = url.take_integer("db", 0, 1'000'000)) {
    if (db) throw ConfigurationError(where + ": the database is given twice (path and ?db=)");
    db = *value;
  }
  if (db) options.db = static_cast<int>(*db);
  if (auto value = url.take("sentinel_password")) {
    if (!sentinel) throw ConfigurationError(where + ": sentinel_password is for redis+sentinel:// URLs");
    options.sentinel_password = std::move(*value);
  }
  if (const auto value = url.take_integer("wait_replicas", 0, 1000)) options.wait_replicas = static_cast<int>(*value);
  if (const auto value = url.take_milliseconds("wait_timeout_ms")) options.wait_timeout = *value;
  detail::key_value::take_common_parameters(url, options, options.command_timeout);
  url.reject_unknown_parameters();
  return options;
}
}  // namespace detail::redis_store

class RedisStore {
 public:
  /// The store's name in events and messages.
  static constexpr std::string_view store_name = "RedisStore";
  using payload_type = std::string;
  using Options = RedisOptions;

  explicit RedisStore(Options options)
      : options_(std::move(options)),
        pool_("RedisStore",
              detail::PoolSettings{options_.pool_size, options_.pool_timeout, options_.reconnect_backoff,
                                   options_.reconnect_backoff_max},
              options_.logger, detail::redis_store::kLogCategory) {
    detail::require_positive("RedisStore", "connect_timeout", options_.connect_timeout);
    detail::require_positive("RedisStore", "command_timeout", options_.command_timeout);
    if (options_.db < 0) throw ConfigurationError("RedisStore: db must not be negative");
    if (options_.username.size() > 0 && options_.password.empty()) {
      throw ConfigurationError("RedisStore: a user name needs a password");
    }
    if (options_.wait_replicas < 0) throw ConfigurationError("RedisStore: wait_replicas must not be negative");
    if (options_.wait_replicas > 0) {
      // WAIT 0 would block for ever; a WAIT that outlasts the socket timeout would break the connection.
      detail::require_positive("RedisStore", "wait_timeout", options_.wait_timeout);
      if (options_.wait_timeout >= options_.command_timeout) {
        throw ConfigurationError("RedisStore: wait_timeout must be shorter than command_timeout");
      }
    }
    if (!options_.cluster_nodes.empty()) {
      if (!options_.sentinels.empty())
        throw ConfigurationError("RedisStore: cluster_nodes and sentinels exclude each other");
      if (options_.db != 0) throw ConfigurationError("RedisStore: a Redis Cluster has only database 0");
      server_ = "cluster ";
      for (std::size_t i = 0; i < options_.cluster_nodes.size(); ++i) {
        server_ += (i == 0 ? "" : ",") + detail::redis_store::address_text(options_.cluster_nodes[i]);
      }
      cluster_ =
          std::make_unique<detail::redis_store::ClusterMap>(options_.cluster_nodes, pool_.settings(), options_.logger);
    } else if (!options_.sentinels.empty()) {
      if (options_.sentinel_service.empty()) throw ConfigurationError("RedisStore: sentinels need a sentinel_service");
      server_ = "primary of '" + options_.sentinel_service + "' via sentinels ";
      for (std::size_t i = 0; i < options_.sentinels.size(); ++i) {
        server_ += (i == 0 ? "" : ",") + detail::redis_store::address_text(options_.sentinels[i]);
      }
      sentinel_ = std::make_unique<detail::redis_store::SentinelDirectory>(
          options_.sentinels, options_.sentinel_service, options_.sentinel_password);
    } else {
      server_ = options_.unix_socket.empty() ? detail::key_value::host_port(options_.host, options_.port)
                                             : "unix:" + options_.unix_socket;
      if (options_.unix_socket.empty() && options_.host.empty()) throw ConfigurationError("RedisStore: no host");
    }
    db_text_ = std::to_string(options_.db);
    pool_.set_server("RedisStore: " + server_);
  }
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
    return detail::key_value::live_record(detail::redis_store::reply_text(*reply), options_.clock.now(),
                                          options_.logger, detail::redis_store::kLogCategory, "RedisStore", server_,
                                          key);
  }

  [[nodiscard]] bool create(std::string_view key, std::string_view payload, TimePoint expires_at) {
    if (!is_valid_session_key(key)) return false;
    const detail::key_value::Write prepared =
        detail::key_value::prepare_write(payload, expires_at, options_.clock.now());
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
    const TimePoint now = options_.clock.now();
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
    const TimePoint now = options_.clock.now();
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
    const TimePoint now = options_.clock.now();
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
    return detail::key_value::live_header(detail::redis_store::reply_text(*reply), options_.clock.now());
  }

  /// Redis removes expired keys by itself.
  [[nodiscard]] std::size_t clear_expired() const noexcept { return 0; }

  /// PING: throws StorageError when the server cannot be reached (for health checks).
  void ping() {
    const Reply reply = exec("ping", {}, Kind::read, {"PING"});
    if (reply->type != REDIS_REPLY_STATUS) unexpected("ping", {}, *reply);
  }

  /// The Redis key of a session: key_prefix + session key.
  [[nodiscard]] std::string cache_key(std::string_view session_key) const {
    return detail::key_value::cache_key(options_.key_prefix, session_key);
  }

  /// "host:port" or "unix:/path", as in messages.
  [[nodiscard]] const std::string& server() const noexcept { return server_; }
  [[nodiscard]] const Clock& clock() const noexcept { return options_.clock; }

  /// Connections open (in use or idle) and idle, at this instant.
  struct PoolState {
    std::size_t open = 0;
    std::size_t idle = 0;
  };
  [[nodiscard]] PoolState pool_state() const {
    const auto state = pool_.state();
    return PoolState{state.open, state.idle};
  }

 private:
  using Context = detail::redis_store::Context;
  using Reply = detail::redis_store::Reply;

  // A connection lent by the pool; given back on destruction, or closed if it broke.
  using Lease = detail::ConnectionPool<Context>::Lease;

  // Whether a command writes (and is then followed by WAIT when Options::wait_replicas asks).
  enum class Kind { read, write };

  // Runs one command; a reply that is a Redis error becomes a StorageError.
  Reply exec(const char* op, std::string_view key, Kind kind, std::initializer_list<std::string_view> args,
             bool* retried = nullptr) {
    Reply reply = exec_raw(op, key, kind, args, retried);
    if (reply->type == REDIS_REPLY_ERROR) {
      fail(op, key, "the server replied: " + std::string(detail::redis_store::reply_text(*reply)));
    }
    return reply;
  }

  // Runs one command; never nullptr (a connection failure throws). A command that failed on a
  // pooled connection is sent once more on a fresh one; `retried` (if given) tells whether the
  // reply is that second attempt's.
  // Behind sentinels, a reply that says the server is no longer (or not yet) the primary sends the
  // command once more to the primary the sentinels name now.
  Reply exec_raw(const char* op, std::string_view key, Kind kind, std::initializer_list<std::string_view> args,
                 bool* retried = nullptr) {
    return exec_raw(op, key, kind, std::span<const std::string_view>(args.begin(), args.size()), retried);
  }
  Reply exec_raw(const char* op, std::string_view key, Kind kind, std::span<const std::string_view> args,
                 bool* retried = nullptr) {
    if (cluster_) return cluster_exec(op, key, kind, args, retried);
    for (int attempt = 0;; ++attempt) {
      if (retried != nullptr) *retried = attempt > 0;
      Lease lease = acquire(op, key);
      Reply reply = detail::redis_store::command(lease.get(), args);
      if (reply && sentinel_ && detail::redis_store::not_the_primary(*reply)) {
        sentinel_->forget(detail::redis_store::peer(lease.get()));
        lease.discard();
        if (attempt == 0) continue;
        return reply;  // the caller reports the error reply
      }
      if (reply) {
        if (kind == Kind::write && options_.wait_replicas > 0 && reply->type != REDIS_REPLY_ERROR) {
          wait_for_replicas(lease, op, key);
        }
        return reply;
      }
      const std::string why = lease.get()->errstr;
      const bool reused = !lease.fresh();
      if (sentinel_) sentinel_->forget(detail::redis_store::peer(lease.get()));
      lease.discard();
      if (attempt == 0 && reused) {
        options_.logger(LogLevel::debug, detail::redis_store::kLogCategory,
                        "RedisStore::" + std::string(op) + ": a pooled connection to " + server_ + " failed (" + why +
                            "); retrying on a fresh connection");
        continue;
      }
      fail(op, key, "the connection failed (" + why + ")");
    }
  }

  // --- Redis Cluster -----------------------------------------------------------------------------

  // At most this many MOVED/ASK redirects per command: a slot map that keeps pointing elsewhere
  // is a cluster in trouble, and a StorageError is better than a loop.
  static constexpr int kMaxRedirects = 5;

  // One command on the node serving its key: redirects followed (ASK with ASKING first, for this
  // command only; MOVED updates the map and refreshes it), a failed connection refreshes the map
  // and is retried once (`retried` then says so, as for a single server).
  Reply cluster_exec(const char* op, std::string_view key, Kind kind, std::span<const std::string_view> args,
                     bool* retried) {
    const std::optional<std::uint16_t> slot = routing_slot(args);
    std::shared_ptr<detail::redis_store::ClusterNode> asked;  // set by ASK
    bool reconnected = false;
    if (retried != nullptr) *retried = false;
    for (int redirects = 0;;) {
      const std::shared_ptr<detail::redis_store::ClusterNode> node = asked ? asked : route(op, key, slot);
      Lease lease = acquire_on(*node, op, key);
      Reply reply;
      if (asked) {
        reply = detail::redis_store::command(lease.get(), {"ASKING"});
        if (reply) reply = detail::redis_store::command(lease.get(), args);
      } else {
        reply = detail::redis_store::command(lease.get(), args);
      }
      if (reply) {
        if (const auto redirect = detail::redis_store::parse_redirect(*reply)) {
          if (++redirects > kMaxRedirects) {
            fail(op, key,
                 "more than " + std::to_string(kMaxRedirects) +
                     " redirects (the last: " + std::string(detail::redis_store::reply_text(*reply)) + ")");
          }
          if (redirect->ask) {
            asked = cluster_->node_at(redirect->to);
          } else {
            asked.reset();
            cluster_->moved(redirect->slot, redirect->to);
            refresh_quietly();
          }
          continue;  // the command was not run: sent again where the redirect says
        }
        if (kind == Kind::write && options_.wait_replicas > 0 && reply->type != REDIS_REPLY_ERROR) {
          wait_for_replicas(lease, op, key);
        }
        return reply;
      }
      const std::string why = lease.get()->errstr;
      lease.discard();
      refresh_quietly();  // a failover may have moved the slot to a promoted replica
      if (!reconnected) {
        reconnected = true;
        if (retried != nullptr) *retried = true;
        continue;
      }
      fail(op, key, "the connection to " + node->name + " failed (" + why + ")");
    }
  }

  // The slot of the key a command names: the store's commands name one key, second after the
  // command (GET key, SET key ..., DEL key, GETRANGE key ...) or after the script and the key
  // count (EVALSHA sha 1 key ...). nullopt for a command without a key (PING).
  static std::optional<std::uint16_t> routing_slot(std::span<const std::string_view> args) {
    if (!args.empty() && (args[0] == "EVALSHA" || args[0] == "EVAL")) {
      if (args.size() > 3) return detail::redis_store::key_slot(args[3]);
      return std::nullopt;
    }
    if (args.size() > 1) return detail::redis_store::key_slot(args[1]);
    return std::nullopt;
  }

  std::shared_ptr<detail::redis_store::ClusterNode> route(const char* op, std::string_view key,
                                                          std::optional<std::uint16_t> slot) {
    auto find = [&] { return slot ? cluster_->node_for(*slot) : cluster_->any_node(); };
    std::shared_ptr<detail::redis_store::ClusterNode> node = find();
    if (node) return node;
    try {
      cluster_->refresh([this](const RedisAddress& a) { return connect_node(a); });
    } catch (const StorageError& e) {
      fail(op, key, e.what());
    }
    node = find();
    if (!node) fail(op, key, "no node serves hash slot " + std::to_string(slot.value_or(0)));
    return node;
  }

  void refresh_quietly() noexcept {
    try {
      cluster_->refresh([this](const RedisAddress& a) { return connect_node(a); });
    } catch (const std::exception& e) {
      options_.logger(LogLevel::debug, detail::redis_store::kLogCategory,
                      "RedisStore: the cluster's slot map could not be refreshed: " + std::string(e.what()));
    }
  }

  Lease acquire_on(detail::redis_store::ClusterNode& node, const char* op, std::string_view key) {
    try {
      return node.pool.acquire([this, &node] { return connect_node(node.address); },
                               [](const Context& c) { return !detail::redis_store::looks_dead(c.get()); },
                               [&](const std::string& what) { return message(op, key, node.name + ": " + what); });
    } catch (const StorageTimeout&) {
      throw;
    } catch (const StorageError&) {
      refresh_quietly();  // the node may be gone: the next command asks the new map
      throw;
    }
  }

  Context connect_node(const RedisAddress& a) {
    const timeval connect_tv = detail::redis_store::to_timeval(options_.connect_timeout);
    return connect_to(redisConnectWithTimeout(a.host.c_str(), a.port, connect_tv));
  }

  // WAIT on the connection that wrote: the write reached `wait_replicas` replicas, or the caller
  // learns that a failover could lose it (the write itself was applied on the primary).
  void wait_for_replicas(Lease& lease, const char* op, std::string_view key) {
    const std::string replicas = std::to_string(options_.wait_replicas);
    const std::string ms = std::to_string(options_.wait_timeout.count());
    const Reply reply = detail::redis_store::command(lease.get(), {"WAIT", replicas, ms});
    if (!reply) {
      const std::string why = lease.get()->errstr;
      if (sentinel_) sentinel_->forget(detail::redis_store::peer(lease.get()));
      lease.discard();
      fail(op, key, "written on the primary, but the connection failed before WAIT answered (" + why + ")");
    }
    if (reply->type != REDIS_REPLY_INTEGER) unexpected(op, key, *reply);
    if (reply->integer < options_.wait_replicas) {
      fail(op, key,
           "written on the primary, but only " + std::to_string(reply->integer) + " of " + replicas +
               " replicas confirmed it within " + ms + " ms: a failover now could lose it");
    }
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

  // One script call on one key (`key_and_args`: the key, then the arguments): EVALSHA, and EVAL
  // when the server does not know the script yet (NOSCRIPT: the first call after a restart or a
  // SCRIPT FLUSH). The script's integer reply; an error reply or another type throws.
  long long run_script(const char* op, std::string_view key, std::string_view sha1, std::string_view script,
                       std::initializer_list<std::string_view> key_and_args) {
    std::vector<std::string_view> argv{"EVALSHA", sha1, "1"};
    argv.insert(argv.end(), key_and_args.begin(), key_and_args.end());
    Reply reply = exec_raw(op, key, Kind::write, argv);
    if (reply->type == REDIS_REPLY_ERROR && detail::redis_store::reply_text(*reply).starts_with("NOSCRIPT")) {
      argv[0] = "EVAL";
      argv[1] = script;
      reply = exec_raw(op, key, Kind::write, argv);
    }
    if (reply->type == REDIS_REPLY_ERROR) {
      fail(op, key, "the server replied: " + std::string(detail::redis_store::reply_text(*reply)));
    }
    if (reply->type != REDIS_REPLY_INTEGER) unexpected(op, key, *reply);
    return reply->integer;
  }

  bool set_result(const char* op, std::string_view key, const redisReply& reply) const {
    if (reply.type == REDIS_REPLY_NIL) return false;
    if (reply.type == REDIS_REPLY_STATUS && detail::redis_store::reply_text(reply) == "OK") return true;
    unexpected(op, key, reply);
  }

  // --- the pool ------------------------------------------------------------------------------

  Lease acquire(const char* op, std::string_view key) {
    return pool_.acquire([this] { return connect(); },
                         [this](const Context& context) {
                           // Behind sentinels, an idle connection to a server that is no longer the
                           // known primary is closed (the next connection asks the sentinels).
                           if (detail::redis_store::looks_dead(context.get())) return false;
                           if (!sentinel_) return true;
                           const auto primary = sentinel_->known();
                           return primary && *primary == detail::redis_store::peer(context.get());
                         },
                         [&](const std::string& what) { return message(op, key, what); });
  }

  // A new connection, authenticated and on the right database; StorageError (saying what failed,
  // without naming the server: the caller adds it) when that fails.
  Context connect() {
    const timeval connect_tv = detail::redis_store::to_timeval(options_.connect_timeout);
    if (sentinel_) {
      const RedisAddress primary =
          sentinel_->primary(connect_tv, detail::redis_store::to_timeval(options_.command_timeout));
      try {
        Context context = connect_to(redisConnectWithTimeout(primary.host.c_str(), primary.port, connect_tv));
        // A sentinel that has not heard of a failover yet names the old primary, which may be
        // back as a replica; what ROLE says is what counts.
        const std::string role = detail::redis_store::role_of(context.get());
        if (role != "master") {
          throw StorageError("the server the sentinels named is not a primary (ROLE: " +
                             (role.empty() ? std::string("no answer") : role) + ")");
        }
        return context;
      } catch (const StorageError& e) {
        sentinel_->forget(primary);
        throw StorageError(std::string(e.what()) + " [primary " + detail::redis_store::address_text(primary) + "]");
      }
    }
    return connect_to(options_.unix_socket.empty()
                          ? redisConnectWithTimeout(options_.host.c_str(), options_.port, connect_tv)
                          : redisConnectUnixWithTimeout(options_.unix_socket.c_str(), connect_tv));
  }

  // The setup of every new connection `raw`: timeouts, AUTH, SELECT.
  Context connect_to(redisContext* raw) {
    Context context(raw);
    if (!context) throw StorageError("cannot connect: out of memory");
    if (context->err != 0) throw StorageError(std::string("cannot connect: ") + context->errstr);
    if (redisSetTimeout(context.get(), detail::redis_store::to_timeval(options_.command_timeout)) != REDIS_OK) {
      throw StorageError("cannot set the command timeout on a new connection");
    }
    if (options_.unix_socket.empty()) (void)redisEnableKeepAlive(context.get());
    if (!options_.password.empty()) {
      const Reply reply =
          options_.username.empty()
              ? detail::redis_store::command(context.get(), {"AUTH", options_.password})
              : detail::redis_store::command(context.get(), {"AUTH", options_.username, options_.password});
      setup_check(context.get(), reply.get(), "authentication");
    }
    if (options_.db != 0) {
      const Reply reply = detail::redis_store::command(context.get(), {"SELECT", db_text_});
      setup_check(context.get(), reply.get(), "SELECT " + db_text_);
    }
    return context;
  }

  void setup_check(const redisContext* context, const redisReply* reply, const std::string& what) const {
    if (reply == nullptr) throw StorageError(what + " failed: " + context->errstr);
    if (reply->type == REDIS_REPLY_ERROR) {
      throw StorageError(what + " failed: " + std::string(detail::redis_store::reply_text(*reply)));
    }
  }

  // --- errors ----------------------------------------------------------------------------------

  [[noreturn]] void fail(const char* op, std::string_view key, const std::string& what) const {
    throw StorageError(message(op, key, what));
  }

  [[nodiscard]] std::string message(const char* op, std::string_view key, const std::string& what) const {
    return detail::store_message("RedisStore", op, server_, key, what);
  }

  [[noreturn]] void unexpected(const char* op, std::string_view key, const redisReply& reply) const {
    fail(op, key, "unexpected reply of type " + std::to_string(reply.type));
  }

  Options options_;
  std::string server_;
  std::string db_text_;
  std::unique_ptr<detail::redis_store::SentinelDirectory> sentinel_;  // null: a fixed server
  std::unique_ptr<detail::redis_store::ClusterMap> cluster_;          // null: not a cluster

  detail::ConnectionPool<Context> pool_;
};

}  // namespace sessions
