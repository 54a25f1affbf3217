#pragma once
// sessions 0.1.0: Django's session framework as a header-only C++20 library, single-header edition.
//
// GENERATED FILE, DO NOT EDIT.
// It is produced from include/sessions/storage/redis.hpp by
//     python3 tools/amalgamate.py
// Change the headers under include/sessions/ and run that command again; CI fails when this file
// is out of date (python3 tools/amalgamate.py --check).
//
// The core comes from the single-header sessions.hpp next to this directory.

#include <sessions/sessions.hpp>

// ---- begin sessions/storage/redis.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_REDIS_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_REDIS_HPP
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

// ---- begin sessions/detail/cache_value.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_DETAIL_CACHE_VALUE_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_DETAIL_CACHE_VALUE_HPP
// What the cache stores (RedisStore, MemcachedStore) keep under a session's cache key: the record's
// expiry instant, then the payload.
//
//   value = 19 decimal digits (nanoseconds since the Unix epoch, zero-padded) ':' payload
//   e.g.    "1700000060000000000:{\"cart\":[1,2]}"
//
// The server expires the entry by itself (TTL), but the session layer and the tests read "now"
// from an injectable sessions::Clock (a ManualClock in tests, whose time the server does not
// know). The instant stored with the value is the authority: a record past it is absent even if
// the server still holds it; the TTL the server gets is computed from the same instant, so with
// the system clock both agree (the server's copy disappears a network delay later, never earlier).
// Fixed width and decimal, so a Lua script can read it, and readable with redis-cli.
//
// Django's cache backend stores a pickled dict under the same key name; such a value (or anything
// else without this header) is not a record of ours and reads as absent.

namespace sessions::detail::cache_value {

/// Django's cache key prefix for the `cache` session backend under the default KEY_FUNCTION
/// (KEY_PREFIX "", VERSION 1): ":1:" + "django.contrib.sessions.cache", then the session key.
inline constexpr std::string_view kDjangoCachePrefix = ":1:django.contrib.sessions.cache";

inline constexpr std::size_t kDigits = 19;  // every non-negative int64 fits
inline constexpr std::size_t kHeaderSize = kDigits + 1;
inline constexpr char kSeparator = ':';

/// The longest TTL handed to a server (30 years): longer expiries are kept that long by the server
/// (the stored instant still says when the record ends), which keeps every server's arithmetic
/// (Redis: now + PX; memcached: a 32-bit absolute time) far from overflow.
inline constexpr std::chrono::milliseconds kMaxTtl{30LL * 365 * 24 * 3600 * 1000};

/// `t` as nanoseconds since the epoch, clamped to [0, int64 max].
[[nodiscard]] inline std::int64_t to_nanos(TimePoint t) noexcept {
  using std::chrono::nanoseconds;
  const TimePoint::duration d = t.time_since_epoch();
  if (d <= TimePoint::duration::zero()) return 0;
  constexpr auto kMax = std::chrono::duration_cast<TimePoint::duration>(nanoseconds::max());
  if (d >= kMax) return std::numeric_limits<std::int64_t>::max();
  return std::chrono::duration_cast<nanoseconds>(d).count();
}

[[nodiscard]] inline TimePoint from_nanos(std::int64_t ns) noexcept {
  return TimePoint{std::chrono::duration_cast<TimePoint::duration>(std::chrono::nanoseconds{ns})};
}

/// The 20-byte header for `expires_at`.
[[nodiscard]] inline std::string header(TimePoint expires_at) {
  std::string out(kHeaderSize, '0');
  auto v = static_cast<std::uint64_t>(to_nanos(expires_at));
  for (std::size_t i = kDigits; i-- > 0;) {
    out[i] = static_cast<char>('0' + static_cast<int>(v % 10));
    v /= 10;
  }
  out[kDigits] = kSeparator;
  return out;
}

/// The whole value to store.
[[nodiscard]] inline std::string encode(TimePoint expires_at, std::string_view payload) {
  std::string out = header(expires_at);
  out.append(payload);
  return out;
}

/// The instant in a header (the first 20 bytes of `value`); nullopt when `value` does not start
/// with one.
[[nodiscard]] inline std::optional<TimePoint> read_header(std::string_view value) noexcept {
  if (value.size() < kHeaderSize || value[kDigits] != kSeparator) return std::nullopt;
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < kDigits; ++i) {
    const char c = value[i];
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
  return from_nanos(static_cast<std::int64_t>(v));
}

struct Decoded {
  TimePoint expires_at;
  std::string_view payload;
};

[[nodiscard]] inline std::optional<Decoded> decode(std::string_view value) noexcept {
  const std::optional<TimePoint> expires_at = read_header(value);
  if (!expires_at) return std::nullopt;
  return Decoded{*expires_at, value.substr(kHeaderSize)};
}

/// The server TTL for a record ending at `expires_at`, seen at `now`: rounded up to whole
/// milliseconds, at least 1 ms, at most kMaxTtl; zero when the record has already ended (then
/// nothing must be stored).
[[nodiscard]] inline std::chrono::milliseconds ttl(TimePoint expires_at, TimePoint now) noexcept {
  if (expires_at <= now) return std::chrono::milliseconds{0};
  const std::int64_t a = to_nanos(expires_at);
  const std::int64_t b = to_nanos(now);
  if (a <= b) return std::chrono::milliseconds{1};  // both clamped (e.g. now before 1970)
  const std::int64_t diff = a - b;                  // both non-negative: no overflow
  std::int64_t ms = diff / 1'000'000 + (diff % 1'000'000 != 0 ? 1 : 0);
  ms = std::clamp<std::int64_t>(ms, 1, kMaxTtl.count());
  return std::chrono::milliseconds{ms};
}

}  // namespace sessions::detail::cache_value
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_DETAIL_CACHE_VALUE_HPP
// ---- end sessions/detail/cache_value.hpp ----
// ---- begin sessions/storage/detail/key_value.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_KEY_VALUE_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_KEY_VALUE_HPP
// What the key-value stores (RedisStore, MemcachedStore) share: the cache key of a session, the
// decoding of a stored value into a live record, the read-back that settles a create retried on a
// new connection, the server name for messages, the error-message format, and the URL parameters
// both understand. Each store keeps only what its protocol does differently.

namespace sessions::detail::key_value {

/// The options every key-value store has; RedisOptions and MemcachedOptions add their own.
struct CommonOptions {
  /// Prepended to every session key: Django's cache key by default.
  std::string key_prefix{cache_value::kDjangoCachePrefix};
  /// Longest wait for a connection to a server to open.
  std::chrono::milliseconds connect_timeout{1000};
  /// Most connections open at once (the most commands in flight). At least 1.
  std::size_t pool_size = 16;
  /// Longest wait for a free connection when all pool_size are in use (StorageTimeout then).
  std::chrono::milliseconds pool_timeout{1000};
  /// "Now" for expiry decisions (a ManualClock in tests).
  Clock clock{};
  /// Where reconnects and foreign values are reported.
  Logger logger{};
};

/// The server key of a session: key_prefix + session key.
[[nodiscard]] inline std::string cache_key(std::string_view prefix, std::string_view session_key) {
  std::string name;
  name.reserve(prefix.size() + session_key.size());
  name += prefix;
  name += session_key;
  return name;
}

/// "host:port", an IPv6 literal in brackets: how messages name a server.
[[nodiscard]] inline std::string host_port(std::string_view host, unsigned port) {
  std::string out;
  const bool ipv6 = host.find(':') != std::string_view::npos;
  if (ipv6) out += '[';
  out += host;
  if (ipv6) out += ']';
  out += ':';
  out += std::to_string(port);
  return out;
}

/// The live record a stored value holds: nullopt when it has expired by `now`, or when it is not a
/// value of these stores (logged as a warning, then treated as absent: another program may share
/// the server and the prefix).
[[nodiscard]] inline std::optional<Record<std::string>> live_record(std::string_view value, TimePoint now,
                                                                    const Logger& logger, std::string_view category,
                                                                    std::string_view store, std::string_view server,
                                                                    std::string_view key) {
  const auto decoded = cache_value::decode(value);
  if (!decoded) {
    logger(LogLevel::warning, category,
           std::string(store) + ": the value under the key for session " + std::string(loggable_key_prefix(key)) +
               "... on " + std::string(server) + " is not a record of this store; treated as absent");
    return std::nullopt;
  }
  if (decoded->expires_at <= now) return std::nullopt;
  return Record<std::string>{std::string(decoded->payload), decoded->expires_at};
}

/// A stored value's header says the record lives after `now` (for exists(): no payload needed).
[[nodiscard]] inline bool live_header(std::string_view value, TimePoint now) noexcept {
  const std::optional<TimePoint> expires_at = cache_value::read_header(value);
  return expires_at && *expires_at > now;
}

/// What a create or an update sends: the stored value (header and payload) and its TTL. A zero
/// TTL (and no value) when the record is already over at `now`: nothing is stored then.
struct Write {
  std::chrono::milliseconds ttl;
  std::string value;
};
[[nodiscard]] inline Write prepare_write(std::string_view payload, TimePoint expires_at, TimePoint now) {
  const std::chrono::milliseconds ttl = cache_value::ttl(expires_at, now);
  if (ttl.count() == 0) return {ttl, {}};
  return {ttl, cache_value::encode(expires_at, payload)};
}

/// A create-if-absent found the key taken. When the command was retried on a new connection, the
/// first attempt may have been applied before its connection broke: the record is then ours
/// exactly when the stored value is the one we wrote. `read()` returns the stored value (nullopt
/// when there is none).
template <class Read>
[[nodiscard]] bool created_by_first_attempt(bool retried, std::string_view written, Read&& read) {
  if (!retried) return false;
  const std::optional<std::string> current = read();
  return current && *current == written;
}

/// The URL parameters both stores take, in milliseconds: connect_timeout, timeout (each command's
/// I/O), pool_timeout; and pool_size, key_prefix.
inline void take_common_parameters(Url& url, CommonOptions& options, std::chrono::milliseconds& io_timeout) {
  if (const auto value = url.take_milliseconds("connect_timeout")) options.connect_timeout = *value;
  if (const auto value = url.take_milliseconds("timeout")) io_timeout = *value;
  if (const auto value = url.take_milliseconds("pool_timeout")) options.pool_timeout = *value;
  if (const auto value = url.take_integer("pool_size", 1, 4096)) options.pool_size = static_cast<std::size_t>(*value);
  if (auto value = url.take("key_prefix")) options.key_prefix = std::move(*value);
}

}  // namespace sessions::detail::key_value
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_KEY_VALUE_HPP
// ---- end sessions/storage/detail/key_value.hpp ----
// ---- begin sessions/storage/detail/redis_client.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_REDIS_CLIENT_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_REDIS_CLIENT_HPP
// RedisStore's connection to Redis: the pool (or, on a cluster, one pool per primary and the
// routing of each command to the primary of its key's slot, following MOVED and ASK), the
// sentinels' primary, the retry of a command on a fresh connection, WAIT after writes, the
// EVALSHA/EVAL path of the scripts, and the errors that name the operation and the server.
// RedisStore (storage/redis.hpp) describes the behaviour; this is how it is done.

#include <sys/time.h>

// ---- begin sessions/storage/redis_options.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_REDIS_OPTIONS_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_REDIS_OPTIONS_HPP
// RedisStore's options (storage/redis.hpp describes what each one does to the store).

// ---- begin sessions/storage/detail/redis_sentinel.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_REDIS_SENTINEL_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_REDIS_SENTINEL_HPP
// RedisStore behind Redis Sentinel: where the primary is. The sentinels are asked in turn
// (`SENTINEL get-master-addr-by-name <service>`); the first that answers names the primary. The
// store then checks what it reached with ROLE: right after a failover a sentinel that has not
// heard of it yet may still name the old primary, which may be back as a replica. A sentinel is
// only asked when the store does not know the primary: at the first connection, and after a
// connection to it failed or it answered READONLY or LOADING (see RedisStore).

// ---- begin sessions/storage/detail/redis_io.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_REDIS_IO_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_REDIS_IO_HPP
// RedisStore's wire mechanics: the Lua scripts of touch and update_if, hiredis handles, one
// command with SIGPIPE held off, and the check of an idle connection. RedisStore
// (storage/redis.hpp) composes them.

#include <poll.h>
#include <signal.h>
#include <time.h>

namespace sessions {

namespace detail::redis_store {

inline constexpr std::string_view kLogCategory = "sessions.storage.redis";

// The touch script (see the header comment). ARGV: now (19 digits), the new header, the TTL in ms
// ("0": the record ends now and is deleted). Returns 1 when a live record was touched, else 0.
inline constexpr std::string_view kTouchScript =
    "local h = redis.call('GETRANGE', KEYS[1], 0, 19)\n"
    "if not string.match(h, '^%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d:$') then return 0 end\n"
    "local hs, hn = tonumber(string.sub(h, 1, 10)), tonumber(string.sub(h, 11, 19))\n"
    "local ns, nn = tonumber(string.sub(ARGV[1], 1, 10)), tonumber(string.sub(ARGV[1], 11, 19))\n"
    "if hs < ns or (hs == ns and hn <= nn) then return 0 end\n"
    "if ARGV[3] == '0' then\n"
    "  redis.call('DEL', KEYS[1])\n"
    "else\n"
    "  redis.call('SETRANGE', KEYS[1], 0, ARGV[2])\n"
    "  redis.call('PEXPIRE', KEYS[1], ARGV[3])\n"
    "end\n"
    "return 1\n";
/// SHA-1 of kTouchScript (what SCRIPT LOAD answers; a test checks it against the server).
inline constexpr std::string_view kTouchScriptSha1 = "772e9ec14972f9a66eb020d9dafd2d6b370f7a0b";

// The compare-and-set script of update_if (lost-update protection). ARGV: now (19 digits), the
// expected payload, the new value (header and payload), the TTL in ms ("0": the record ends now and
// is deleted). Returns 0 when there is no live record by the caller's clock (missing), 2 when the
// payload is neither the expected one nor the new one (conflict), 1 when written. Finding the new
// payload already there counts as written: that is what a retry on a fresh connection sees when
// the first attempt was applied before the connection broke (and writing equal bytes again loses
// nothing).
inline constexpr std::string_view kUpdateIfScript =
    "local v = redis.call('GET', KEYS[1])\n"
    "if not v then return 0 end\n"
    "local h = string.sub(v, 1, 20)\n"
    "if not string.match(h, '^%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d:$') then return 0 end\n"
    "local hs, hn = tonumber(string.sub(h, 1, 10)), tonumber(string.sub(h, 11, 19))\n"
    "local ns, nn = tonumber(string.sub(ARGV[1], 1, 10)), tonumber(string.sub(ARGV[1], 11, 19))\n"
    "if hs < ns or (hs == ns and hn <= nn) then return 0 end\n"
    "local p = string.sub(v, 21)\n"
    "if p ~= ARGV[2] and p ~= string.sub(ARGV[3], 21) then return 2 end\n"
    "if ARGV[4] == '0' then\n"
    "  redis.call('DEL', KEYS[1])\n"
    "else\n"
    "  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])\n"
    "end\n"
    "return 1\n";
/// SHA-1 of kUpdateIfScript (what SCRIPT LOAD answers; a test checks it against the server).
inline constexpr std::string_view kUpdateIfScriptSha1 = "1eb0e723677bb1b3b58f267f24b4d18c770df140";

struct ContextDeleter {
  void operator()(redisContext* c) const noexcept {
    if (c != nullptr) redisFree(c);
  }
};
using Context = std::unique_ptr<redisContext, ContextDeleter>;

struct ReplyDeleter {
  void operator()(redisReply* r) const noexcept {
    if (r != nullptr) freeReplyObject(r);
  }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

[[nodiscard]] inline timeval to_timeval(std::chrono::milliseconds ms) noexcept {
  if (ms < std::chrono::milliseconds{1}) ms = std::chrono::milliseconds{1};  // 0 would mean "no timeout"
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

/// Blocks SIGPIPE in the calling thread for the lifetime of the object; consume() takes away a
/// SIGPIPE raised meanwhile (one that was pending before is left alone).
class SigpipeGuard {
 public:
  SigpipeGuard() noexcept {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    was_pending_ = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
    active_ = pthread_sigmask(SIG_BLOCK, &pipe_, &previous_) == 0;
  }
  ~SigpipeGuard() {
    if (active_) pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

  void consume() noexcept {
    if (!active_ || was_pending_) return;
    const timespec zero{};
    while (sigtimedwait(&pipe_, nullptr, &zero) == SIGPIPE) {
    }
  }

 private:
  sigset_t pipe_{};
  sigset_t previous_{};
  bool was_pending_ = false;
  bool active_ = false;
};

/// True when an idle connection has something to read (EOF: the server closed it) or an error.
[[nodiscard]] inline bool looks_dead(const redisContext* c) noexcept {
  if (c == nullptr || c->err != 0 || c->fd < 0) return true;
  pollfd p{};
  p.fd = c->fd;
  p.events = POLLIN;
  const int n = ::poll(&p, 1, 0);
  return n != 0;  // readable, hung up, error, or poll itself failed
}

/// One command on `c`; nullptr when the connection failed (c->err and c->errstr say why; the
/// context is then unusable).
[[nodiscard]] inline Reply command(redisContext* c, std::span<const std::string_view> args) {
  // Every command of the store fits the arrays on the stack; a longer one takes the heap rather
  // than losing arguments.
  constexpr std::size_t kInline = 10;
  std::array<const char*, kInline> argv_inline{};
  std::array<std::size_t, kInline> lengths_inline{};
  std::vector<const char*> argv_heap;
  std::vector<std::size_t> lengths_heap;
  const char** argv = argv_inline.data();
  std::size_t* lengths = lengths_inline.data();
  if (args.size() > kInline) {
    argv_heap.resize(args.size());
    lengths_heap.resize(args.size());
    argv = argv_heap.data();
    lengths = lengths_heap.data();
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    argv[i] = args[i].data();
    lengths[i] = args[i].size();
  }
  SigpipeGuard guard;
  void* raw = redisCommandArgv(c, static_cast<int>(args.size()), argv, lengths);
  if (raw == nullptr) guard.consume();
  return Reply(static_cast<redisReply*>(raw));
}
[[nodiscard]] inline Reply command(redisContext* c, std::initializer_list<std::string_view> args) {
  return command(c, std::span<const std::string_view>(args.begin(), args.size()));
}

[[nodiscard]] inline std::string_view reply_text(const redisReply& r) noexcept {
  return r.str != nullptr ? std::string_view(r.str, r.len) : std::string_view{};
}

}  // namespace detail::redis_store

}  // namespace sessions
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_REDIS_IO_HPP
// ---- end sessions/storage/detail/redis_io.hpp ----

namespace sessions {

/// A Redis server (a sentinel, a cluster node, a primary): host name or address and port.
struct RedisAddress {
  std::string host;
  std::uint16_t port = 6379;

  friend bool operator==(const RedisAddress&, const RedisAddress&) = default;
};

namespace detail::redis_store {

/// "host:port" (an IPv6 literal in brackets).
[[nodiscard]] inline std::string address_text(const RedisAddress& a) { return key_value::host_port(a.host, a.port); }

/// A port number of a reply ("6379"); nullopt when it is not one.
[[nodiscard]] inline std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size() || value == 0 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

/// The role a server reports (ROLE's first element: "master", "slave", "sentinel"); empty when
/// the reply is not one.
[[nodiscard]] inline std::string role_of(redisContext* c) {
  const Reply reply = command(c, {"ROLE"});
  if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements == 0) return {};
  const redisReply* first = reply->element[0];
  if (first == nullptr || (first->type != REDIS_REPLY_STRING && first->type != REDIS_REPLY_STATUS)) return {};
  return std::string(reply_text(*first));
}

/// The server a TCP connection was opened to, as it was asked for (what the sentinels named).
[[nodiscard]] inline RedisAddress peer(const redisContext* c) {
  if (c == nullptr || c->tcp.host == nullptr) return {};
  return RedisAddress{c->tcp.host, static_cast<std::uint16_t>(c->tcp.port)};
}

/// An error reply that means "not the primary (any more, or yet)": a demoted primary refuses
/// writes (READONLY), a server loading its data set refuses everything (LOADING), a replica that
/// lost its primary may refuse reads (MASTERDOWN).
[[nodiscard]] inline bool not_the_primary(const redisReply& r) {
  if (r.type != REDIS_REPLY_ERROR) return false;
  const std::string_view text = reply_text(r);
  return text.starts_with("READONLY") || text.starts_with("LOADING") || text.starts_with("MASTERDOWN");
}

/// What the sentinels know of one service, and the primary's address they last named.
class SentinelDirectory {
 public:
  SentinelDirectory(std::vector<RedisAddress> sentinels, std::string service, std::string password)
      : sentinels_(std::move(sentinels)), service_(std::move(service)), password_(std::move(password)) {}

  /// The primary as last discovered; nullopt when it must be asked again.
  [[nodiscard]] std::optional<RedisAddress> known() const {
    std::lock_guard lock(mutex_);
    return primary_;
  }
  /// Forget `stale` (the primary a failed connection or a READONLY reply came from), so that the
  /// next connection asks the sentinels; a newer discovery is kept.
  void forget(const RedisAddress& stale) {
    std::lock_guard lock(mutex_);
    if (primary_ && *primary_ == stale) primary_.reset();
  }

  /// The primary: the known one, or the first answer of a sentinel. StorageError (saying what
  /// each sentinel did) when none names one.
  [[nodiscard]] RedisAddress primary(timeval connect_timeout, timeval command_timeout) {
    if (auto known_primary = known()) return *known_primary;
    std::string failures;
    for (const RedisAddress& sentinel : sentinels_) {
      std::string why;
      if (auto found = ask(sentinel, connect_timeout, command_timeout, why)) {
        std::lock_guard lock(mutex_);
        primary_ = *found;
        return *found;
      }
      if (!failures.empty()) failures += "; ";
      failures += "sentinel " + address_text(sentinel) + ": " + why;
    }
    throw StorageError("no sentinel named the primary of '" + service_ + "' (" + failures + ")");
  }

  [[nodiscard]] const std::string& service() const noexcept { return service_; }
  [[nodiscard]] const std::vector<RedisAddress>& sentinels() const noexcept { return sentinels_; }

 private:
  std::optional<RedisAddress> ask(const RedisAddress& sentinel, timeval connect_timeout, timeval command_timeout,
                                  std::string& why) const {
    const Context c(redisConnectWithTimeout(sentinel.host.c_str(), sentinel.port, connect_timeout));
    if (!c || c->err != 0) {
      why = c ? c->errstr : "out of memory";
      return std::nullopt;
    }
    if (redisSetTimeout(c.get(), command_timeout) != REDIS_OK) {
      why = "cannot set the command timeout";
      return std::nullopt;
    }
    if (!password_.empty()) {
      const Reply auth = command(c.get(), {"AUTH", password_});
      if (!auth || auth->type == REDIS_REPLY_ERROR) {
        why = auth ? "authentication failed" : c->errstr;
        return std::nullopt;
      }
    }
    const Reply reply = command(c.get(), {"SENTINEL", "get-master-addr-by-name", service_});
    if (!reply) {
      why = c->errstr;
      return std::nullopt;
    }
    if (reply->type == REDIS_REPLY_NIL) {
      why = "it does not monitor '" + service_ + "'";
      return std::nullopt;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
      why = std::string(reply_text(*reply));
      return std::nullopt;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 || reply->element[0]->type != REDIS_REPLY_STRING ||
        reply->element[1]->type != REDIS_REPLY_STRING) {
      why = "an unexpected reply";
      return std::nullopt;
    }
    const std::optional<std::uint16_t> port = parse_port(reply_text(*reply->element[1]));
    if (!port || reply->element[0]->len == 0) {
      why = "an invalid address";
      return std::nullopt;
    }
    return RedisAddress{std::string(reply_text(*reply->element[0])), *port};
  }

  std::vector<RedisAddress> sentinels_;
  std::string service_;
  std::string password_;
  mutable std::mutex mutex_;
  std::optional<RedisAddress> primary_;
};

}  // namespace detail::redis_store

}  // namespace sessions
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_REDIS_SENTINEL_HPP
// ---- end sessions/storage/detail/redis_sentinel.hpp ----

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

}  // namespace sessions
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_REDIS_OPTIONS_HPP
// ---- end sessions/storage/redis_options.hpp ----
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
// ---- begin sessions/storage/detail/redis_cluster.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_REDIS_CLUSTER_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_REDIS_CLUSTER_HPP
// RedisStore on a Redis Cluster: which node serves a key. A key belongs to one of 16384 hash slots
// (CRC16/XMODEM of the key, or of its hash tag: the part between the first '{' and the next '}'
// when that part is not empty), and every slot to one primary. The map comes from CLUSTER SLOTS,
// asked of any node that answers; it is asked again when a node answers MOVED (the slot has moved
// for good) and when a connection to a node fails (a failover may have promoted a replica). Each
// node has its own connection pool. Reads and writes both go to the primaries, so a client reads
// its own writes. No cluster library is in Debian 12's archive; this is the routing the store
// needs and nothing more (no replica reads, no multi-key commands: every command of the store
// names one key).

namespace sessions::detail::redis_store {

inline constexpr std::size_t kClusterSlots = 16384;

/// CRC16/XMODEM (polynomial 0x1021, initial 0), the checksum Redis Cluster's key slots use.
[[nodiscard]] constexpr std::uint16_t crc16(std::string_view bytes) noexcept {
  std::uint16_t crc = 0;
  for (const char c : bytes) {
    crc = static_cast<std::uint16_t>(crc ^ (static_cast<std::uint16_t>(static_cast<unsigned char>(c)) << 8));
    for (int bit = 0; bit < 8; ++bit) {
      crc =
          (crc & 0x8000) != 0 ? static_cast<std::uint16_t>((crc << 1) ^ 0x1021) : static_cast<std::uint16_t>(crc << 1);
    }
  }
  return crc;
}

/// The hash slot of `key`: of its hash tag when it has a non-empty one ("{user1}.a" and
/// "{user1}.b" share a slot), else of the whole key.
[[nodiscard]] constexpr std::uint16_t key_slot(std::string_view key) noexcept {
  const std::size_t open = key.find('{');
  if (open != std::string_view::npos) {
    const std::size_t close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) key = key.substr(open + 1, close - open - 1);
  }
  return static_cast<std::uint16_t>(crc16(key) % kClusterSlots);
}

/// A MOVED or ASK error reply ("MOVED 3999 127.0.0.1:6381"): where the slot is served now.
struct Redirect {
  bool ask = false;  // ASK: for the next command only (a slot being migrated); MOVED: for good
  std::uint16_t slot = 0;
  RedisAddress to;
};
[[nodiscard]] inline std::optional<Redirect> parse_redirect(const redisReply& r) {
  if (r.type != REDIS_REPLY_ERROR) return std::nullopt;
  std::string_view text = reply_text(r);
  Redirect out;
  if (text.starts_with("ASK ")) {
    out.ask = true;
    text.remove_prefix(4);
  } else if (text.starts_with("MOVED ")) {
    text.remove_prefix(6);
  } else {
    return std::nullopt;
  }
  const std::size_t space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  unsigned slot = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + space, slot);
  const std::string_view where = text.substr(space + 1);
  const std::size_t colon = where.rfind(':');
  if (space == 0 || ec != std::errc{} || end != text.data() + space || slot >= kClusterSlots ||
      colon == std::string_view::npos || colon == 0) {
    return std::nullopt;
  }
  const std::optional<std::uint16_t> port = parse_port(where.substr(colon + 1));
  if (!port) return std::nullopt;
  out.slot = static_cast<std::uint16_t>(slot);
  std::string_view host = where.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  out.to = RedisAddress{std::string(host), *port};
  return out;
}

/// One primary of the cluster and its connections.
struct ClusterNode {
  ClusterNode(RedisAddress a, const PoolSettings& settings, const Logger& logger)
      : address(std::move(a)), name(address_text(address)), pool("RedisStore", settings, logger, kLogCategory) {
    pool.set_server("RedisStore: " + name);
  }
  RedisAddress address;
  std::string name;
  ConnectionPool<Context> pool;
};

/// The slot map and the nodes. Nodes are never removed (a node that left keeps an idle pool):
/// a command in progress may still hold one.
class ClusterMap {
 public:
  ClusterMap(std::vector<RedisAddress> seeds, PoolSettings settings, Logger logger)
      : seeds_(std::move(seeds)), settings_(settings), logger_(logger) {}

  /// The node serving `slot`; nullptr when the map does not know (not loaded yet, or a slot no
  /// node serves).
  [[nodiscard]] std::shared_ptr<ClusterNode> node_for(std::uint16_t slot) const {
    std::lock_guard lock(mutex_);
    return slots_[slot];
  }
  /// Any node the map knows (for a command without a key); nullptr before the first refresh.
  [[nodiscard]] std::shared_ptr<ClusterNode> any_node() const {
    std::lock_guard lock(mutex_);
    return nodes_.empty() ? nullptr : nodes_.front();
  }
  /// The primaries that serve slots now, each once (empty before the first refresh).
  [[nodiscard]] std::vector<std::shared_ptr<ClusterNode>> primaries() const {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<ClusterNode>> out;
    for (const auto& node : slots_) {
      if (node && std::find(out.begin(), out.end(), node) == out.end()) out.push_back(node);
    }
    return out;
  }
  /// The node at `address`, added to the known nodes when new.
  [[nodiscard]] std::shared_ptr<ClusterNode> node_at(const RedisAddress& address) {
    std::lock_guard lock(mutex_);
    return node_at_locked(address);
  }
  /// MOVED: `slot` is served by `address` from now on.
  void moved(std::uint16_t slot, const RedisAddress& address) {
    std::lock_guard lock(mutex_);
    slots_[slot] = node_at_locked(address);
  }

  /// Loads the slot map with CLUSTER SLOTS from the first node that answers (the known nodes,
  /// then the seeds). `open(address)` opens an authenticated connection or throws StorageError.
  /// Refreshes that come within `min_interval` of the last one do nothing (a burst of MOVED or of
  /// failed connections asks once). StorageError when no node answers.
  template <class Open>
  void refresh(Open&& open, std::chrono::milliseconds min_interval = std::chrono::milliseconds{50}) {
    std::lock_guard refreshing(refresh_mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (loaded_ && now - refreshed_at_ < min_interval) return;
    std::vector<RedisAddress> candidates;
    {
      std::lock_guard lock(mutex_);
      for (const auto& node : nodes_) candidates.push_back(node->address);
    }
    candidates.insert(candidates.end(), seeds_.begin(), seeds_.end());
    std::string failures;
    for (const RedisAddress& candidate : candidates) {
      try {
        const Context c = open(candidate);
        const Reply reply = command(c.get(), {"CLUSTER", "SLOTS"});
        if (!reply) throw StorageError(c->errstr);
        if (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0) {
          throw StorageError(reply->type == REDIS_REPLY_ERROR ? std::string(reply_text(*reply))
                                                              : "CLUSTER SLOTS answered no slots");
        }
        install(*reply, candidate);
        refreshed_at_ = std::chrono::steady_clock::now();
        loaded_ = true;
        return;
      } catch (const StorageError& e) {
        if (!failures.empty()) failures += "; ";
        failures += address_text(candidate) + ": " + e.what();
      }
    }
    throw StorageError("no cluster node answered CLUSTER SLOTS (" + failures + ")");
  }

  [[nodiscard]] const std::vector<RedisAddress>& seeds() const noexcept { return seeds_; }

 private:
  std::shared_ptr<ClusterNode> node_at_locked(const RedisAddress& address) {
    for (const auto& node : nodes_) {
      if (node->address == address) return node;
    }
    nodes_.push_back(std::make_shared<ClusterNode>(address, settings_, logger_));
    return nodes_.back();
  }

  // CLUSTER SLOTS: [[start, end, [host, port, id...], replicas...], ...]. An empty host means
  // "the node you asked" (a node that does not know its own address).
  void install(const redisReply& reply, const RedisAddress& asked) {
    std::vector<std::shared_ptr<ClusterNode>> fresh(kClusterSlots);
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < reply.elements; ++i) {
      const redisReply* range = reply.element[i];
      if (range->type != REDIS_REPLY_ARRAY || range->elements < 3 || range->element[0]->type != REDIS_REPLY_INTEGER ||
          range->element[1]->type != REDIS_REPLY_INTEGER || range->element[2]->type != REDIS_REPLY_ARRAY ||
          range->element[2]->elements < 2) {
        throw StorageError("CLUSTER SLOTS answered an entry of an unexpected shape");
      }
      const long long first = range->element[0]->integer;
      const long long last = range->element[1]->integer;
      const redisReply* primary = range->element[2];
      if (first < 0 || last < first || last >= static_cast<long long>(kClusterSlots) ||
          primary->element[0]->type != REDIS_REPLY_STRING || primary->element[1]->type != REDIS_REPLY_INTEGER ||
          primary->element[1]->integer <= 0 || primary->element[1]->integer > 65535) {
        throw StorageError("CLUSTER SLOTS answered an invalid slot range or node");
      }
      RedisAddress address{std::string(reply_text(*primary->element[0])),
                           static_cast<std::uint16_t>(primary->element[1]->integer)};
      if (address.host.empty()) address.host = asked.host;
      const std::shared_ptr<ClusterNode> node = node_at_locked(address);
      for (long long slot = first; slot <= last; ++slot) fresh[static_cast<std::size_t>(slot)] = node;
    }
    slots_ = std::move(fresh);
  }

  std::vector<RedisAddress> seeds_;
  PoolSettings settings_;
  Logger logger_;
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<ClusterNode>> nodes_;
  std::vector<std::shared_ptr<ClusterNode>> slots_ = std::vector<std::shared_ptr<ClusterNode>>(kClusterSlots);
  std::mutex refresh_mutex_;  // one refresh at a time; guards the two below
  std::chrono::steady_clock::time_point refreshed_at_{};
  bool loaded_ = false;
};

}  // namespace sessions::detail::redis_store
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_REDIS_CLUSTER_HPP
// ---- end sessions/storage/detail/redis_cluster.hpp ----
// ---- begin sessions/storage/detail/redis_connect.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_REDIS_CONNECT_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_REDIS_CONNECT_HPP
// How RedisStore opens a connection (redis_client.hpp keeps them): its options checked, the
// setup of every new connection (timeouts, keepalive, AUTH, SELECT), the sentinels' primary
// confirmed by ROLE, and the hash slot a command is routed by on a cluster.

namespace sessions::detail::redis_store {

/// ConfigurationError for options no store can work with (checked before anything connects).
inline void check_options(const RedisOptions& options) {
  require_positive("RedisStore", "connect_timeout", options.connect_timeout);
  require_positive("RedisStore", "command_timeout", options.command_timeout);
  if (options.db < 0) throw ConfigurationError("RedisStore: db must not be negative");
  if (options.username.size() > 0 && options.password.empty()) {
    throw ConfigurationError("RedisStore: a user name needs a password");
  }
  if (options.wait_replicas < 0) throw ConfigurationError("RedisStore: wait_replicas must not be negative");
  if (options.wait_replicas > 0) {
    // WAIT 0 would block for ever; a WAIT that outlasts the socket timeout would break the connection.
    require_positive("RedisStore", "wait_timeout", options.wait_timeout);
    if (options.wait_timeout >= options.command_timeout) {
      throw ConfigurationError("RedisStore: wait_timeout must be shorter than command_timeout");
    }
  }
}

inline void setup_check(const redisContext* context, const redisReply* reply, const std::string& what) {
  if (reply == nullptr) throw StorageError(what + " failed: " + context->errstr);
  if (reply->type == REDIS_REPLY_ERROR) {
    throw StorageError(what + " failed: " + std::string(reply_text(*reply)));
  }
}

// The setup of every new connection `raw`: timeouts, AUTH, SELECT.
[[nodiscard]] inline Context connect_to(redisContext* raw, const RedisOptions& options, const std::string& db_text) {
  Context context(raw);
  if (!context) throw StorageError("cannot connect: out of memory");
  if (context->err != 0) throw StorageError(std::string("cannot connect: ") + context->errstr);
  if (redisSetTimeout(context.get(), to_timeval(options.command_timeout)) != REDIS_OK) {
    throw StorageError("cannot set the command timeout on a new connection");
  }
  if (options.unix_socket.empty()) (void)redisEnableKeepAlive(context.get());
  if (!options.password.empty()) {
    const Reply reply = options.username.empty() ? command(context.get(), {"AUTH", options.password})
                                                 : command(context.get(), {"AUTH", options.username, options.password});
    setup_check(context.get(), reply.get(), "authentication");
  }
  if (options.db != 0) {
    const Reply reply = command(context.get(), {"SELECT", db_text});
    setup_check(context.get(), reply.get(), "SELECT " + db_text);
  }
  return context;
}

// A new connection, authenticated and on the right database; StorageError (saying what failed,
// without naming the server: the caller adds it) when that fails.
[[nodiscard]] inline Context connect_primary(const RedisOptions& options, SentinelDirectory* sentinel,
                                             const std::string& db_text) {
  const timeval connect_tv = to_timeval(options.connect_timeout);
  if (sentinel != nullptr) {
    const RedisAddress primary = sentinel->primary(connect_tv, to_timeval(options.command_timeout));
    try {
      Context context =
          connect_to(redisConnectWithTimeout(primary.host.c_str(), primary.port, connect_tv), options, db_text);
      // A sentinel that has not heard of a failover yet names the old primary, which may be
      // back as a replica; what ROLE says is what counts.
      const std::string role = role_of(context.get());
      if (role != "master") {
        throw StorageError("the server the sentinels named is not a primary (ROLE: " +
                           (role.empty() ? std::string("no answer") : role) + ")");
      }
      return context;
    } catch (const StorageError& e) {
      sentinel->forget(primary);
      throw StorageError(std::string(e.what()) + " [primary " + address_text(primary) + "]");
    }
  }
  return connect_to(options.unix_socket.empty()
                        ? redisConnectWithTimeout(options.host.c_str(), options.port, connect_tv)
                        : redisConnectUnixWithTimeout(options.unix_socket.c_str(), connect_tv),
                    options, db_text);
}

// The slot of the key a command names: the store's commands name one key, second after the
// command (GET key, SET key ..., DEL key, GETRANGE key ...) or after the script and the key
// count (EVALSHA sha 1 key ...). nullopt for a command without a key (PING).
[[nodiscard]] inline std::optional<std::uint16_t> routing_slot(std::span<const std::string_view> args) {
  if (!args.empty() && (args[0] == "EVALSHA" || args[0] == "EVAL")) {
    if (args.size() > 3) return key_slot(args[3]);
    return std::nullopt;
  }
  if (args.size() > 1) return key_slot(args[1]);
  return std::nullopt;
}

}  // namespace sessions::detail::redis_store
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_REDIS_CONNECT_HPP
// ---- end sessions/storage/detail/redis_connect.hpp ----

namespace sessions::detail::redis_store {

/// Whether a command writes (and is then followed by WAIT when RedisOptions::wait_replicas asks).
enum class Kind { read, write };

class Client {
 public:
  // A connection lent by the pool; given back on destruction, or closed if it broke.
  using Lease = ConnectionPool<Context>::Lease;

  explicit Client(RedisOptions options)
      : options_(std::move(options)),
        pool_("RedisStore",
              detail::PoolSettings{options_.pool_size, options_.pool_timeout, options_.reconnect_backoff,
                                   options_.reconnect_backoff_max},
              options_.logger, detail::redis_store::kLogCategory) {
    check_options(options_);
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
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client() = default;

  [[nodiscard]] const RedisOptions& options() const noexcept { return options_; }
  /// "host:port", "unix:/path", "cluster ..." or "primary of ... via sentinels ...", as in messages.
  [[nodiscard]] const std::string& server() const noexcept { return server_; }
  [[nodiscard]] ConnectionPool<Context>::State pool_state() const { return pool_.state(); }

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

  // One script call on one key (`key_and_args`: the key, then the arguments): EVALSHA, and EVAL
  // when the server does not know the script yet (NOSCRIPT: the first call after a restart or a
  // SCRIPT FLUSH). The script's integer reply; an error reply or another type throws.
  long long run_script(const char* op, std::string_view key, std::string_view sha1, std::string_view script,
                       std::initializer_list<std::string_view> key_and_args) {
    const Reply reply = script_reply(op, key, Kind::write, sha1, script, 1,
                                     std::span<const std::string_view>(key_and_args.begin(), key_and_args.size()));
    if (reply->type != REDIS_REPLY_INTEGER) unexpected(op, key, *reply);
    return reply->integer;
  }

  // The same for a script on `key_count` keys (all in one slot: the first routes the command) and
  // a reply of any type; an error reply throws.
  Reply script_reply(const char* op, std::string_view key, Kind kind, std::string_view sha1, std::string_view script,
                     int key_count, std::span<const std::string_view> keys_and_args) {
    const std::string count = std::to_string(key_count);
    std::vector<std::string_view> argv{"EVALSHA", sha1, count};
    argv.insert(argv.end(), keys_and_args.begin(), keys_and_args.end());
    Reply reply = exec_raw(op, key, kind, argv);
    if (reply->type == REDIS_REPLY_ERROR && detail::redis_store::reply_text(*reply).starts_with("NOSCRIPT")) {
      argv[0] = "EVAL";
      argv[1] = script;
      reply = exec_raw(op, key, kind, argv);
    }
    if (reply->type == REDIS_REPLY_ERROR) {
      fail(op, key, "the server replied: " + std::string(detail::redis_store::reply_text(*reply)));
    }
    return reply;
  }

  // Commands that each name one key, pipelined to spare round trips (the purge's): grouped by the
  // node serving each command's slot on a cluster, one connection per node, each group written at
  // once and its replies read after. The replies come back in the order of `commands`. A reply
  // that is a redirect (MOVED, ASK) or says the server is no longer the primary, and every command
  // a failed connection left without a reply, are sent again alone through exec_raw (with its
  // redirects and retries), so the commands must be safe to send twice. Other error replies (a
  // script's NOSCRIPT) are returned as they are.
  std::vector<Reply> exec_pipelined(const char* op, Kind kind, const std::vector<std::vector<std::string>>& commands) {
    std::vector<Reply> replies(commands.size());
    std::vector<std::pair<std::shared_ptr<ClusterNode>, std::vector<std::size_t>>> groups;
    for (std::size_t i = 0; i < commands.size(); ++i) {
      std::shared_ptr<ClusterNode> node;
      if (cluster_) node = route(op, {}, routing_slot(views(commands[i])));
      auto group = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == node; });
      if (group == groups.end()) group = groups.insert(groups.end(), {node, {}});
      group->second.push_back(i);
    }
    for (const auto& [node, indices] : groups) {
      Lease lease = node ? acquire_on(*node, op, {}) : acquire(op, {});
      bool healthy = true;
      {
        SigpipeGuard guard;
        for (const std::size_t i : indices) {
          std::vector<const char*> argv;
          std::vector<std::size_t> lengths;
          for (const std::string& a : commands[i]) {
            argv.push_back(a.data());
            lengths.push_back(a.size());
          }
          if (redisAppendCommandArgv(lease.get(), static_cast<int>(argv.size()), argv.data(), lengths.data()) !=
              REDIS_OK) {
            healthy = false;
            break;
          }
        }
        for (std::size_t n = 0; healthy && n < indices.size(); ++n) {
          void* raw = nullptr;
          if (redisGetReply(lease.get(), &raw) != REDIS_OK || raw == nullptr) {
            guard.consume();
            healthy = false;
            break;
          }
          replies[indices[n]].reset(static_cast<redisReply*>(raw));
          if (sentinel_ && not_the_primary(*replies[indices[n]])) healthy = false;  // the rest go alone
        }
      }
      if (!healthy) {
        if (sentinel_) sentinel_->forget(peer(lease.get()));
        lease.discard();
      } else if (kind == Kind::write && options_.wait_replicas > 0) {
        wait_for_replicas(lease, op, {});
      }
    }
    for (std::size_t i = 0; i < commands.size(); ++i) {
      const Reply& r = replies[i];
      if (!r || parse_redirect(*r) || (sentinel_ && not_the_primary(*r))) {
        replies[i] = exec_raw(op, {}, kind, views(commands[i]));
      }
    }
    return replies;
  }

  // exec_pipelined for commands that must succeed: an error reply throws.
  std::vector<Reply> exec_all(const char* op, Kind kind, const std::vector<std::vector<std::string>>& commands) {
    std::vector<Reply> replies = exec_pipelined(op, kind, commands);
    for (const Reply& r : replies) {
      if (r->type == REDIS_REPLY_ERROR) fail(op, {}, "the server replied: " + std::string(reply_text(*r)));
    }
    return replies;
  }

  // One script on one key per element of `keys_and_args`, pipelined (EVALSHA; a NOSCRIPT reply is
  // sent again alone through script_reply, which loads the script). An error reply throws.
  std::vector<Reply> scripts_pipelined(const char* op, Kind kind, std::string_view sha1, std::string_view script,
                                       const std::vector<std::vector<std::string>>& keys_and_args) {
    std::vector<std::vector<std::string>> commands;
    commands.reserve(keys_and_args.size());
    for (const auto& args : keys_and_args) {
      std::vector<std::string> command{"EVALSHA", std::string(sha1), "1"};
      command.insert(command.end(), args.begin(), args.end());
      commands.push_back(std::move(command));
    }
    std::vector<Reply> replies = exec_pipelined(op, kind, commands);
    for (std::size_t i = 0; i < replies.size(); ++i) {
      if (replies[i]->type == REDIS_REPLY_ERROR && reply_text(*replies[i]).starts_with("NOSCRIPT")) {
        replies[i] = script_reply(op, {}, kind, sha1, script, 1, views(keys_and_args[i]));
      } else if (replies[i]->type == REDIS_REPLY_ERROR) {
        fail(op, {}, "the server replied: " + std::string(reply_text(*replies[i])));
      }
    }
    return replies;
  }

  // The nodes whose keys a walk with scan_step() covers: every primary of a cluster (the map is
  // loaded if it was not); one null entry (the server) otherwise.
  std::vector<std::shared_ptr<ClusterNode>> scan_nodes(const char* op) {
    if (!cluster_) return {nullptr};
    if (cluster_->primaries().empty()) (void)route(op, {}, std::nullopt);  // loads the map
    return cluster_->primaries();
  }

  // One SCAN step on `node` (null: the server): the keys matching `match` it returned; `cursor`
  // moves on, and is "0" when the walk of that node is over. The connection is given back before
  // the caller reads the keys (a pool of one connection would deadlock otherwise).
  std::vector<std::string> scan_step(const char* op, const std::shared_ptr<ClusterNode>& node, std::string& cursor,
                                     std::string_view match) {
    Lease lease = node ? acquire_on(*node, op, {}) : acquire(op, {});
    const Reply reply = command(lease.get(), {"SCAN", cursor, "MATCH", match, "COUNT", "500"});
    if (!reply) {
      const std::string why = lease.get()->errstr;
      lease.discard();
      fail(op, {}, "the connection failed (" + why + ")");
    }
    if (reply->type == REDIS_REPLY_ERROR) fail(op, {}, "the server replied: " + std::string(reply_text(*reply)));
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 || reply->element[0]->type != REDIS_REPLY_STRING ||
        reply->element[1]->type != REDIS_REPLY_ARRAY) {
      unexpected(op, {}, *reply);
    }
    cursor = std::string(reply_text(*reply->element[0]));
    std::vector<std::string> keys;
    const redisReply& found = *reply->element[1];
    for (std::size_t i = 0; i < found.elements; ++i) keys.emplace_back(reply_text(*found.element[i]));
    return keys;
  }

  bool set_result(const char* op, std::string_view key, const redisReply& reply) const {
    if (reply.type == REDIS_REPLY_NIL) return false;
    if (reply.type == REDIS_REPLY_STATUS && detail::redis_store::reply_text(reply) == "OK") return true;
    unexpected(op, key, reply);
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

 private:
  using Options = RedisOptions;

  static std::vector<std::string_view> views(const std::vector<std::string>& command) {
    return std::vector<std::string_view>(command.begin(), command.end());
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
    return connect_to(redisConnectWithTimeout(a.host.c_str(), a.port, connect_tv), options_, db_text_);
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

  // A new connection to the server (or the sentinels' primary), set up (connect_primary()).
  Context connect() { return connect_primary(options_, sentinel_.get(), db_text_); }

  Options options_;
  std::string server_;
  std::string db_text_;
  std::unique_ptr<detail::redis_store::SentinelDirectory> sentinel_;  // null: a fixed server
  std::unique_ptr<detail::redis_store::ClusterMap> cluster_;          // null: not a cluster

  detail::ConnectionPool<Context> pool_;
};

}  // namespace sessions::detail::redis_store
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_REDIS_CLIENT_HPP
// ---- end sessions/storage/detail/redis_client.hpp ----
// ---- begin sessions/storage/detail/redis_url.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_REDIS_URL_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_REDIS_URL_HPP
// RedisStore::options_from_url: redis://, unix://, redis+sentinel:// and redis+cluster:// URLs
// (the forms and parameters are documented at RedisStore::options_from_url).

namespace sessions::detail::redis_store {

// RedisStore::options_from_url / MemcachedStore::options_from_url (documented there).
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

}  // namespace sessions::detail::redis_store
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_REDIS_URL_HPP
// ---- end sessions/storage/detail/redis_url.hpp ----
// ---- begin sessions/storage/detail/redis_index_ops.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_REDIS_INDEX_OPS_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_REDIS_INDEX_OPS_HPP
// RedisStore's per-user index, the operations (storage/redis.hpp documents them and the layout;
// detail/redis_user_index.hpp has the key names and the scripts). Each runs through the store's
// Client: the scripts on the user's slot, the purge pipelined, one round trip per node and step.

// ---- begin sessions/storage/detail/redis_user_index.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_REDIS_USER_INDEX_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_REDIS_USER_INDEX_HPP
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
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_REDIS_USER_INDEX_HPP
// ---- end sessions/storage/detail/redis_user_index.hpp ----

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
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_REDIS_INDEX_OPS_HPP
// ---- end sessions/storage/detail/redis_index_ops.hpp ----

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
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_REDIS_HPP
// ---- end sessions/storage/redis.hpp ----
