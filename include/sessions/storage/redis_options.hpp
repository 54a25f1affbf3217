#pragma once
// RedisStore's options (storage/redis.hpp describes what each one does to the store).

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "detail/key_value.hpp"
#include "detail/redis_sentinel.hpp"

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
