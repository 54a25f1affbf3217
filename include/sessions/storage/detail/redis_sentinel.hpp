#pragma once
// RedisStore behind Redis Sentinel: where the primary is. The sentinels are asked in turn
// (`SENTINEL get-master-addr-by-name <service>`); the first that answers names the primary. The
// store then checks what it reached with ROLE: right after a failover a sentinel that has not
// heard of it yet may still name the old primary, which may be back as a replica. A sentinel is
// only asked when the store does not know the primary: at the first connection, and after a
// connection to it failed or it answered READONLY or LOADING (see RedisStore).

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <charconv>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "../../errors.hpp"
#include "key_value.hpp"
#include "redis_io.hpp"

namespace sessions {

/// A Redis server (a sentinel, a cluster node, a primary): host name or address and port.
struct RedisAddress {
  std::string host;
  std::uint16_t port = 6379;

  friend bool operator==(const RedisAddress&, const RedisAddress&) = default;
};

namespace detail::redis_store {

/// "host:port" (an IPv6 literal in brackets).
[[nodiscard]] inline std::string address_text(const RedisAddress& a) { return key_value::host_port(a.host, a.port); }

/// A port number of a reply ("6379"); nullopt when it is not one.
[[nodiscard]] inline std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size() || value == 0 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

/// The role a server reports (ROLE's first element: "master", "slave", "sentinel"); empty when
/// the reply is not one.
[[nodiscard]] inline std::string role_of(redisContext* c) {
  const Reply reply = command(c, {"ROLE"});
  if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements == 0) return {};
  const redisReply* first = reply->element[0];
  if (first == nullptr || (first->type != REDIS_REPLY_STRING && first->type != REDIS_REPLY_STATUS)) return {};
  return std::string(reply_text(*first));
}

/// The server a TCP connection was opened to, as it was asked for (what the sentinels named).
[[nodiscard]] inline RedisAddress peer(const redisContext* c) {
  if (c == nullptr || c->tcp.host == nullptr) return {};
  return RedisAddress{c->tcp.host, static_cast<std::uint16_t>(c->tcp.port)};
}

/// An error reply that means "not the primary (any more, or yet)": a demoted primary refuses
/// writes (READONLY), a server loading its data set refuses everything (LOADING), a replica that
/// lost its primary may refuse reads (MASTERDOWN).
[[nodiscard]] inline bool not_the_primary(const redisReply& r) {
  if (r.type != REDIS_REPLY_ERROR) return false;
  const std::string_view text = reply_text(r);
  return text.starts_with("READONLY") || text.starts_with("LOADING") || text.starts_with("MASTERDOWN");
}

/// What the sentinels know of one service, and the primary's address they last named.
class SentinelDirectory {
 public:
  SentinelDirectory(std::vector<RedisAddress> sentinels, std::string service, std::string password)
      : sentinels_(std::move(sentinels)), service_(std::move(service)), password_(std::move(password)) {}

  /// The primary as last discovered; nullopt when it must be asked again.
  [[nodiscard]] std::optional<RedisAddress> known() const {
    std::lock_guard lock(mutex_);
    return primary_;
  }
  /// Forget `stale` (the primary a failed connection or a READONLY reply came from), so that the
  /// next connection asks the sentinels; a newer discovery is kept.
  void forget(const RedisAddress& stale) {
    std::lock_guard lock(mutex_);
    if (primary_ && *primary_ == stale) primary_.reset();
  }

  /// The primary: the known one, or the first answer of a sentinel. StorageError (saying what
  /// each sentinel did) when none names one.
  [[nodiscard]] RedisAddress primary(timeval connect_timeout, timeval command_timeout) {
    if (auto known_primary = known()) return *known_primary;
    std::string failures;
    for (const RedisAddress& sentinel : sentinels_) {
      std::string why;
      if (auto found = ask(sentinel, connect_timeout, command_timeout, why)) {
        std::lock_guard lock(mutex_);
        primary_ = *found;
        return *found;
      }
      if (!failures.empty()) failures += "; ";
      failures += "sentinel " + address_text(sentinel) + ": " + why;
    }
    throw StorageError("no sentinel named the primary of '" + service_ + "' (" + failures + ")");
  }

  [[nodiscard]] const std::string& service() const noexcept { return service_; }
  [[nodiscard]] const std::vector<RedisAddress>& sentinels() const noexcept { return sentinels_; }

 private:
  std::optional<RedisAddress> ask(const RedisAddress& sentinel, timeval connect_timeout, timeval command_timeout,
                                  std::string& why) const {
    const Context c(redisConnectWithTimeout(sentinel.host.c_str(), sentinel.port, connect_timeout));
    if (!c || c->err != 0) {
      why = c ? c->errstr : "out of memory";
      return std::nullopt;
    }
    if (redisSetTimeout(c.get(), command_timeout) != REDIS_OK) {
      why = "cannot set the command timeout";
      return std::nullopt;
    }
    if (!password_.empty()) {
      const Reply auth = command(c.get(), {"AUTH", password_});
      if (!auth || auth->type == REDIS_REPLY_ERROR) {
        why = auth ? "authentication failed" : c->errstr;
        return std::nullopt;
      }
    }
    const Reply reply = command(c.get(), {"SENTINEL", "get-master-addr-by-name", service_});
    if (!reply) {
      why = c->errstr;
      return std::nullopt;
    }
    if (reply->type == REDIS_REPLY_NIL) {
      why = "it does not monitor '" + service_ + "'";
      return std::nullopt;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
      why = std::string(reply_text(*reply));
      return std::nullopt;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 || reply->element[0]->type != REDIS_REPLY_STRING ||
        reply->element[1]->type != REDIS_REPLY_STRING) {
      why = "an unexpected reply";
      return std::nullopt;
    }
    const std::optional<std::uint16_t> port = parse_port(reply_text(*reply->element[1]));
    if (!port || reply->element[0]->len == 0) {
      why = "an invalid address";
      return std::nullopt;
    }
    return RedisAddress{std::string(reply_text(*reply->element[0])), *port};
  }

  std::vector<RedisAddress> sentinels_;
  std::string service_;
  std::string password_;
  mutable std::mutex mutex_;
  std::optional<RedisAddress> primary_;
};

}  // namespace detail::redis_store

}  // namespace sessions
