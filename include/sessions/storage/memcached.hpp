#pragma once
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

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
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
#include "detail/store_options.hpp"
#include "url.hpp"

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
namespace detail::memcached_store {
[[nodiscard]] inline MemcachedOptions options_from_url(std::string_view text, MemcachedOptions base) {
  Url url = parse_store_url("MemcachedStore", text, {"memcached"});
  const std::string where = "MemcachedStore: URL " + url.redacted();
  if (!url.has_authority) throw ConfigurationError(where + ": expected memcached://host:port,...");
  if (url.username || url.password) {
    throw ConfigurationError(where + ": user and password are not supported (SASL is not configured)");
  }
  MemcachedOptions options = std::move(base);
  options.servers.clear();
  if (url.hosts.empty()) {
    if (url.path.empty() || url.path == "/") throw ConfigurationError(where + ": no server");
    options.servers.push_back(MemcachedServer{url.path, 0});
  } else {
    if (!url.path.empty() && url.path != "/") {
      throw ConfigurationError(where + ": a memcached URL has no path (servers are separated by commas)");
    }
    for (const UrlHost& host : url.hosts)
      options.servers.push_back(MemcachedServer{host.name, host.port.value_or(11211)});
  }
  detail::key_value::take_common_parameters(url, options, options.io_timeout);
  if (const auto value = url.take_integer("retry_timeout", 0, 3600))
    options.retry_timeout = std::chrono::seconds{*value};
  if (const auto value = url.take_bool("remove_failed_servers")) options.remove_failed_servers = *value;
  url.reject_unknown_parameters();
  return options;
}
}  // namespace detail::memcached_store

namespace detail::memcached_store {

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

}  // namespace detail::memcached_store

class MemcachedStore {
 public:
  /// The store's name in events and messages.
  static constexpr std::string_view store_name = "MemcachedStore";
  using payload_type = std::string;
  using Options = MemcachedOptions;

  explicit MemcachedStore(Options options)
      : options_(std::move(options)),
        pool_("MemcachedStore", detail::PoolSettings{options_.pool_size, options_.pool_timeout}, options_.logger,
              detail::memcached_store::kLogCategory) {
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
    master_.reset(memcached_create(nullptr));
    if (!master_) throw StorageError("MemcachedStore: out of memory");
    for (const MemcachedServer& server : options_.servers) {
      if (!servers_.empty()) servers_ += ',';
      memcached_return_t rc = MEMCACHED_SUCCESS;
      if (!server.host.empty() && server.host.front() == '/') {
        servers_ += "unix:" + server.host;
        rc = memcached_server_add_unix_socket(master_.get(), server.host.c_str());
      } else {
        if (server.host.empty()) throw ConfigurationError("MemcachedStore: a server without a host");
        servers_ += detail::key_value::host_port(server.host, server.port);
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
    std::optional<std::string> value = get("load", key, name);
    if (!value) return std::nullopt;
    return detail::key_value::live_record(*value, options_.clock.now(), options_.logger,
                                          detail::memcached_store::kLogCategory, "MemcachedStore", servers_, key);
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
    const memcached_return_t rc = run(
        "create", key, name,
        [&](memcached_st* m) {
          return memcached_add(m, name.data(), name.size(), value.data(), value.size(), expiry, 0);
        },
        &retried);
    if (rc == MEMCACHED_SUCCESS || rc == MEMCACHED_STORED) return true;
    if (rc == MEMCACHED_NOTSTORED || rc == MEMCACHED_DATA_EXISTS) {
      return detail::key_value::created_by_first_attempt(retried, value, [&] { return get("create", key, name); });
    }
    fail("create", key, name, rc);
  }

  [[nodiscard]] bool update(std::string_view key, std::string_view payload, TimePoint expires_at) {
    if (!is_valid_session_key(key)) return false;
    const TimePoint now = options_.clock.now();
    const detail::key_value::Write prepared = detail::key_value::prepare_write(payload, expires_at, now);
    if (prepared.ttl.count() == 0) return rewrite_expiry("update", key, expires_at);  // deletes a live record
    const std::string& value = prepared.value;
    const std::string name = cache_key(key);
    const time_t expiry = detail::memcached_store::expiration(prepared.ttl);
    const memcached_return_t rc = run("update", key, name, [&](memcached_st* m) {
      return memcached_replace(m, name.data(), name.size(), value.data(), value.size(), expiry, 0);
    });
    if (rc == MEMCACHED_SUCCESS || rc == MEMCACHED_STORED) return true;
    if (rc == MEMCACHED_NOTSTORED || rc == MEMCACHED_NOTFOUND) return false;
    fail("update", key, name, rc);
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
      const memcached_return_t got =
          run("update_if", key, name, [&](memcached_st* m) { return gets(m, name, value, cas, found); });
      if (got != MEMCACHED_SUCCESS && got != MEMCACHED_END && got != MEMCACHED_NOTFOUND) {
        fail("update_if", key, name, got);
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
      const memcached_return_t rc = run("update_if", key, name, [&](memcached_st* m) {
        return memcached_cas(m, name.data(), name.size(), value_new.data(), value_new.size(), expiry, 0, cas);
      });
      if (rc == MEMCACHED_SUCCESS || rc == MEMCACHED_STORED) return CasResult::written;
      if (rc == MEMCACHED_NOTFOUND) return CasResult::missing;  // deleted meanwhile: not brought back
      if (rc == MEMCACHED_DATA_EXISTS) continue;                // changed meanwhile: read it again
      fail("update_if", key, name, rc);
    }
    return CasResult::conflict;  // kept changing under us
  }

  void remove(std::string_view key) {
    if (!is_valid_session_key(key)) return;
    const std::string name = cache_key(key);
    const memcached_return_t rc =
        run("remove", key, name, [&](memcached_st* m) { return memcached_delete(m, name.data(), name.size(), 0); });
    if (rc != MEMCACHED_SUCCESS && rc != MEMCACHED_DELETED && rc != MEMCACHED_NOTFOUND) fail("remove", key, name, rc);
  }

  [[nodiscard]] bool exists(std::string_view key) {
    if (!is_valid_session_key(key)) return false;
    const std::string name = cache_key(key);
    const std::optional<std::string> value = get("exists", key, name);
    return value && detail::key_value::live_header(*value, options_.clock.now());
  }

  /// memcached removes expired items by itself.
  [[nodiscard]] std::size_t clear_expired() const noexcept { return 0; }

  /// The memcached key of a session: key_prefix + session key.
  [[nodiscard]] std::string cache_key(std::string_view session_key) const {
    return detail::key_value::cache_key(options_.key_prefix, session_key);
  }

  /// "host:port,host:port", as configured.
  [[nodiscard]] const std::string& servers() const noexcept { return servers_; }
  [[nodiscard]] const Clock& clock() const noexcept { return options_.clock; }

 private:
  using Handle = detail::memcached_store::Handle;

  using Lease = detail::ConnectionPool<Handle>::Lease;

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
      if (!detail::memcached_store::connection_broke(rc) && !out_of_ring) return rc;
      if (attempt == 0) {
        options_.logger(LogLevel::debug, detail::memcached_store::kLogCategory,
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
      const detail::memcached_store::Value value(memcached_get(m, name.data(), name.size(), &length, &flags, &r));
      if (r == MEMCACHED_SUCCESS) out.emplace(value ? std::string(value.get(), length) : std::string());
      return r;
    });
    if (rc == MEMCACHED_SUCCESS) return out;
    if (rc == MEMCACHED_NOTFOUND) return std::nullopt;
    fail(op, key, name, rc);
  }

  // touch (and update to an expiry already over): GETS, then CAS with the new instant, or DELETE
  // when the record ends now. False when there is no live record.
  bool rewrite_expiry(const char* op, std::string_view key, TimePoint expires_at) {
    const std::string name = cache_key(key);
    for (int attempt = 0; attempt < detail::memcached_store::kCasAttempts; ++attempt) {
      std::string value;
      std::uint64_t cas = 0;
      bool found = false;
      const memcached_return_t got =
          run(op, key, name, [&](memcached_st* m) { return gets(m, name, value, cas, found); });
      if (got != MEMCACHED_SUCCESS && got != MEMCACHED_END && got != MEMCACHED_NOTFOUND) fail(op, key, name, got);
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
      const memcached_return_t rc = run(op, key, name, [&](memcached_st* m) {
        return memcached_cas(m, name.data(), name.size(), value.data(), value.size(), expiry, 0, cas);
      });
      if (rc == MEMCACHED_SUCCESS || rc == MEMCACHED_STORED) return true;
      if (rc == MEMCACHED_NOTFOUND) return false;  // deleted meanwhile: not brought back
      if (rc == MEMCACHED_DATA_EXISTS) continue;   // changed meanwhile: read it again
      fail(op, key, name, rc);
    }
    // Every attempt lost to a concurrent write: those writes set their own expiry.
    return true;
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
    return detail::key_value::host_port(h, memcached_server_port(instance));
  }

  [[noreturn]] void fail(const char* op, std::string_view key, std::string_view name, memcached_return_t rc) const {
    if (rc == MEMCACHED_E2BIG) {
      throw LimitExceeded(
          message(op, key, name, "the value is larger than the server's item size limit (memcached -I)"));
    }
    std::string what = memcached_strerror(master_.get(), rc);
    const int err = last_errno_;
    if (err != 0 &&
        (rc == MEMCACHED_ERRNO || detail::memcached_store::connection_broke(rc) || rc == MEMCACHED_TIMEOUT)) {
      what += " (" + std::generic_category().message(err) + ")";
    }
    fail_text(op, key, name, what);
  }

  [[noreturn]] void fail_text(const char* op, std::string_view key, std::string_view name,
                              const std::string& what) const {
    throw StorageError(message(op, key, name, what));
  }

  // `MemcachedStore::op: server (session abcd...): what`
  [[nodiscard]] std::string message(const char* op, std::string_view key, std::string_view name,
                                    const std::string& what) const {
    return detail::store_message("MemcachedStore", op, name.empty() ? servers_ : server_of(name), key, what);
  }

  Options options_;
  Handle master_;  // configured once; cloned for each pooled handle
  mutable std::mutex master_mutex_;
  std::string servers_;

  detail::ConnectionPool<Handle> pool_;
  static inline thread_local int last_errno_ = 0;
};

}  // namespace sessions
