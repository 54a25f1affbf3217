#pragma once
// What the key-value stores (RedisStore, MemcachedStore) share: the cache key of a session, the
// decoding of a stored value into a live record, the read-back that settles a create retried on a
// new connection, the server name for messages, the error-message format, and the URL parameters
// both understand. Each store keeps only what its protocol does differently.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "../../clock.hpp"
#include "../../detail/cache_value.hpp"
#include "../../log.hpp"
#include "../../record.hpp"
#include "../../session_key.hpp"
#include "../url.hpp"

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
