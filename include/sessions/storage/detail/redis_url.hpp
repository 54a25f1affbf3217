#pragma once
// RedisStore::options_from_url: redis://, unix://, redis+sentinel:// and redis+cluster:// URLs
// (the forms and parameters are documented at RedisStore::options_from_url).

#include <hiredis/hiredis.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "../../errors.hpp"
#include "../redis_options.hpp"
#include "../url.hpp"
#include "key_value.hpp"

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
