#pragma once
// How RedisStore opens a connection (redis_client.hpp keeps them): its options checked, the
// setup of every new connection (timeouts, keepalive, AUTH, SELECT), the sentinels' primary
// confirmed by ROLE, and the hash slot a command is routed by on a cluster.

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "../../errors.hpp"
#include "../redis_options.hpp"
#include "redis_cluster.hpp"
#include "redis_io.hpp"
#include "redis_sentinel.hpp"
#include "store_options.hpp"

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
