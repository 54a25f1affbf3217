#pragma once
// MemcachedStore's mechanics (storage/memcached.hpp describes the behaviour): its URL, the
// expiration argument, libmemcached's handles and values, and the Client that configures the
// servers, pools the handles and runs a command with its retries.

#include <libmemcached/memcached.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "../../clock.hpp"
#include "../../errors.hpp"
#include "../../log.hpp"
#include "../url.hpp"
#include "key_value.hpp"
#include "pool.hpp"
#include "store_options.hpp"

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
