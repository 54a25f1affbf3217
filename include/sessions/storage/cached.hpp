#pragma once
// CachedStore<Cache, Persistent>: Django's `cached_db` session backend for any two byte stores:
// a fast cache (RedisStore, MemcachedStore, MemoryStore) in front of a persistent store (an SQL
// store, FileStore, ...). The persistent store is the truth; the cache only saves reads.
//
//   load     the cache first; on a miss (or a cache error) the persistent store, and a record found
//            there is put back into the cache (create: never over an entry written meanwhile)
//   create   the persistent store (its answer is the answer), then the cache: create, or update if
//            a stale entry is in the way
//   update   the persistent store, then the cache entry if there is one (update only: a miss is
//            filled by the next load from the persistent record, and an entry a concurrent logout
//            deleted is not brought back into the cache)
//   touch    the persistent store, then the cache entry if there is one
//   update_if  (when the persistent store has it) compare-and-set on the persistent store; then
//            compare-and-set on the cache entry (or its removal); a conflict removes the entry
//   remove   the persistent store, then the cache (in this order: a load between the two finds the
//            old entry in the cache, never re-fills the cache from a record about to vanish)
//   exists   the cache, then the persistent store
//   clear_expired   the persistent store's (caches expire on their own; their count is ignored)
//   the per-user index (UserIndexStorage, user_index.hpp): offered when the persistent store
//            offers it, and kept there (the cache holds records only); the sessions a limit evicted
//            and the ones a purge removed are dropped from the cache too, so that a revoked session
//            is not served from it
//
// Outages of the cache are not fatal (Django: test_cache_set_failure_non_fatal): a StorageError
// (or LimitExceeded) from the cache is logged at error level on the category
// "sessions.storage.cached" and the persistent store serves alone, so nothing is lost. A failed
// write to the cache leaves the cache entry suspect (it may hold the data the write replaced, or a
// session that was deleted): its removal is tried at once, and when that fails too, the key is
// remembered (at most Options::max_pending keys) and the cache is not read for it until the removal
// succeeds. This protects the requests of this process; other processes sharing the cache can still
// be served such an entry after an outage that kept the cache's data (a network partition; a
// restarted Redis or memcached without persistence is empty), until it expires or is written again,
// as with Django's cached_db. Errors of the persistent store are the caller's, as with any store.
//
// A load that reads the persistent record just before a concurrent update and fills the cache just
// after it leaves the previous data in the cache until the next write or its expiry (the usual race
// of a cache filled on reads; Django's cached_db has it too).
//
// Both stores are held by reference and must outlive the CachedStore. Thread-safe when both are.

#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "../clock.hpp"
#include "../concepts.hpp"
#include "../errors.hpp"
#include "../log.hpp"
#include "../record.hpp"
#include "../user_index.hpp"
#include "detail/store_options.hpp"

namespace sessions {

struct CachedStoreOptions {
  /// Where cache failures are reported (error level, category "sessions.storage.cached").
  Logger logger{};
  /// Most keys remembered as "cache entry suspect" at once (see the header comment); beyond it,
  /// further suspect keys are only logged.
  std::size_t max_pending = 10000;
};

template <class Cache, class Persistent>
requires ByteStorage<Cache> && ByteStorage<Persistent>
class CachedStore {
 public:
  /// The store's name in events and messages.
  static constexpr std::string_view store_name = "CachedStore";
  using payload_type = std::string;
  /// The same bytes go to both stores: text when either keeps text (TextStorage).
  static constexpr bool text_payload = TextStorage<Cache> || TextStorage<Persistent>;
  using cache_type = Cache;
  using persistent_type = Persistent;
  using Options = CachedStoreOptions;

  static constexpr std::string_view kLogCategory = "sessions.storage.cached";

  CachedStore(Cache& cache, Persistent& persistent, Options options = {})
      : cache_(&cache), persistent_(&persistent), options_(std::move(options)) {}
  CachedStore(Cache& cache, Persistent& persistent, Logger logger)
      : CachedStore(cache, persistent, Options{logger, Options{}.max_pending}) {}

  CachedStore(const CachedStore&) = delete;
  CachedStore& operator=(const CachedStore&) = delete;

  [[nodiscard]] std::optional<Record<std::string>> load(std::string_view key) {
    if (!cache_trusted("load", key)) return persistent_->load(key);
    try {
      auto cached = cache_->load(key);
      if (cached) return cached;
    } catch (const Error& e) {
      if (!cache_failure(e)) throw;
      report("load", key, "reading the cache", e);
      return persistent_->load(key);  // the cache is down: no point filling it
    }
    auto record = persistent_->load(key);
    if (record) {
      try {
        (void)cache_->create(key, record->payload, record->expires_at);
      } catch (const Error& e) {
        if (!cache_failure(e)) throw;
        report("load", key, "filling the cache", e);  // it had no entry: nothing stale to forget
      }
    }
    return record;
  }

  [[nodiscard]] bool create(std::string_view key, const std::string& payload, TimePoint expires_at) {
    if (!persistent_->create(key, payload, expires_at)) return false;
    if (!cache_trusted("create", key)) return true;
    try {
      if (!cache_->create(key, payload, expires_at)) (void)cache_->update(key, payload, expires_at);
    } catch (const Error& e) {
      if (!cache_failure(e)) throw;
      report("create", key, "writing the cache", e);
      forget(key);
    }
    return true;
  }

  [[nodiscard]] bool update(std::string_view key, const std::string& payload, TimePoint expires_at) {
    if (!persistent_->update(key, payload, expires_at)) {
      forget(key);  // the record is gone: a cache entry left over must not outlive it
      return false;
    }
    if (!cache_trusted("update", key)) return true;
    try {
      (void)cache_->update(key, payload, expires_at);
    } catch (const Error& e) {
      if (!cache_failure(e)) throw;
      report("update", key, "writing the cache", e);
      forget(key);
    }
    return true;
  }

  /// Compare-and-set (lost-update protection), when the persistent store has update_if: the
  /// persistent store decides. Then the cache: compare-and-set too when it can (so two requests
  /// refreshing it in the wrong order leave it empty, never stale), else its entry is removed. A
  /// conflict or a missing record removes the cache entry: the version this request compared
  /// with may have come from a stale cache, and the reload of a merge must see the truth.
  [[nodiscard]] CasResult update_if(std::string_view key, const std::string& payload, TimePoint expires_at,
                                    const std::string& expected) requires requirement::storage_update_if<Persistent> {
    const CasResult result = persistent_->update_if(key, payload, expires_at, expected);
    if (result != CasResult::written) {
      forget(key);
      return result;
    }
    if (!cache_trusted("update_if", key)) return result;
    try {
      if constexpr (requirement::storage_update_if<Cache>) {
        if (cache_->update_if(key, payload, expires_at, expected) == CasResult::conflict) forget(key);
      } else {
        forget(key);
      }
    } catch (const Error& e) {
      if (!cache_failure(e)) throw;
      report("update_if", key, "writing the cache", e);
      forget(key);
    }
    return result;
  }

  [[nodiscard]] bool touch(std::string_view key, TimePoint expires_at) {
    if (!persistent_->touch(key, expires_at)) {
      forget(key);
      return false;
    }
    if (!cache_trusted("touch", key)) return true;
    try {
      (void)cache_->touch(key, expires_at);
    } catch (const Error& e) {
      if (!cache_failure(e)) throw;
      report("touch", key, "writing the cache", e);
      forget(key);
    }
    return true;
  }

  void remove(std::string_view key) {
    persistent_->remove(key);
    forget(key);
  }

  [[nodiscard]] bool exists(std::string_view key) {
    if (cache_trusted("exists", key)) {
      try {
        if (cache_->exists(key)) return true;
      } catch (const Error& e) {
        if (!cache_failure(e)) throw;
        report("exists", key, "reading the cache", e);
      }
    }
    return persistent_->exists(key);
  }

  std::size_t clear_expired() {
    try {
      (void)cache_->clear_expired();
    } catch (const Error& e) {
      if (!cache_failure(e)) throw;
      report("clear_expired", {}, "clearing the cache", e);
    }
    return static_cast<std::size_t>(persistent_->clear_expired());
  }

  // --- the per-user index, when the persistent store keeps one -------------------------------

  [[nodiscard]] IndexOutcome index_session(std::string_view user, std::string_view key, const SessionDetails& details,
                                           const UserSessionLimit& limit) requires UserIndexStorage<Persistent> {
    IndexOutcome outcome = persistent_->index_session(user, key, details, limit);
    for (const std::string& evicted : outcome.evicted) forget(evicted);
    return outcome;
  }

  void unindex_session(std::string_view user, std::string_view key) requires UserIndexStorage<Persistent> {
    persistent_->unindex_session(user, key);
  }

  [[nodiscard]] std::vector<UserSession> user_sessions(std::string_view user,
                                                       TimePoint now) requires UserIndexStorage<Persistent> {
    return persistent_->user_sessions(user, now);
  }

  [[nodiscard]] std::vector<PurgedSession> purge_expired(std::size_t batch,
                                                         TimePoint now) requires UserIndexStorage<Persistent> {
    std::vector<PurgedSession> purged = persistent_->purge_expired(batch, now);
    for (const PurgedSession& p : purged) forget(p.key);
    return purged;
  }

  void for_each_session(const std::function<void(std::string_view, const std::string&, TimePoint)>& fn) requires
      UserIndexStorage<Persistent> {
    persistent_->for_each_session(fn);
  }

  [[nodiscard]] Cache& cache() noexcept { return *cache_; }
  [[nodiscard]] Persistent& persistent() noexcept { return *persistent_; }

  /// Keys whose cache entry is suspect and could not be removed yet.
  [[nodiscard]] std::size_t pending() const {
    std::lock_guard lock(mutex_);
    return pending_.size();
  }

 private:
  // Heterogeneous lookup: no std::string per request on the hot path.
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const noexcept { return std::hash<std::string_view>{}(key); }
  };

  // The errors that mean "the cache cannot help now" rather than a bug in the caller.
  static bool cache_failure(const Error& e) noexcept {
    return dynamic_cast<const StorageError*>(&e) != nullptr || dynamic_cast<const LimitExceeded*>(&e) != nullptr;
  }

  // False when the cache entry of `key` is suspect and still cannot be removed: do not use the
  // cache for it. A suspect entry that can be removed now is, and the key is trusted again.
  bool cache_trusted(std::string_view op, std::string_view key) {
    if (pending_count_.load(std::memory_order_acquire) == 0) return true;
    {
      std::lock_guard lock(mutex_);
      if (pending_.find(key) == pending_.end()) return true;
    }
    try {
      cache_->remove(key);
    } catch (const Error& e) {
      if (!cache_failure(e)) throw;
      report(op, key, "removing a suspect cache entry", e);
      return false;
    }
    trust_again(key);
    return true;
  }

  void trust_again(std::string_view key) {
    std::lock_guard lock(mutex_);
    const auto it = pending_.find(key);
    if (it != pending_.end()) {
      pending_.erase(it);
      pending_count_.store(pending_.size(), std::memory_order_release);
    }
  }

  // Removes the cache entry of `key`; when the cache cannot be reached, remembers the key.
  void forget(std::string_view key) {
    try {
      cache_->remove(key);
      if (pending_count_.load(std::memory_order_acquire) != 0) trust_again(key);
    } catch (const Error& e) {
      if (!cache_failure(e)) throw;
      bool remembered = false;
      {
        std::lock_guard lock(mutex_);
        if (pending_.size() < options_.max_pending) {
          pending_.emplace(key);
          pending_count_.store(pending_.size(), std::memory_order_release);
          remembered = true;
        }
      }
      report("forget", key,
             remembered ? "removing a suspect cache entry (the cache is not read for this session until it is removed)"
                        : "removing a suspect cache entry (too many pending already: the entry may be served until it "
                          "expires)",
             e);
    }
  }

  void report(std::string_view op, std::string_view key, std::string_view what, const Error& e) const {
    std::string message = detail::store_message("CachedStore", op, {}, key, "error " + std::string(what));
    message += "; continuing with the persistent store: ";
    message += e.what();
    options_.logger(LogLevel::error, kLogCategory, message);
  }

  Cache* cache_;
  Persistent* persistent_;
  Options options_;
  mutable std::mutex mutex_;
  std::unordered_set<std::string, KeyHash, std::equal_to<>> pending_;
  std::atomic<std::size_t> pending_count_{0};
};

}  // namespace sessions
