#pragma once
// Helpers for the RedisStore tests. The server comes from tests/servers/redis.sh (ctest runs the
// program through it); without SESSIONS_TEST_REDIS_URL a test FAILS with an explanation, it is
// never skipped. Every store gets its own key prefix, so tests never see each other's keys.

#include <hiredis/hiredis.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <sessions/storage/redis.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "support/fixtures.hpp"

namespace redis_test {

using namespace std::chrono_literals;

inline std::string require_env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    throw std::runtime_error(std::string(name) +
                             " is not set: run this test program through tests/servers/redis.sh run -- <program> "
                             "(ctest does this when configured with -DSESSIONS_WITH_REDIS=ON)");
  }
  return value;
}

inline std::string url() { return require_env("SESSIONS_TEST_REDIS_URL"); }

/// A key prefix no other store of this run uses.
inline std::string unique_prefix(std::string_view tag = "t") {
  static std::atomic<int> counter{0};
  return "sessions-test:" + std::string(tag) + ":" + std::to_string(::getpid()) + ":" + std::to_string(++counter) + ":";
}

/// Options for a test store: the harness's server, a fresh prefix, short timeouts.
inline sessions::RedisOptions options(const sessions::Clock& clock = {},
                                      sessions::Logger logger = sessions::Logger::silent()) {
  sessions::RedisOptions o = sessions::RedisStore::options_from_url(url());
  o.key_prefix = unique_prefix();
  o.clock = clock;
  o.logger = logger;
  o.connect_timeout = 500ms;
  o.command_timeout = 500ms;
  o.pool_timeout = 2s;
  o.reconnect_backoff = 20ms;
  o.reconnect_backoff_max = 200ms;
  return o;
}

/// A plain hiredis connection to the test server, to look behind the store's back.
class Admin {
 public:
  explicit Admin(int db = 0) : Admin(test_server()) {
    if (db != 0) (void)command({"SELECT", std::to_string(db)});
  }
  /// A connection to one given server (a node of the test cluster).
  explicit Admin(const sessions::RedisAddress& server) {
    context_.reset(redisConnect(server.host.c_str(), server.port));
    if (!context_ || context_->err != 0) throw std::runtime_error("Admin: cannot connect to the test Redis");
  }

  /// The server the harness's URL names: the one server, a cluster's first node, or the primary
  /// the sentinels name at this moment.
  static sessions::RedisAddress test_server() {
    const sessions::RedisOptions o = sessions::RedisStore::options_from_url(url());
    if (!o.cluster_nodes.empty()) return o.cluster_nodes.front();
    if (!o.sentinels.empty()) {
      sessions::detail::redis_store::SentinelDirectory sentinels(o.sentinels, o.sentinel_service, {});
      return sentinels.primary(sessions::detail::redis_store::to_timeval(1s),
                               sessions::detail::redis_store::to_timeval(1s));
    }
    return sessions::RedisAddress{o.host, o.port};
  }

  sessions::detail::redis_store::Reply command(std::vector<std::string> args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    auto* raw = static_cast<redisReply*>(
        redisCommandArgv(context_.get(), static_cast<int>(argv.size()), argv.data(), lengths.data()));
    if (raw == nullptr) throw std::runtime_error("Admin: connection failed: " + std::string(context_->errstr));
    return sessions::detail::redis_store::Reply(raw);
  }

  /// The string under `key`, or nullopt.
  std::optional<std::string> get(const std::string& key) {
    auto r = command({"GET", key});
    if (r->type == REDIS_REPLY_NIL) return std::nullopt;
    return std::string(r->str, r->len);
  }
  long long pttl(const std::string& key) { return command({"PTTL", key})->integer; }
  void set(const std::string& key, const std::string& value) { (void)command({"SET", key, value}); }

  /// INFO commandstats as {command: calls}.
  std::map<std::string, long long> commandstats() {
    auto r = command({"INFO", "commandstats"});
    const std::string text(r->str, r->len);
    std::map<std::string, long long> out;
    std::size_t pos = 0;
    while ((pos = text.find("cmdstat_", pos)) != std::string::npos) {
      const std::size_t colon = text.find(':', pos);
      const std::string name = text.substr(pos + 8, colon - pos - 8);
      const std::size_t calls = text.find("calls=", colon);
      out[name] = std::stoll(text.substr(calls + 6));
      pos = colon;
    }
    return out;
  }

 private:
  sessions::detail::redis_store::Context context_;
};

/// Commands the server ran between construction and delta() (INFO itself left out).
class CommandCounter {
 public:
  CommandCounter() : before_(admin_.commandstats()) {}
  std::map<std::string, long long> delta() {
    std::map<std::string, long long> out;
    for (const auto& [name, calls] : admin_.commandstats()) {
      if (name == "info") continue;
      const auto it = before_.find(name);
      const long long d = calls - (it == before_.end() ? 0 : it->second);
      if (d != 0) out[name] = d;
    }
    before_ = admin_.commandstats();
    return out;
  }

 private:
  Admin admin_;
  std::map<std::string, long long> before_;
};

/// SESSIONS_TEST_REDIS_CTL stop|start|pause|resume.
inline void ctl(const std::string& action) {
  const std::string command = require_env("SESSIONS_TEST_REDIS_CTL") + " " + action;
  if (std::system(command.c_str()) != 0) throw std::runtime_error("'" + command + "' failed");
}

/// Puts the server back (resumed and running) at the end of a fault test, whatever happened.
struct ServerRestorer {
  ServerRestorer() = default;
  ServerRestorer(const ServerRestorer&) = delete;
  ServerRestorer& operator=(const ServerRestorer&) = delete;
  ~ServerRestorer() {
    try {
      ctl("resume");
    } catch (...) {
    }
    try {
      ctl("start");
    } catch (...) {
    }
  }
};

}  // namespace redis_test

namespace test_support {

template <>
struct StoreFixture<sessions::RedisStore> : FixtureBase {
  sessions::RedisStore store{redis_test::options(sessions::Clock(clock), log.logger())};
};

}  // namespace test_support
