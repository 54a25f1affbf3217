#pragma once
// sessions 0.1.0: Django's session framework as a header-only C++20 library, single-header edition.
//
// GENERATED FILE, DO NOT EDIT.
// It is produced from include/sessions/storage/memcached.hpp by
//     python3 tools/amalgamate.py
// Change the headers under include/sessions/ and run that command again; CI fails when this file
// is out of date (python3 tools/amalgamate.py --check).
//
// The core comes from the single-header sessions.hpp next to this directory.

#include <sessions/sessions.hpp>

// ---- begin sessions/storage/memcached.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_MEMCACHED_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_MEMCACHED_HPP
// MemcachedStore: sessions in memcached, as Django's `cache` session backend over a memcached
// cache. The only header of the library that includes libmemcached (Debian 12: libmemcached-awesome
// 1.1; link -lmemcached).
//
// Servers: one or more; keys are spread over them by consistent hashing (ketama, MD5), so adding
// or removing a server moves only its share of the sessions. Binary protocol.
//
// Keys: `<key_prefix><session key>`, by default ":1:django.contrib.sessions.cache<key>", the name
// Django's cache backend gives a session under the default KEY_FUNCTION. The VALUE is ours, not
// Django's (Django pickles the session dict): the record's expiry instant, then the payload (see
// detail/cache_value.hpp). A value without that header reads as absent.
//
// Commands per operation:
//   load    GET                           one round trip
//   create  ADD                           one; false when the key is there
//   update  REPLACE                       one; false when the key is gone
//   touch   GETS, then CAS                two: memcached's TOUCH moves only the server's expiry, but
//                                         the instant stored in the value must move too; CAS makes
//                                         sure the rewrite carries the latest payload (a concurrent
//                                         update in between is read again, up to 5 times) and
//                                         never brings back a record deleted in between
//   update_if GETS, compare, CAS          two: compare-and-set for Settings::lost_update
//   remove  DELETE                        one
//   exists  GET                           one (the value is read to check the stored instant)
//   clear_expired  nothing: memcached expires items itself (returns 0)
// The expiry given to the server is the time left until the record's expiry by the store's Clock,
// rounded up to whole seconds (memcached's unit); beyond 30 days, memcached's rule, it is sent as
// an absolute Unix time (from the system clock). A record whose expiry is not in the future is never
// written: create only reports whether a live record is in the way, update and touch delete it.
//
// update is a plain REPLACE, without CAS: REPLACE only replaces an existing item, so a session
// deleted by a concurrent logout is never resurrected (whichever of DELETE and REPLACE reaches the
// server first, the record ends up deleted or the REPLACE fails). Two concurrent updates of one
// session: the last one wins, as with every store.
//
// Expiry by the store's clock: load, exists and touch compare the stored instant with
// Options::clock (a ManualClock in tests). ADD and REPLACE see only what memcached holds: a record
// expired by our clock but still held (server clock skew, or a manual clock) makes create return
// false (the session layer draws another key) and lets update succeed.
//
// Connections: a pool of at most Options::pool_size libmemcached handles (each with its own
// connection to every server, opened on first use); a caller that finds none free waits up to
// Options::pool_timeout. Timeouts: Options::connect_timeout for a connect, Options::io_timeout for
// each wait for the server (poll, send, receive). libmemcached reconnects by itself; after a
// failed connect it leaves that server alone for Options::retry_timeout (whole seconds; operations
// fail at once meanwhile). An operation whose connection broke (server restarted, connection
// reset) is retried once (libmemcached reconnects). GET, REPLACE, DELETE and GETS+CAS are
// idempotent; ADD (create) is not: the failed attempt may have been applied, and then the retry
// finds the key taken by our own item. As in RedisStore, a retried ADD that finds the key taken
// reads the item back: byte for byte ours (same payload, same expiry to the nanosecond) means the
// first attempt was applied (true), anything else is a real collision (false). A timeout (a server
// that does not answer) is not retried.
//
// Errors are sessions::StorageError naming the operation and the server (host:port), never a whole
// session key; a value larger than the server's item size limit (memcached -I, 1 MB by default) is
// sessions::LimitExceeded. libmemcached sends with MSG_NOSIGNAL: a closed connection raises no SIGPIPE.
//
// Thread-safe: one instance serves every thread. It must outlive every operation in progress.

#include <libmemcached/memcached.h>

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
// ---- begin sessions/storage/detail/memcached_client.hpp ----
#ifndef SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_MEMCACHED_CLIENT_HPP
#define SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_MEMCACHED_CLIENT_HPP
// MemcachedStore's mechanics (storage/memcached.hpp describes the behaviour): its URL, the
// expiration argument, libmemcached's handles and values, and the Client that configures the
// servers, pools the handles and runs a command with its retries.

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

namespace sessions::detail::memcached_store {
/// MemcachedStore::options_from_url (`Options` is MemcachedOptions).
template <class Options>
[[nodiscard]] Options options_from_url(std::string_view text, Options base) {
  Url url = parse_store_url("MemcachedStore", text, {"memcached"});
  const std::string where = "MemcachedStore: URL " + url.redacted();
  if (!url.has_authority) throw ConfigurationError(where + ": expected memcached://host:port,...");
  if (url.username || url.password) {
    throw ConfigurationError(where + ": user and password are not supported (SASL is not configured)");
  }
  Options options = std::move(base);
  options.servers.clear();
  if (url.hosts.empty()) {
    if (url.path.empty() || url.path == "/") throw ConfigurationError(where + ": no server");
    options.servers.push_back({url.path, 0});
  } else {
    if (!url.path.empty() && url.path != "/") {
      throw ConfigurationError(where + ": a memcached URL has no path (servers are separated by commas)");
    }
    for (const UrlHost& host : url.hosts) options.servers.push_back({host.name, host.port.value_or(11211)});
  }
  detail::key_value::take_common_parameters(url, options, options.io_timeout);
  if (const auto value = url.take_integer("retry_timeout", 0, 3600))
    options.retry_timeout = std::chrono::seconds{*value};
  if (const auto value = url.take_bool("remove_failed_servers")) options.remove_failed_servers = *value;
  url.reject_unknown_parameters();
  return options;
}
}  // namespace sessions::detail::memcached_store

namespace sessions::detail::memcached_store {

inline constexpr std::string_view kLogCategory = "sessions.storage.memcached";
/// memcached's longest key.
inline constexpr std::size_t kMaxKeyLength = 250;
/// memcached reads a larger expiry as an absolute Unix time.
inline constexpr std::int64_t kMaxRelativeExpiry = 60LL * 60 * 24 * 30;
/// How often touch reads again when concurrent updates keep changing the item.
inline constexpr int kCasAttempts = 5;

struct HandleDeleter {
  void operator()(memcached_st* m) const noexcept {
    if (m != nullptr) memcached_free(m);
  }
};
using Handle = std::unique_ptr<memcached_st, HandleDeleter>;

/// The expiration argument for a TTL (> 0).
[[nodiscard]] inline time_t expiration(std::chrono::milliseconds ttl) noexcept {
  std::int64_t seconds = ttl.count() / 1000 + (ttl.count() % 1000 != 0 ? 1 : 0);
  if (seconds < 1) seconds = 1;
  if (seconds > kMaxRelativeExpiry) seconds += unix_seconds(std::chrono::system_clock::now());
  return static_cast<time_t>(seconds);
}

/// A failure of the connection rather than an answer of the server.
[[nodiscard]] inline bool connection_broke(memcached_return_t rc) noexcept {
  switch (rc) {
    case MEMCACHED_CONNECTION_FAILURE:
    case MEMCACHED_WRITE_FAILURE:
    case MEMCACHED_READ_FAILURE:
    case MEMCACHED_UNKNOWN_READ_FAILURE:
    case MEMCACHED_ERRNO:
      return true;
    default:
      return false;
  }
}

/// A value memcached_get() returned (allocated with malloc by libmemcached's default allocator).
struct FreeDeleter {
  void operator()(char* p) const noexcept { std::free(p); }
};
using Value = std::unique_ptr<char, FreeDeleter>;

/// MemcachedStore's way to the servers: the configured master handle, the pool of its clones,
/// running a command with the retries a broken connection or a failed server call for, and the
/// store's error messages (naming the server that holds the key). `Options` is MemcachedOptions,
/// which must outlive the client.
template <class Options>
class Client {
  using Lease = typename ConnectionPool<Handle>::Lease;

 public:
  explicit Client(const Options& options)
      : options_(options),
        pool_("MemcachedStore", PoolSettings{options.pool_size, options.pool_timeout}, options.logger, kLogCategory) {}
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // The master handle: the servers added and libmemcached's behaviours set, once the options are
  // validated.
  void open() {
    master_.reset(memcached_create(nullptr));
    if (!master_) throw StorageError("MemcachedStore: out of memory");
    for (const auto& server : options_.servers) {
      if (!servers_.empty()) servers_ += ',';
      memcached_return_t rc = MEMCACHED_SUCCESS;
      if (!server.host.empty() && server.host.front() == '/') {
        servers_ += "unix:" + server.host;
        rc = memcached_server_add_unix_socket(master_.get(), server.host.c_str());
      } else {
        if (server.host.empty()) throw ConfigurationError("MemcachedStore: a server without a host");
        servers_ += key_value::host_port(server.host, server.port);
        rc = memcached_server_add(master_.get(), server.host.c_str(), server.port);
      }
      if (rc != MEMCACHED_SUCCESS) {
        throw ConfigurationError("MemcachedStore: cannot add the server " + server.host + ": " +
                                 memcached_strerror(master_.get(), rc));
      }
    }
    const auto us = [](std::chrono::milliseconds ms) {
      return static_cast<std::uint64_t>(ms.count() < 1 ? 1000 : ms.count() * 1000);
    };
    const auto ms = [](std::chrono::milliseconds d) {
      return static_cast<std::uint64_t>(d.count() < 1 ? 1 : d.count());
    };
    behave(MEMCACHED_BEHAVIOR_BINARY_PROTOCOL, 1);
    behave(MEMCACHED_BEHAVIOR_DISTRIBUTION, MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA);
    behave(MEMCACHED_BEHAVIOR_KETAMA_HASH, MEMCACHED_HASH_MD5);
    behave(MEMCACHED_BEHAVIOR_SUPPORT_CAS, 1);
    behave(MEMCACHED_BEHAVIOR_NO_BLOCK, 1);  // needed for the connect timeout to apply
    behave(MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);
    behave(MEMCACHED_BEHAVIOR_TCP_KEEPALIVE, 1);
    behave(MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, ms(options_.connect_timeout));
    behave(MEMCACHED_BEHAVIOR_POLL_TIMEOUT, ms(options_.io_timeout));
    behave(MEMCACHED_BEHAVIOR_RCV_TIMEOUT, us(options_.io_timeout));
    behave(MEMCACHED_BEHAVIOR_SND_TIMEOUT, us(options_.io_timeout));
    behave(MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, static_cast<std::uint64_t>(options_.retry_timeout.count()));
    if (options_.remove_failed_servers) {
      // One failure takes the server out of this handle's ring (each pooled handle keeps its own
      // ring); the store's retry of a broken operation then lands on a live server.
      behave(MEMCACHED_BEHAVIOR_AUTO_EJECT_HOSTS, 1);
      behave(MEMCACHED_BEHAVIOR_SERVER_FAILURE_LIMIT, 1);
      // Out of the ring until this long has passed (without it, a server that had been connected
      // stays in the ring, answering MARKED DEAD, until the handle reconnects it).
      behave(MEMCACHED_BEHAVIOR_DEAD_TIMEOUT,
             static_cast<std::uint64_t>(std::max<std::int64_t>(1, options_.retry_timeout.count())));
    }
  }

  void behave(memcached_behavior_t flag, std::uint64_t value) {
    const memcached_return_t rc = memcached_behavior_set(master_.get(), flag, value);
    if (rc != MEMCACHED_SUCCESS) {
      throw ConfigurationError(std::string("MemcachedStore: cannot configure libmemcached: ") +
                               memcached_strerror(master_.get(), rc));
    }
  }

  // Runs `command` on a pooled handle; once more if the connection broke. Returns libmemcached's
  // answer (the caller decides what is an error); `retried` (if given) tells whether it is the
  // second attempt's.
  template <class Command>
  memcached_return_t run(const char* op, std::string_view key, std::string_view name, Command&& command,
                         bool* retried = nullptr) {
    memcached_return_t rc = MEMCACHED_SUCCESS;
    // With remove_failed_servers, more attempts: libmemcached reports the first failure of a
    // server (CONNECTION FAILURE), takes it out of the ring at the next attempt (MARKED DEAD), and
    // only an attempt after that hashes the key to a live server; a server tried again after its
    // dead timeout goes through the same steps.
    const int attempts = options_.remove_failed_servers ? 2 + 2 * static_cast<int>(options_.servers.size()) : 2;
    for (int attempt = 0; attempt < attempts; ++attempt) {
      if (retried != nullptr) *retried = attempt > 0;
      Lease lease = acquire(op, key, name);
      rc = command(lease.get());
      last_errno_ = memcached_last_error_errno(lease.get());
      const bool out_of_ring = options_.remove_failed_servers &&
                               (rc == MEMCACHED_SERVER_MARKED_DEAD || rc == MEMCACHED_SERVER_TEMPORARILY_DISABLED);
      if (!connection_broke(rc) && !out_of_ring) return rc;
      if (attempt == 0) {
        options_.logger(LogLevel::debug, kLogCategory,
                        "MemcachedStore::" + std::string(op) + ": the connection broke (" +
                            memcached_strerror(lease.get(), rc) + "); retrying once");
      }
    }
    return rc;
  }

  // GET: the value, nullopt when absent.
  std::optional<std::string> get(const char* op, std::string_view key, const std::string& name) {
    std::optional<std::string> out;
    const memcached_return_t rc = run(op, key, name, [&](memcached_st* m) {
      std::size_t length = 0;
      std::uint32_t flags = 0;
      memcached_return_t r = MEMCACHED_SUCCESS;
      const Value value(memcached_get(m, name.data(), name.size(), &length, &flags, &r));
      if (r == MEMCACHED_SUCCESS) out.emplace(value ? std::string(value.get(), length) : std::string());
      return r;
    });
    if (rc == MEMCACHED_SUCCESS) return out;
    if (rc == MEMCACHED_NOTFOUND) return std::nullopt;
    fail(op, key, name, rc);
  }

  static memcached_return_t gets(memcached_st* m, const std::string& name, std::string& value, std::uint64_t& cas,
                                 bool& found) {
    const char* keys[1] = {name.data()};
    const std::size_t lengths[1] = {name.size()};
    memcached_return_t rc = memcached_mget(m, keys, lengths, 1);
    if (rc != MEMCACHED_SUCCESS) return rc;
    // On the stack: memcached_fetch_result() frees a result it did not allocate itself only at the
    // end of the results when the caller's result was heap-allocated by memcached_result_create().
    memcached_result_st result{};
    if (memcached_result_create(m, &result) == nullptr) return MEMCACHED_MEMORY_ALLOCATION_FAILURE;
    memcached_return_t last = MEMCACHED_SUCCESS;
    // Read to the end, so the handle is ready for the next command.
    while (memcached_fetch_result(m, &result, &rc) != nullptr) {
      if (rc == MEMCACHED_SUCCESS && !found) {
        found = true;
        value.assign(memcached_result_value(&result), memcached_result_length(&result));
        cas = memcached_result_cas(&result);
      }
    }
    if (rc != MEMCACHED_END && rc != MEMCACHED_NOTFOUND && rc != MEMCACHED_SUCCESS) last = rc;
    memcached_result_free(&result);
    return last;
  }

  // --- the pool --------------------------------------------------------------------------------

  // A pooled handle: a clone of the master handle (libmemcached connects it on first use and
  // reconnects by itself, so the pool's back-off stays off).
  Lease acquire(const char* op, std::string_view key, std::string_view name) {
    return pool_.acquire(
        [this] {
          std::lock_guard master_lock(master_mutex_);
          Handle handle(memcached_clone(nullptr, master_.get()));
          if (!handle) throw StorageError("cannot create a libmemcached handle (out of memory)");
          return handle;
        },
        [&](const std::string& what) { return message(op, key, name, what); });
  }

  // --- errors ----------------------------------------------------------------------------------

  // The server that holds `name` (ketama), for messages.
  std::string server_of(std::string_view name) const {
    std::lock_guard lock(master_mutex_);  // the master handle is shared by every thread
    memcached_return_t rc = MEMCACHED_SUCCESS;
    const memcached_instance_st* instance = memcached_server_by_key(master_.get(), name.data(), name.size(), &rc);
    if (instance == nullptr || rc != MEMCACHED_SUCCESS) return servers_;
    const char* host = memcached_server_name(instance);
    const std::string h = host != nullptr ? host : "?";
    if (!h.empty() && h.front() == '/') return "unix:" + h;
    return key_value::host_port(h, memcached_server_port(instance));
  }

  [[noreturn]] void fail(const char* op, std::string_view key, std::string_view name, memcached_return_t rc) const {
    if (rc == MEMCACHED_E2BIG) {
      throw LimitExceeded(
          message(op, key, name, "the value is larger than the server's item size limit (memcached -I)"));
    }
    std::string what = memcached_strerror(master_.get(), rc);
    const int err = last_errno_;
    if (err != 0 && (rc == MEMCACHED_ERRNO || connection_broke(rc) || rc == MEMCACHED_TIMEOUT)) {
      what += " (" + std::generic_category().message(err) + ")";
    }
    fail_text(op, key, name, what);
  }

  [[noreturn]] void fail_text(const char* op, std::string_view key, std::string_view name,
                              const std::string& what) const {
    throw StorageError(message(op, key, name, what));
  }

  /// The configured servers, for messages.
  [[nodiscard]] const std::string& servers() const noexcept { return servers_; }

  // `MemcachedStore::op: server (session abcd...): what`
  [[nodiscard]] std::string message(const char* op, std::string_view key, std::string_view name,
                                    const std::string& what) const {
    return store_message("MemcachedStore", op, name.empty() ? servers_ : server_of(name), key, what);
  }

 private:
  const Options& options_;
  Handle master_;  // configured once; cloned for each pooled handle
  mutable std::mutex master_mutex_;
  std::string servers_;
  ConnectionPool<Handle> pool_;
  static inline thread_local int last_errno_ = 0;
};

}  // namespace sessions::detail::memcached_store
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_DETAIL_MEMCACHED_CLIENT_HPP
// ---- end sessions/storage/detail/memcached_client.hpp ----

namespace sessions {

struct MemcachedServer {
  /// Host name or address; a path starting with '/' is a unix socket (port ignored).
  std::string host;
  std::uint16_t port = 11211;
};

/// MemcachedStore's options: those every key-value store has (key_prefix, connect_timeout,
/// pool_size, pool_timeout, clock, logger; see detail::key_value::CommonOptions) and these.
struct MemcachedOptions : detail::key_value::CommonOptions {
  std::vector<MemcachedServer> servers{MemcachedServer{"127.0.0.1", 11211}};
  /// Longest wait for the server within a command (poll, send, receive).
  std::chrono::milliseconds io_timeout{1000};
  /// A server whose connect failed is not tried again for this long (libmemcached counts whole
  /// seconds: the pause lasts up to one second longer).
  std::chrono::seconds retry_timeout{2};
  /// With several servers: a server whose connection fails is taken out of the hash ring
  /// (libmemcached's REMOVE_FAILED_SERVERS, after one failure) until retry_timeout has passed, so
  /// that its keys go to the live servers: its sessions read as new (memcached is a cache; they
  /// were on the dead server only) and no request fails once it is out. Off: its keys keep
  /// failing with StorageError until it is back.
  bool remove_failed_servers = false;
};

// RedisStore::options_from_url / MemcachedStore::options_from_url (documented there).
class MemcachedStore {
 public:
  /// The store's name in events and messages.
  static constexpr std::string_view store_name = "MemcachedStore";
  using payload_type = std::string;
  using Options = MemcachedOptions;

  explicit MemcachedStore(Options options) : options_(std::move(options)) {
    detail::require_positive("MemcachedStore", "connect_timeout", options_.connect_timeout);
    detail::require_positive("MemcachedStore", "io_timeout", options_.io_timeout);
    if (options_.retry_timeout < std::chrono::seconds::zero()) {
      throw ConfigurationError("MemcachedStore: retry_timeout must not be negative");
    }
    if (options_.servers.empty()) throw ConfigurationError("MemcachedStore: no server");
    if (options_.key_prefix.size() + kMaxSessionKeyLength > detail::memcached_store::kMaxKeyLength) {
      throw ConfigurationError("MemcachedStore: key_prefix is too long (memcached keys have at most 250 bytes)");
    }
    for (const char c : options_.key_prefix) {
      const auto u = static_cast<unsigned char>(c);
      if (u <= 0x20 || u == 0x7f) {
        throw ConfigurationError("MemcachedStore: key_prefix must not contain spaces or control characters");
      }
    }
    client_.open();
  }
  /// MemcachedStore(options_from_url(url)) with the given clock and logger.
  explicit MemcachedStore(std::string_view url, Clock clock = {}, Logger logger = {})
      : MemcachedStore(detail::with_clock_and_logger(options_from_url(url), clock, logger)) {}

  /// Options from a URL, on top of `base`:
  ///   memcached://host[:port][,host[:port]...][?parameters]      port 11211 by default
  ///   memcached:///path/to/memcached.sock[?parameters]           a unix socket
  /// Parameters: connect_timeout, timeout (I/O timeout), pool_timeout (milliseconds), retry_timeout
  /// (seconds), pool_size, key_prefix, remove_failed_servers (true/false). ConfigurationError for anything malformed or unknown.
  [[nodiscard]] static Options options_from_url(std::string_view url, Options base = {}) {
    return detail::memcached_store::options_from_url(url, std::move(base));
  }

  MemcachedStore(const MemcachedStore&) = delete;
  MemcachedStore& operator=(const MemcachedStore&) = delete;
  ~MemcachedStore() = default;

  [[nodiscard]] std::optional<Record<std::string>> load(std::string_view key) {
    if (!is_valid_session_key(key)) return std::nullopt;
    const std::string name = cache_key(key);
    std::optional<std::string> value = client_.get("load", key, name);
    if (!value) return std::nullopt;
    return detail::key_value::live_record(*value, options_.clock.now(), options_.logger,
                                          detail::memcached_store::kLogCategory, "MemcachedStore", client_.servers(),
                                          key);
  }

  [[nodiscard]] bool create(std::string_view key, std::string_view payload, TimePoint expires_at) {
    if (!is_valid_session_key(key)) return false;
    const detail::key_value::Write prepared =
        detail::key_value::prepare_write(payload, expires_at, options_.clock.now());
    if (prepared.ttl.count() == 0) return !exists(key);  // already over: nothing to store
    const std::string& value = prepared.value;
    const std::string name = cache_key(key);
    const time_t expiry = detail::memcached_store::expiration(prepared.ttl);
    bool retried = false;
    const memcached_return_t rc = client_.run(
        "create", key, name,
        [&](memcached_st* m) {
          return memcached_add(m, name.data(), name.size(), value.data(), value.size(), expiry, 0);
        },
        &retried);
    if (rc == MEMCACHED_SUCCESS || rc == MEMCACHED_STORED) return true;
    if (rc == MEMCACHED_NOTSTORED || rc == MEMCACHED_DATA_EXISTS) {
      return detail::key_value::created_by_first_attempt(retried, value,
                                                         [&] { return client_.get("create", key, name); });
    }
    client_.fail("create", key, name, rc);
  }

  [[nodiscard]] bool update(std::string_view key, std::string_view payload, TimePoint expires_at) {
    if (!is_valid_session_key(key)) return false;
    const TimePoint now = options_.clock.now();
    const detail::key_value::Write prepared = detail::key_value::prepare_write(payload, expires_at, now);
    if (prepared.ttl.count() == 0) return rewrite_expiry("update", key, expires_at);  // deletes a live record
    const std::string& value = prepared.value;
    const std::string name = cache_key(key);
    const time_t expiry = detail::memcached_store::expiration(prepared.ttl);
    const memcached_return_t rc = client_.run("update", key, name, [&](memcached_st* m) {
      return memcached_replace(m, name.data(), name.size(), value.data(), value.size(), expiry, 0);
    });
    if (rc == MEMCACHED_SUCCESS || rc == MEMCACHED_STORED) return true;
    if (rc == MEMCACHED_NOTSTORED || rc == MEMCACHED_NOTFOUND) return false;
    client_.fail("update", key, name, rc);
  }

  [[nodiscard]] bool touch(std::string_view key, TimePoint expires_at) {
    if (!is_valid_session_key(key)) return false;
    return rewrite_expiry("touch", key, expires_at);
  }

  /// Compare-and-set (lost-update protection): GETS, compare the stored payload with `expected`,
  /// then CAS with the new value; two round trips. When the CAS loses to a write that left the
  /// payload as expected (a touch moved the expiry), it reads again (up to kCasAttempts times).
  /// Finding the new payload already stored counts as written (a retried CAS whose first attempt
  /// was applied before the connection broke; writing equal bytes again loses nothing).
  [[nodiscard]] CasResult update_if(std::string_view key, std::string_view payload, TimePoint expires_at,
                                    std::string_view expected) {
    if (!is_valid_session_key(key)) return CasResult::missing;
    const std::string name = cache_key(key);
    const std::string value_new = detail::cache_value::encode(expires_at, payload);
    for (int attempt = 0; attempt < detail::memcached_store::kCasAttempts; ++attempt) {
      std::string value;
      std::uint64_t cas = 0;
      bool found = false;
      const memcached_return_t got = client_.run(
          "update_if", key, name, [&](memcached_st* m) { return client_.gets(m, name, value, cas, found); });
      if (got != MEMCACHED_SUCCESS && got != MEMCACHED_END && got != MEMCACHED_NOTFOUND) {
        client_.fail("update_if", key, name, got);
      }
      if (!found) return CasResult::missing;
      const auto decoded = detail::cache_value::decode(value);
      const TimePoint now = options_.clock.now();
      if (!decoded || decoded->expires_at <= now) return CasResult::missing;
      if (decoded->payload == payload && attempt > 0) return CasResult::written;
      if (decoded->payload != expected) return CasResult::conflict;
      const auto ttl = detail::cache_value::ttl(expires_at, now);
      if (ttl.count() == 0) {
        remove(key);
        return CasResult::written;
      }
      const time_t expiry = detail::memcached_store::expiration(ttl);
      const memcached_return_t rc = client_.run("update_if", key, name, [&](memcached_st* m) {
        return memcached_cas(m, name.data(), name.size(), value_new.data(), value_new.size(), expiry, 0, cas);
      });
      if (rc == MEMCACHED_SUCCESS || rc == MEMCACHED_STORED) return CasResult::written;
      if (rc == MEMCACHED_NOTFOUND) return CasResult::missing;  // deleted meanwhile: not brought back
      if (rc == MEMCACHED_DATA_EXISTS) continue;                // changed meanwhile: read it again
      client_.fail("update_if", key, name, rc);
    }
    return CasResult::conflict;  // kept changing under us
  }

  void remove(std::string_view key) {
    if (!is_valid_session_key(key)) return;
    const std::string name = cache_key(key);
    const memcached_return_t rc = client_.run(
        "remove", key, name, [&](memcached_st* m) { return memcached_delete(m, name.data(), name.size(), 0); });
    if (rc != MEMCACHED_SUCCESS && rc != MEMCACHED_DELETED && rc != MEMCACHED_NOTFOUND)
      client_.fail("remove", key, name, rc);
  }

  [[nodiscard]] bool exists(std::string_view key) {
    if (!is_valid_session_key(key)) return false;
    const std::string name = cache_key(key);
    const std::optional<std::string> value = client_.get("exists", key, name);
    return value && detail::key_value::live_header(*value, options_.clock.now());
  }

  /// memcached removes expired items by itself.
  [[nodiscard]] std::size_t clear_expired() const noexcept { return 0; }

  /// The memcached key of a session: key_prefix + session key.
  [[nodiscard]] std::string cache_key(std::string_view session_key) const {
    return detail::key_value::cache_key(options_.key_prefix, session_key);
  }

  /// "host:port,host:port", as configured.
  [[nodiscard]] const std::string& servers() const noexcept { return client_.servers(); }
  [[nodiscard]] const Clock& clock() const noexcept { return options_.clock; }

 private:
  // touch (and update to an expiry already over): GETS, then CAS with the new instant, or DELETE
  // when the record ends now. False when there is no live record.
  bool rewrite_expiry(const char* op, std::string_view key, TimePoint expires_at) {
    const std::string name = cache_key(key);
    for (int attempt = 0; attempt < detail::memcached_store::kCasAttempts; ++attempt) {
      std::string value;
      std::uint64_t cas = 0;
      bool found = false;
      const memcached_return_t got =
          client_.run(op, key, name, [&](memcached_st* m) { return client_.gets(m, name, value, cas, found); });
      if (got != MEMCACHED_SUCCESS && got != MEMCACHED_END && got != MEMCACHED_NOTFOUND)
        client_.fail(op, key, name, got);
      if (!found) return false;
      const auto old = detail::cache_value::read_header(value);
      const TimePoint now = options_.clock.now();
      if (!old || *old <= now) return false;
      const auto ttl = detail::cache_value::ttl(expires_at, now);
      if (ttl.count() == 0) {
        remove(key);
        return true;
      }
      const std::string fresh = detail::cache_value::header(expires_at);
      value.replace(0, fresh.size(), fresh);
      const time_t expiry = detail::memcached_store::expiration(ttl);
      const memcached_return_t rc = client_.run(op, key, name, [&](memcached_st* m) {
        return memcached_cas(m, name.data(), name.size(), value.data(), value.size(), expiry, 0, cas);
      });
      if (rc == MEMCACHED_SUCCESS || rc == MEMCACHED_STORED) return true;
      if (rc == MEMCACHED_NOTFOUND) return false;  // deleted meanwhile: not brought back
      if (rc == MEMCACHED_DATA_EXISTS) continue;   // changed meanwhile: read it again
      client_.fail(op, key, name, rc);
    }
    // Every attempt lost to a concurrent write: those writes set their own expiry.
    return true;
  }

  Options options_;
  detail::memcached_store::Client<Options> client_{options_};
};

}  // namespace sessions
#endif  // SESSIONS_SINGLE_INCLUDE_SESSIONS_STORAGE_MEMCACHED_HPP
// ---- end sessions/storage/memcached.hpp ----
