#pragma once
// Helpers for the MemcachedStore tests. The servers come from tests/servers/memcached.sh (ctest
// runs the program through it); without SESSIONS_TEST_MEMCACHED_SERVERS a test FAILS with an
// explanation, it is never skipped. Every store gets its own key prefix.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <optional>
#include <sessions/storage/memcached.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "support/fixtures.hpp"

namespace memcached_test {

using namespace std::chrono_literals;

inline std::string require_env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    throw std::runtime_error(std::string(name) +
                             " is not set: run this test program through tests/servers/memcached.sh run -- <program> "
                             "(ctest does this when configured with -DSESSIONS_WITH_MEMCACHED=ON)");
  }
  return value;
}

inline std::string url() { return "memcached://" + require_env("SESSIONS_TEST_MEMCACHED_SERVERS"); }

inline std::string unique_prefix(std::string_view tag = "t") {
  static std::atomic<int> counter{0};
  return "sessions-test:" + std::string(tag) + ":" + std::to_string(::getpid()) + ":" + std::to_string(++counter) + ":";
}

/// Options for a test store: the harness's servers, a fresh prefix, short timeouts.
inline sessions::MemcachedOptions options(const sessions::Clock& clock = {},
                                          sessions::Logger logger = sessions::Logger::silent()) {
  sessions::MemcachedOptions o = sessions::MemcachedStore::options_from_url(url());
  o.key_prefix = unique_prefix();
  o.clock = clock;
  o.logger = logger;
  o.connect_timeout = 500ms;
  o.io_timeout = 500ms;
  o.pool_timeout = 2s;
  o.retry_timeout = 0s;
  return o;
}

/// One line-protocol conversation with one server (text protocol; memcached speaks both).
class Raw {
 public:
  explicit Raw(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    timeval tv{2, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      throw std::runtime_error("cannot connect to memcached on port " + std::to_string(port));
    }
  }
  ~Raw() { ::close(fd_); }
  Raw(const Raw&) = delete;
  Raw& operator=(const Raw&) = delete;

  /// Sends `request` and reads until the reply ends with `end` (e.g. "END\r\n").
  std::string ask(const std::string& request, std::string_view end) {
    if (::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
      throw std::runtime_error("send failed");
    }
    std::string reply;
    char buffer[4096];
    while (reply.size() < end.size() || reply.compare(reply.size() - end.size(), end.size(), end) != 0) {
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) throw std::runtime_error("memcached closed the connection or timed out");
      reply.append(buffer, static_cast<std::size_t>(n));
    }
    return reply;
  }

 private:
  int fd_ = -1;
};

/// The ports of the harness's servers, in order.
inline std::vector<std::uint16_t> ports() {
  std::vector<std::uint16_t> out;
  for (const auto& server : sessions::MemcachedStore::options_from_url(url()).servers) out.push_back(server.port);
  return out;
}

/// `stats` of every server, summed: {name: value} for the numeric counters.
inline std::map<std::string, long long> stats() {
  std::map<std::string, long long> out;
  for (const std::uint16_t port : ports()) {
    Raw raw(port);
    const std::string text = raw.ask("stats\r\n", "END\r\n");
    std::size_t pos = 0;
    while ((pos = text.find("STAT ", pos)) != std::string::npos) {
      const std::size_t name_end = text.find(' ', pos + 5);
      const std::size_t line_end = text.find("\r\n", name_end);
      const std::string name = text.substr(pos + 5, name_end - pos - 5);
      const std::string value = text.substr(name_end + 1, line_end - name_end - 1);
      char* end = nullptr;
      const long long v = std::strtoll(value.c_str(), &end, 10);
      if (end != nullptr && *end == '\0') out[name] += v;
      pos = line_end;
    }
  }
  return out;
}

/// Remaining TTL (seconds; -1: none) and value of `key` on whichever server holds it (meta get).
struct Item {
  long long ttl = 0;
  std::string value;
};
inline std::optional<Item> item(const std::string& key) {
  for (const std::uint16_t port : ports()) {
    Raw raw(port);
    // "mn" (meta no-op) answers "MN": everything before it is the reply to "mg".
    const std::string reply = raw.ask("mg " + key + " t v\r\nmn\r\n", "MN\r\n");
    if (reply.starts_with("EN")) continue;
    if (!reply.starts_with("VA ")) throw std::runtime_error("unexpected meta reply: " + reply);
    // VA <size> t<ttl>\r\n<data>\r\nMN\r\n
    const std::size_t header_end = reply.find("\r\n");
    const std::size_t size = std::stoul(reply.substr(3));
    Item out;
    const std::size_t t = reply.find(" t", 3);
    out.ttl = std::stoll(reply.substr(t + 2));
    out.value = reply.substr(header_end + 2, size);
    return out;
  }
  return std::nullopt;
}

/// Stores `value` under `key` behind the store's back.
inline void raw_set(const std::string& key, const std::string& value) {
  sessions::MemcachedOptions o = sessions::MemcachedStore::options_from_url(url());
  memcached_st* m = memcached_create(nullptr);
  for (const auto& s : o.servers) memcached_server_add(m, s.host.c_str(), s.port);
  memcached_behavior_set(m, MEMCACHED_BEHAVIOR_BINARY_PROTOCOL, 1);
  memcached_behavior_set(m, MEMCACHED_BEHAVIOR_DISTRIBUTION, MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA);
  memcached_behavior_set(m, MEMCACHED_BEHAVIOR_KETAMA_HASH, MEMCACHED_HASH_MD5);
  const memcached_return_t rc = memcached_set(m, key.data(), key.size(), value.data(), value.size(), 3600, 0);
  memcached_free(m);
  if (rc != MEMCACHED_SUCCESS) throw std::runtime_error("raw_set failed");
}

/// SESSIONS_TEST_MEMCACHED_CTL stop|start|pause|resume [n].
inline void ctl(const std::string& action) {
  const std::string command = require_env("SESSIONS_TEST_MEMCACHED_CTL") + " " + action;
  if (std::system(command.c_str()) != 0) throw std::runtime_error("'" + command + "' failed");
}

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

}  // namespace memcached_test

namespace test_support {

template <>
struct StoreFixture<sessions::MemcachedStore> : FixtureBase {
  sessions::MemcachedStore store{memcached_test::options(sessions::Clock(clock), log.logger())};
};

}  // namespace test_support
