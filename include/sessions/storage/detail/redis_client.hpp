#pragma once
// RedisStore's connection to Redis: the pool (or, on a cluster, one pool per primary and the
// routing of each command to the primary of its key's slot, following MOVED and ASK), the
// sentinels' primary, the retry of a command on a fresh connection, WAIT after writes, the
// EVALSHA/EVAL path of the scripts, and the errors that name the operation and the server.
// RedisStore (storage/redis.hpp) describes the behaviour; this is how it is done.

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../../errors.hpp"
#include "../../log.hpp"
#include "../redis_options.hpp"
#include "key_value.hpp"
#include "pool.hpp"
#include "redis_cluster.hpp"
#include "redis_connect.hpp"
#include "redis_io.hpp"
#include "redis_sentinel.hpp"
#include "store_options.hpp"

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
