#pragma once
// MemoryStore: sessions in this process's memory, for a single-process service or tests.
// One instance serves every thread: records are spread over shards by xxHash3 of the key, each
// with its own mutex, so threads working on different sessions rarely meet. Expired records are
// never returned; they are reclaimed a little at a time as writes come in (a sweep hand visits
// one hash bucket per write) and all at once by clear_expired(), so no request scans everything.
// The sweep runs only once a record of the shard may have expired: each shard keeps a lower bound
// of its records' expiry instants (refreshed by each full turn of the hand), so with sessions that
// live for days a write pays one comparison instead of a visit to a cold bucket (the visit cost
// about 10% of a MemoryValueStore request with 100k sessions stored).
//
// BasicMemoryStore<std::string> (MemoryStore) keeps the serializer's bytes;
// BasicMemoryStore<SharedMembers> (MemoryValueStore) keeps the values themselves, each top-level
// member shared immutably (member_list.hpp), so a request pays no serialization and no deep copy:
// load() hands out a pointer, a save hands one in (the list it replaces is freed after the lock is
// released, and with it only the members nobody else shares), and a Session that changes one key
// copies the list of pointers and that one value. update_if() (compare-and-set, for
// Settings::lost_update) compares under the shard's lock: bytes for MemoryStore, pointers for
// MemoryValueStore (the record still holds the very list the request loaded iff nobody saved
// since; a Session never changes a list it shares). BasicMemoryStore<Data> still works (values
// compared with nlohmann's ==, key order included) but copies the whole value on every load and
// save.
//
// Both keep the per-user index (user_index.hpp) beside the records, under a lock of its own; a
// record removed in any way (delete, load of an expired one, clear_expired, purge) takes its entry
// with it. While sessions are indexed the write path's sweep stands aside, so that each expiry is
// found by the purge (which tells it) or by a request (told `missing`), never silently: run a
// Purger (purger.hpp) or clear_expired() then. A store whose sessions are never indexed pays one
// relaxed atomic load per removal and per sweep for it.

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "../clock.hpp"
#include "../errors.hpp"
#include "../log.hpp"
#include "../data.hpp"
#include "../detail/fingerprint.hpp"
#include "../member_list.hpp"
#include "../record.hpp"
#include "../user_index.hpp"
#include "detail/memory_user_index.hpp"
#include "detail/store_options.hpp"
#include "url.hpp"

namespace sessions {

template <class Payload>
class BasicMemoryStore {
 public:
  /// The store's name in events and messages.
  static constexpr std::string_view store_name = std::is_same_v<Payload, std::string>     ? "MemoryStore"
                                                 : std::is_same_v<Payload, SharedMembers> ? "MemoryValueStore"
                                                                                          : "BasicMemoryStore";
  using payload_type = Payload;

  struct Options {
    /// Number of independently locked shards: 1 to 65536, rounded up to a power of two.
    std::size_t shards = 64;
    Clock clock{};
    /// Kept for the stores' convention; a memory store has nothing to report.
    Logger logger{};
  };

  /// `memory:` (or `memory://`), with an optional `?shards=N`, on top of `base`.
  [[nodiscard]] static Options options_from_url(std::string_view text) { return options_from_url(text, Options{}); }
  [[nodiscard]] static Options options_from_url(std::string_view text, Options base) {
    Url url = detail::parse_store_url(kName, text, {"memory"});
    if (!url.hosts.empty() || !url.path.empty() || url.username || url.password) {
      throw ConfigurationError(std::string(kName) + ": the URL " + url.redacted() +
                               " names a server or a path; a memory store is written memory: or memory:?shards=N");
    }
    Options options = std::move(base);
    if (auto v = url.take_integer("shards", 1, kMaxShards)) options.shards = static_cast<std::size_t>(*v);
    url.reject_unknown_parameters();
    return options;
  }

  BasicMemoryStore() : BasicMemoryStore(Options{}) {}
  explicit BasicMemoryStore(Options options) : clock_(options.clock) {
    detail::require_at_least_one(kName, "Options::shards", options.shards);
    if (options.shards > kMaxShards) {
      throw ConfigurationError(std::string(kName) + ": Options::shards must be at most " + std::to_string(kMaxShards) +
                               " (got " + std::to_string(options.shards) + ")");
    }
    std::size_t n = 1;
    while (n < options.shards) n <<= 1;
    shards_ = std::make_unique<Shard[]>(n);
    shard_mask_ = n - 1;
    for (std::size_t i = 0; i < n; ++i) shards_[i].index = &index_;
  }
  /// BasicMemoryStore(options_from_url(url)) with the given clock and logger.
  explicit BasicMemoryStore(std::string_view url, Clock clock = {}, Logger logger = {})
      : BasicMemoryStore(detail::with_clock_and_logger(options_from_url(url), clock, logger)) {}
  explicit BasicMemoryStore(Clock clock) : BasicMemoryStore(Options{.clock = clock}) {}

  BasicMemoryStore(const BasicMemoryStore&) = delete;
  BasicMemoryStore& operator=(const BasicMemoryStore&) = delete;

  [[nodiscard]] std::optional<Record<Payload>> load(std::string_view key) {
    Shard& shard = shard_for(key);
    const TimePoint now = clock_.now();
    std::lock_guard lock(shard.mutex);
    const auto it = shard.map.find(key);
    if (it == shard.map.end()) return std::nullopt;
    if (it->second.expires_at <= now) {
      shard.map.erase(it);
      index_.forget(key);
      return std::nullopt;
    }
    return Record<Payload>{it->second.payload, it->second.expires_at};
  }

  [[nodiscard]] bool create(std::string_view key, const Payload& payload, TimePoint expires_at) {
    Shard& shard = shard_for(key);
    const TimePoint now = clock_.now();
    Payload released{};  // what a write replaces is freed after the lock, not under it
    std::lock_guard lock(shard.mutex);
    sweep_one_bucket(shard, now);
    const auto it = shard.map.find(key);
    if (it != shard.map.end()) {
      if (it->second.expires_at > now) return false;  // never overwrite a live record
      released = std::exchange(it->second.payload, payload);
      it->second.expires_at = expires_at;
      shard.note_expiry(expires_at);
      return true;
    }
    shard.map.emplace(std::string(key), Entry{payload, expires_at});
    shard.note_expiry(expires_at);
    return true;
  }

  [[nodiscard]] bool update(std::string_view key, const Payload& payload, TimePoint expires_at) {
    Shard& shard = shard_for(key);
    const TimePoint now = clock_.now();
    Payload released{};
    std::lock_guard lock(shard.mutex);
    sweep_one_bucket(shard, now);
    const auto it = shard.map.find(key);
    if (it == shard.map.end() || it->second.expires_at <= now) return false;  // never resurrect
    released = std::exchange(it->second.payload, payload);
    it->second.expires_at = expires_at;
    shard.note_expiry(expires_at);
    return true;
  }

  /// Compare-and-set (lost-update protection): replaces the live record only if its payload still
  /// equals `expected`, under the shard's lock, so no write can come in between (SharedMembers:
  /// the same pointer, i.e. the very list the caller loaded).
  [[nodiscard]] CasResult update_if(std::string_view key, const Payload& payload, TimePoint expires_at,
                                    const Payload& expected) {
    Shard& shard = shard_for(key);
    const TimePoint now = clock_.now();
    Payload released{};
    std::lock_guard lock(shard.mutex);
    sweep_one_bucket(shard, now);
    const auto it = shard.map.find(key);
    if (it == shard.map.end() || it->second.expires_at <= now) return CasResult::missing;  // never resurrect
    if (!(it->second.payload == expected)) return CasResult::conflict;
    released = std::exchange(it->second.payload, payload);
    it->second.expires_at = expires_at;
    shard.note_expiry(expires_at);
    return CasResult::written;
  }

  [[nodiscard]] bool touch(std::string_view key, TimePoint expires_at) {
    Shard& shard = shard_for(key);
    const TimePoint now = clock_.now();
    std::lock_guard lock(shard.mutex);
    const auto it = shard.map.find(key);
    if (it == shard.map.end() || it->second.expires_at <= now) return false;
    it->second.expires_at = expires_at;
    shard.note_expiry(expires_at);
    return true;
  }

  void remove(std::string_view key) {
    Shard& shard = shard_for(key);
    std::lock_guard lock(shard.mutex);
    const auto it = shard.map.find(key);
    if (it != shard.map.end()) shard.map.erase(it);
    index_.forget(key);
  }

  [[nodiscard]] bool exists(std::string_view key) {
    Shard& shard = shard_for(key);
    const TimePoint now = clock_.now();
    std::lock_guard lock(shard.mutex);
    const auto it = shard.map.find(key);
    return it != shard.map.end() && it->second.expires_at > now;
  }

  std::size_t clear_expired() {
    const TimePoint now = clock_.now();
    std::size_t removed = 0;
    for (std::size_t i = 0; i <= shard_mask_; ++i) {
      Shard& shard = shards_[i];
      std::lock_guard lock(shard.mutex);
      removed += std::erase_if(shard.map, [&](const auto& kv) {
        if (kv.second.expires_at > now) return false;
        index_.forget(kv.first);
        return true;
      });
    }
    (void)index_.purge(static_cast<std::size_t>(-1), now);  // entries whose record went without them
    return removed;
  }

  // --- the per-user index (UserIndexStorage, user_index.hpp) -------------------------------------

  /// Indexes `key` under `user`, the limit applied atomically; the evicted sessions' records are
  /// deleted before it returns.
  IndexOutcome index_session(std::string_view user, std::string_view key, const SessionDetails& details,
                             const UserSessionLimit& limit) {
    IndexOutcome outcome = index_.index(user, key, details, limit, clock_.now());
    for (const std::string& evicted : outcome.evicted) remove(evicted);
    return outcome;
  }

  void unindex_session(std::string_view user, std::string_view key) { index_.unindex(user, key); }

  /// The user's live sessions, oldest first; entries whose record is gone are dropped.
  std::vector<UserSession> user_sessions(std::string_view user, TimePoint now) {
    std::vector<UserSession> sessions = index_.sessions(user, now);
    std::erase_if(sessions, [&](const UserSession& s) {
      if (exists(s.key)) return false;
      index_.unindex(user, s.key);
      return true;
    });
    return sessions;
  }

  /// Removes at most `batch` expired records with their entries, one shard's lock at a time, then
  /// (within the same batch) entries whose record went without them.
  std::vector<PurgedSession> purge_expired(std::size_t batch, TimePoint now) {
    std::vector<PurgedSession> purged;
    for (std::size_t i = 0; i <= shard_mask_ && purged.size() < batch; ++i) {
      Shard& shard = shards_[i];
      std::lock_guard lock(shard.mutex);
      for (auto it = shard.map.begin(); it != shard.map.end() && purged.size() < batch;) {
        if (it->second.expires_at <= now) {
          purged.push_back(PurgedSession{it->first, index_.take(it->first)});
          it = shard.map.erase(it);
        } else {
          ++it;
        }
      }
    }
    if (purged.size() < batch) {
      for (PurgedSession& orphan : index_.purge(batch - purged.size(), now)) purged.push_back(std::move(orphan));
    }
    return purged;
  }

  /// Calls fn(key, payload, expires_at) for each live record, outside the shards' locks.
  void for_each_session(const std::function<void(std::string_view, const Payload&, TimePoint)>& fn) {
    const TimePoint now = clock_.now();
    std::vector<std::pair<std::string, Entry>> live;
    for (std::size_t i = 0; i <= shard_mask_; ++i) {
      live.clear();
      {
        std::lock_guard lock(shards_[i].mutex);
        for (const auto& [key, entry] : shards_[i].map) {
          if (entry.expires_at > now) live.emplace_back(key, entry);
        }
      }
      for (const auto& [key, entry] : live) fn(key, entry.payload, entry.expires_at);
    }
  }

  /// Index entries held (expired ones not yet purged included): what a test of the index's
  /// growth counts.
  [[nodiscard]] std::size_t user_index_size() const { return index_.size(); }

  /// Records held, expired ones not yet reclaimed included.
  [[nodiscard]] std::size_t size() const {
    std::size_t n = 0;
    for (std::size_t i = 0; i <= shard_mask_; ++i) {
      std::lock_guard lock(shards_[i].mutex);
      n += shards_[i].map.size();
    }
    return n;
  }

  [[nodiscard]] const Clock& clock() const noexcept { return clock_; }

 private:
  static constexpr std::string_view kName = store_name;
  static constexpr std::size_t kMaxShards = 65536;

  struct Entry {
    Payload payload;
    TimePoint expires_at;
  };
  // Heterogeneous lookup: find(string_view) without building a std::string per request.
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const noexcept {
      return static_cast<std::size_t>(detail::fingerprint(key) >> 8);
    }
  };
  // A cache line (or more) each: threads working on different shards never write the same line.
  struct alignas(64) Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, Entry, KeyHash, std::equal_to<>> map;
    std::size_t sweep_hand = 0;
    // No record of the shard expires before `earliest` (a lower bound: never later than the
    // truth). `turn_min` gathers the expiry of every record seen or written during the hand's
    // current turn; when the turn completes over an unchanged bucket layout, it becomes the bound.
    TimePoint earliest = TimePoint::max();
    // The store's per-user index (asked only once a record may have expired: no cost before).
    const detail::MemoryUserIndex* index = nullptr;
    TimePoint turn_min = TimePoint::max();
    std::size_t turn_buckets = 0;

    void note_expiry(TimePoint t) noexcept {
      if (t < earliest) earliest = t;
      if (t < turn_min) turn_min = t;
    }
  };

  Shard& shard_for(std::string_view key) noexcept {
    return shards_[static_cast<std::size_t>(detail::fingerprint(key)) & shard_mask_];
  }

  // Reclaims the expired records of one hash bucket; the hand moves one bucket per write, so
  // every record is looked at once per bucket_count writes to its shard.
  static void sweep_one_bucket(Shard& shard, TimePoint now) {
    auto& map = shard.map;
    if (map.empty() || now < shard.earliest) return;  // nothing can have expired yet
    // Sessions are indexed: their expiry is the purge's to find and tell (purge_expired), not a
    // silent sweep's.
    if (!shard.index->empty()) return;
    if (shard.sweep_hand >= map.bucket_count()) {
      // A turn is complete. Its minimum is the new bound only if the layout stayed the same (a
      // rehash moves records between visited and unvisited buckets); otherwise keep the old one.
      if (shard.turn_buckets == map.bucket_count()) shard.earliest = shard.turn_min;
      shard.sweep_hand = 0;
      shard.turn_min = TimePoint::max();
      shard.turn_buckets = map.bucket_count();
    }
    const std::size_t bucket = shard.sweep_hand++;
    std::string_view expired[4];
    std::size_t n = 0;
    for (auto it = map.begin(bucket); it != map.end(bucket); ++it) {
      if (it->second.expires_at <= now && n < 4) {
        expired[n++] = it->first;
      } else if (it->second.expires_at < shard.turn_min) {
        shard.turn_min = it->second.expires_at;  // stays (a fifth expired record is one of these)
      }
    }
    for (std::size_t i = 0; i < n; ++i) {
      // Copy the key first: erasing destroys the string the view points into.
      const std::string key(expired[i]);
      map.erase(map.find(key));
    }
  }

  Clock clock_;
  std::unique_ptr<Shard[]> shards_;
  detail::MemoryUserIndex index_;
  std::size_t shard_mask_ = 0;
};

/// Keeps the serializer's bytes: the same code path as any server store.
using MemoryStore = BasicMemoryStore<std::string>;
/// Keeps session values, each top-level member shared immutably: no serialization, and a save
/// copies only the members the request changed.
using MemoryValueStore = BasicMemoryStore<SharedMembers>;

}  // namespace sessions
