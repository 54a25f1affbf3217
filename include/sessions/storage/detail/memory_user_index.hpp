#pragma once
// The per-user index of a memory store: user -> (key -> details), and key -> user so that a
// record's removal (delete, expiry, sweep) finds its entry. One mutex of its own, taken only by
// index operations and by the removal of a record that may be indexed; never held while a shard's
// lock is taken (a shard's lock may be held while this one is: that is the only order).

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "../../clock.hpp"
#include "../../user_index.hpp"

namespace sessions::detail {

class MemoryUserIndex {
 public:
  /// Inserts or refreshes the entry of `key` under `user` with `limit` applied under the lock, so
  /// two logins of one user never both pass it. The evicted keys' entries are gone; their records
  /// are the caller's to delete.
  IndexOutcome index(std::string_view user, std::string_view key, const SessionDetails& details,
                     const UserSessionLimit& limit, TimePoint now) {
    IndexOutcome outcome;
    std::lock_guard lock(mutex_);
    if (const auto owner = user_of_key_.find(key); owner != user_of_key_.end() && owner->second != user) {
      const std::string previous = owner->second;
      erase_entry(previous, key);  // the session's user changed: the entry moves
    }
    Entries& entries = by_user_[std::string(user)];
    drop_expired(entries, now);
    if (const auto it = entries.find(key); it != entries.end()) {
      refresh(it->second, details);
      return outcome;
    }
    if (limit.max_sessions != 0 && entries.size() >= limit.max_sessions) {
      if (limit.at_limit == UserSessionLimit::AtLimit::refuse_new) {
        outcome.refused = true;
        if (entries.empty()) by_user_.erase(std::string(user));
        return outcome;
      }
      std::vector<std::pair<TimePoint, std::string>> by_age;
      by_age.reserve(entries.size());
      for (const auto& [k, d] : entries) by_age.emplace_back(d.last_seen, k);
      std::sort(by_age.begin(), by_age.end());
      const std::size_t excess = entries.size() - limit.max_sessions + 1;
      for (std::size_t i = 0; i < excess; ++i) {
        entries.erase(by_age[i].second);
        user_of_key_.erase(by_age[i].second);
        outcome.evicted.push_back(std::move(by_age[i].second));
      }
    }
    entries.emplace(std::string(key), details);
    user_of_key_.emplace(std::string(key), std::string(user));
    count_.store(user_of_key_.size(), std::memory_order_relaxed);
    return outcome;
  }

  void unindex(std::string_view user, std::string_view key) {
    std::lock_guard lock(mutex_);
    const auto owner = user_of_key_.find(key);
    if (owner == user_of_key_.end() || owner->second != user) return;
    erase_entry(user, key);
  }

  /// The entry of `key`, whoever's it is, removed; the user it was under (empty when none).
  std::string take(std::string_view key) {
    if (empty()) return {};  // no lock when nothing is indexed: the request path of a store without users
    std::lock_guard lock(mutex_);
    const auto owner = user_of_key_.find(key);
    if (owner == user_of_key_.end()) return {};
    std::string user = owner->second;
    erase_entry(user, key);
    return user;
  }

  /// take() without the answer, for a record's removal: inline, it is one relaxed load while
  /// nothing is indexed; the rest stays out of line, so that the store's load() and remove() stay
  /// small enough to be inlined into the request path.
  void forget(std::string_view key) {
    if (!empty()) forget_indexed(key);
  }

  /// The user's entries whose expiry is after `now`, oldest `created` first (the expired ones are
  /// deleted on the way).
  std::vector<UserSession> sessions(std::string_view user, TimePoint now) {
    std::vector<UserSession> out;
    std::lock_guard lock(mutex_);
    const auto it = by_user_.find(user);
    if (it == by_user_.end()) return out;
    drop_expired(it->second, now);
    for (const auto& [k, d] : it->second) out.push_back(UserSession{k, d});
    if (it->second.empty()) by_user_.erase(it);
    std::sort(out.begin(), out.end(), [](const UserSession& a, const UserSession& b) {
      return a.details.created != b.details.created ? a.details.created < b.details.created : a.key < b.key;
    });
    return out;
  }

  /// Removes at most `batch` entries whose expiry is past `now` (entries whose record went
  /// without them); returns them.
  std::vector<PurgedSession> purge(std::size_t batch, TimePoint now) {
    std::vector<PurgedSession> out;
    if (empty()) return out;
    std::lock_guard lock(mutex_);
    for (auto user = by_user_.begin(); user != by_user_.end() && out.size() < batch;) {
      for (auto e = user->second.begin(); e != user->second.end() && out.size() < batch;) {
        if (e->second.expires_at <= now) {
          out.push_back(PurgedSession{e->first, user->first});
          user_of_key_.erase(e->first);
          e = user->second.erase(e);
        } else {
          ++e;
        }
      }
      user = user->second.empty() ? by_user_.erase(user) : std::next(user);
    }
    count_.store(user_of_key_.size(), std::memory_order_relaxed);
    return out;
  }

  [[nodiscard]] bool empty() const noexcept { return count_.load(std::memory_order_relaxed) == 0; }

  /// Entries held, expired ones not yet removed included.
  [[nodiscard]] std::size_t size() const {
    std::lock_guard lock(mutex_);
    return user_of_key_.size();
  }

 private:
  [[gnu::noinline]] void forget_indexed(std::string_view key) { (void)take(key); }

  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  using Entries = std::unordered_map<std::string, SessionDetails, Hash, std::equal_to<>>;

  static void refresh(SessionDetails& entry, const SessionDetails& details) {
    entry.last_seen = details.last_seen;
    entry.expires_at = details.expires_at;
    if (!details.user_agent.empty()) entry.user_agent = details.user_agent;
    if (!details.address.empty()) entry.address = details.address;
  }

  void drop_expired(Entries& entries, TimePoint now) {
    for (auto e = entries.begin(); e != entries.end();) {
      if (e->second.expires_at <= now) {
        user_of_key_.erase(e->first);
        e = entries.erase(e);
      } else {
        ++e;
      }
    }
    count_.store(user_of_key_.size(), std::memory_order_relaxed);
  }

  // `user` must not view a string of the maps.
  void erase_entry(std::string_view user, std::string_view key) {
    if (const auto it = by_user_.find(user); it != by_user_.end()) {
      if (const auto e = it->second.find(key); e != it->second.end()) it->second.erase(e);
      if (it->second.empty()) by_user_.erase(it);
    }
    if (const auto k = user_of_key_.find(key); k != user_of_key_.end()) user_of_key_.erase(k);
    count_.store(user_of_key_.size(), std::memory_order_relaxed);
  }

  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entries, Hash, std::equal_to<>> by_user_;
  std::unordered_map<std::string, std::string, Hash, std::equal_to<>> user_of_key_;
  std::atomic<std::size_t> count_{0};
};

}  // namespace sessions::detail
