#pragma once
// RedisStore on a Redis Cluster: which node serves a key. A key belongs to one of 16384 hash slots
// (CRC16/XMODEM of the key, or of its hash tag: the part between the first '{' and the next '}'
// when that part is not empty), and every slot to one primary. The map comes from CLUSTER SLOTS,
// asked of any node that answers; it is asked again when a node answers MOVED (the slot has moved
// for good) and when a connection to a node fails (a failover may have promoted a replica). Each
// node has its own connection pool. Reads and writes both go to the primaries, so a client reads
// its own writes. No cluster library is in Debian 12's archive; this is the routing the store
// needs and nothing more (no replica reads, no multi-key commands: every command of the store
// names one key).

#include <hiredis/hiredis.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "../../errors.hpp"
#include "pool.hpp"
#include "redis_io.hpp"
#include "redis_sentinel.hpp"

namespace sessions::detail::redis_store {

inline constexpr std::size_t kClusterSlots = 16384;

/// CRC16/XMODEM (polynomial 0x1021, initial 0), the checksum Redis Cluster's key slots use.
[[nodiscard]] constexpr std::uint16_t crc16(std::string_view bytes) noexcept {
  std::uint16_t crc = 0;
  for (const char c : bytes) {
    crc = static_cast<std::uint16_t>(crc ^ (static_cast<std::uint16_t>(static_cast<unsigned char>(c)) << 8));
    for (int bit = 0; bit < 8; ++bit) {
      crc =
          (crc & 0x8000) != 0 ? static_cast<std::uint16_t>((crc << 1) ^ 0x1021) : static_cast<std::uint16_t>(crc << 1);
    }
  }
  return crc;
}

/// The hash slot of `key`: of its hash tag when it has a non-empty one ("{user1}.a" and
/// "{user1}.b" share a slot), else of the whole key.
[[nodiscard]] constexpr std::uint16_t key_slot(std::string_view key) noexcept {
  const std::size_t open = key.find('{');
  if (open != std::string_view::npos) {
    const std::size_t close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) key = key.substr(open + 1, close - open - 1);
  }
  return static_cast<std::uint16_t>(crc16(key) % kClusterSlots);
}

/// A MOVED or ASK error reply ("MOVED 3999 127.0.0.1:6381"): where the slot is served now.
struct Redirect {
  bool ask = false;  // ASK: for the next command only (a slot being migrated); MOVED: for good
  std::uint16_t slot = 0;
  RedisAddress to;
};
[[nodiscard]] inline std::optional<Redirect> parse_redirect(const redisReply& r) {
  if (r.type != REDIS_REPLY_ERROR) return std::nullopt;
  std::string_view text = reply_text(r);
  Redirect out;
  if (text.starts_with("ASK ")) {
    out.ask = true;
    text.remove_prefix(4);
  } else if (text.starts_with("MOVED ")) {
    text.remove_prefix(6);
  } else {
    return std::nullopt;
  }
  const std::size_t space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  unsigned slot = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + space, slot);
  const std::string_view where = text.substr(space + 1);
  const std::size_t colon = where.rfind(':');
  if (space == 0 || ec != std::errc{} || end != text.data() + space || slot >= kClusterSlots ||
      colon == std::string_view::npos || colon == 0) {
    return std::nullopt;
  }
  const std::optional<std::uint16_t> port = parse_port(where.substr(colon + 1));
  if (!port) return std::nullopt;
  out.slot = static_cast<std::uint16_t>(slot);
  std::string_view host = where.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  out.to = RedisAddress{std::string(host), *port};
  return out;
}

/// One primary of the cluster and its connections.
struct ClusterNode {
  ClusterNode(RedisAddress a, const PoolSettings& settings, const Logger& logger)
      : address(std::move(a)), name(address_text(address)), pool("RedisStore", settings, logger, kLogCategory) {
    pool.set_server("RedisStore: " + name);
  }
  RedisAddress address;
  std::string name;
  ConnectionPool<Context> pool;
};

/// The slot map and the nodes. Nodes are never removed (a node that left keeps an idle pool):
/// a command in progress may still hold one.
class ClusterMap {
 public:
  ClusterMap(std::vector<RedisAddress> seeds, PoolSettings settings, Logger logger)
      : seeds_(std::move(seeds)), settings_(settings), logger_(logger) {}

  /// The node serving `slot`; nullptr when the map does not know (not loaded yet, or a slot no
  /// node serves).
  [[nodiscard]] std::shared_ptr<ClusterNode> node_for(std::uint16_t slot) const {
    std::lock_guard lock(mutex_);
    return slots_[slot];
  }
  /// Any node the map knows (for a command without a key); nullptr before the first refresh.
  [[nodiscard]] std::shared_ptr<ClusterNode> any_node() const {
    std::lock_guard lock(mutex_);
    return nodes_.empty() ? nullptr : nodes_.front();
  }
  /// The primaries that serve slots now, each once (empty before the first refresh).
  [[nodiscard]] std::vector<std::shared_ptr<ClusterNode>> primaries() const {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<ClusterNode>> out;
    for (const auto& node : slots_) {
      if (node && std::find(out.begin(), out.end(), node) == out.end()) out.push_back(node);
    }
    return out;
  }
  /// The node at `address`, added to the known nodes when new.
  [[nodiscard]] std::shared_ptr<ClusterNode> node_at(const RedisAddress& address) {
    std::lock_guard lock(mutex_);
    return node_at_locked(address);
  }
  /// MOVED: `slot` is served by `address` from now on.
  void moved(std::uint16_t slot, const RedisAddress& address) {
    std::lock_guard lock(mutex_);
    slots_[slot] = node_at_locked(address);
  }

  /// Loads the slot map with CLUSTER SLOTS from the first node that answers (the known nodes,
  /// then the seeds). `open(address)` opens an authenticated connection or throws StorageError.
  /// Refreshes that come within `min_interval` of the last one do nothing (a burst of MOVED or of
  /// failed connections asks once). StorageError when no node answers.
  template <class Open>
  void refresh(Open&& open, std::chrono::milliseconds min_interval = std::chrono::milliseconds{50}) {
    std::lock_guard refreshing(refresh_mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (loaded_ && now - refreshed_at_ < min_interval) return;
    std::vector<RedisAddress> candidates;
    {
      std::lock_guard lock(mutex_);
      for (const auto& node : nodes_) candidates.push_back(node->address);
    }
    candidates.insert(candidates.end(), seeds_.begin(), seeds_.end());
    std::string failures;
    for (const RedisAddress& candidate : candidates) {
      try {
        const Context c = open(candidate);
        const Reply reply = command(c.get(), {"CLUSTER", "SLOTS"});
        if (!reply) throw StorageError(c->errstr);
        if (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0) {
          throw StorageError(reply->type == REDIS_REPLY_ERROR ? std::string(reply_text(*reply))
                                                              : "CLUSTER SLOTS answered no slots");
        }
        install(*reply, candidate);
        refreshed_at_ = std::chrono::steady_clock::now();
        loaded_ = true;
        return;
      } catch (const StorageError& e) {
        if (!failures.empty()) failures += "; ";
        failures += address_text(candidate) + ": " + e.what();
      }
    }
    throw StorageError("no cluster node answered CLUSTER SLOTS (" + failures + ")");
  }

  [[nodiscard]] const std::vector<RedisAddress>& seeds() const noexcept { return seeds_; }

 private:
  std::shared_ptr<ClusterNode> node_at_locked(const RedisAddress& address) {
    for (const auto& node : nodes_) {
      if (node->address == address) return node;
    }
    nodes_.push_back(std::make_shared<ClusterNode>(address, settings_, logger_));
    return nodes_.back();
  }

  // CLUSTER SLOTS: [[start, end, [host, port, id...], replicas...], ...]. An empty host means
  // "the node you asked" (a node that does not know its own address).
  void install(const redisReply& reply, const RedisAddress& asked) {
    std::vector<std::shared_ptr<ClusterNode>> fresh(kClusterSlots);
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < reply.elements; ++i) {
      const redisReply* range = reply.element[i];
      if (range->type != REDIS_REPLY_ARRAY || range->elements < 3 || range->element[0]->type != REDIS_REPLY_INTEGER ||
          range->element[1]->type != REDIS_REPLY_INTEGER || range->element[2]->type != REDIS_REPLY_ARRAY ||
          range->element[2]->elements < 2) {
        throw StorageError("CLUSTER SLOTS answered an entry of an unexpected shape");
      }
      const long long first = range->element[0]->integer;
      const long long last = range->element[1]->integer;
      const redisReply* primary = range->element[2];
      if (first < 0 || last < first || last >= static_cast<long long>(kClusterSlots) ||
          primary->element[0]->type != REDIS_REPLY_STRING || primary->element[1]->type != REDIS_REPLY_INTEGER ||
          primary->element[1]->integer <= 0 || primary->element[1]->integer > 65535) {
        throw StorageError("CLUSTER SLOTS answered an invalid slot range or node");
      }
      RedisAddress address{std::string(reply_text(*primary->element[0])),
                           static_cast<std::uint16_t>(primary->element[1]->integer)};
      if (address.host.empty()) address.host = asked.host;
      const std::shared_ptr<ClusterNode> node = node_at_locked(address);
      for (long long slot = first; slot <= last; ++slot) fresh[static_cast<std::size_t>(slot)] = node;
    }
    slots_ = std::move(fresh);
  }

  std::vector<RedisAddress> seeds_;
  PoolSettings settings_;
  Logger logger_;
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<ClusterNode>> nodes_;
  std::vector<std::shared_ptr<ClusterNode>> slots_ = std::vector<std::shared_ptr<ClusterNode>>(kClusterSlots);
  std::mutex refresh_mutex_;  // one refresh at a time; guards the two below
  std::chrono::steady_clock::time_point refreshed_at_{};
  bool loaded_ = false;
};

}  // namespace sessions::detail::redis_store
