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
#include "detail/memcached_client.hpp"
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
