// CachedStore and the per-user index: offered when the persistent store keeps one (and only
// then), delegated to it, and the sessions the index evicts or purges leave the cache too. A
// persistent double with a small index runs everywhere; with SESSIONS_TEST_WITH_REDIS, RedisStore
// is the persistent store as well.

#include <map>
#include <string>
#include <vector>

#include "cached_support.hpp"
#include "support/catch.hpp"

using namespace std::chrono_literals;
using sessions::CachedStore;
using sessions::MemoryStore;
using sessions::TimePoint;
using sessions::UserSessionLimit;

namespace cached_index_test {

// A MemoryStore with the simplest index that honours the contract (the real ones are tested with
// their stores): enough to see what CachedStore passes on and what it drops from its cache.
class IndexedStore {
 public:
  using payload_type = std::string;
  explicit IndexedStore(sessions::Clock clock) : inner_(clock) {}

  std::optional<sessions::Record<std::string>> load(std::string_view k) { return inner_.load(k); }
  bool create(std::string_view k, const std::string& p, TimePoint t) { return inner_.create(k, p, t); }
  bool update(std::string_view k, const std::string& p, TimePoint t) { return inner_.update(k, p, t); }
  bool touch(std::string_view k, TimePoint t) { return inner_.touch(k, t); }
  void remove(std::string_view k) { inner_.remove(k); }
  bool exists(std::string_view k) { return inner_.exists(k); }
  std::size_t clear_expired() { return inner_.clear_expired(); }

  sessions::IndexOutcome index_session(std::string_view user, std::string_view key, const sessions::SessionDetails& d,
                                       const UserSessionLimit& limit) {
    auto& entries = index_[std::string(user)];
    sessions::IndexOutcome out;
    if (limit.max_sessions != 0 && entries.count(std::string(key)) == 0 && entries.size() >= limit.max_sessions) {
      if (limit.at_limit == UserSessionLimit::AtLimit::refuse_new) return sessions::IndexOutcome{true, {}};
      out.evicted.push_back(entries.begin()->first);
      inner_.remove(entries.begin()->first);
      entries.erase(entries.begin());
    }
    entries[std::string(key)] = d;
    return out;
  }
  void unindex_session(std::string_view user, std::string_view key) {
    index_[std::string(user)].erase(std::string(key));
  }
  std::vector<sessions::UserSession> user_sessions(std::string_view user, TimePoint now) {
    std::vector<sessions::UserSession> out;
    for (const auto& [k, d] : index_[std::string(user)]) {
      if (d.expires_at > now) out.push_back(sessions::UserSession{k, d});
    }
    return out;
  }
  std::vector<sessions::PurgedSession> purge_expired(std::size_t batch, TimePoint now) {
    std::vector<sessions::PurgedSession> out;
    for (auto& [user, entries] : index_) {
      for (auto it = entries.begin(); it != entries.end() && out.size() < batch;) {
        if (it->second.expires_at > now) {
          ++it;
          continue;
        }
        out.push_back(sessions::PurgedSession{it->first, user});
        inner_.remove(it->first);
        it = entries.erase(it);
      }
    }
    return out;
  }
  void for_each_session(const std::function<void(std::string_view, const std::string&, TimePoint)>& fn) {
    for (const auto& [user, entries] : index_) {
      for (const auto& [k, d] : entries) {
        if (const auto r = inner_.load(k)) fn(k, r->payload, r->expires_at);
      }
    }
  }

 private:
  MemoryStore inner_;
  std::map<std::string, std::map<std::string, sessions::SessionDetails>> index_;
};

static_assert(sessions::UserIndexStorage<IndexedStore>);
static_assert(sessions::UserIndexStorage<CachedStore<MemoryStore, IndexedStore>>);
// The capability is the persistent store's: a cache that could list does not make it.
static_assert(!sessions::UserIndexStorage<CachedStore<IndexedStore, cached_test::FlakyStore>>);
#if SESSIONS_TEST_WITH_MEMCACHED
static_assert(!sessions::UserIndexStorage<sessions::MemcachedStore>);
static_assert(!sessions::UserIndexStorage<CachedStore<MemoryStore, sessions::MemcachedStore>>);
#endif

constexpr std::string_view kA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1";
constexpr std::string_view kB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2";

// The contract through CachedStore: what the index evicts or purges is gone from the cache as well
// as from the persistent store (the cache is read first, so a stale entry would be served).
template <class Persistent>
void check_cached_index(sessions::ManualClock& clock, MemoryStore& cache, Persistent& persistent) {
  CachedStore<MemoryStore, Persistent> store(cache, persistent);
  const TimePoint t0 = clock.now();
  const sessions::SessionDetails d{t0, t0, t0 + 1min, "UA", ""};
  REQUIRE(store.create(kA, "a", t0 + 1min));
  REQUIRE(store.create(kB, "b", t0 + 1h));
  REQUIRE(cache.load(kA).has_value());
  const UserSessionLimit one{1, UserSessionLimit::AtLimit::evict_oldest};
  CHECK(store.index_session("u", kA, d, one).evicted.empty());
  const auto second = store.index_session("u", kB, sessions::SessionDetails{t0, t0 + 1s, t0 + 1h, "UA", ""}, one);
  CHECK(second.evicted == std::vector<std::string>{std::string(kA)});
  CHECK_FALSE(cache.load(kA).has_value());  // evicted: out of the cache too
  CHECK_FALSE(store.load(kA).has_value());
  const auto listed = store.user_sessions("u", t0);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].key == kB);

  std::vector<std::string> walked;
  store.for_each_session([&](std::string_view k, const std::string&, TimePoint) { walked.emplace_back(k); });
  CHECK(walked == std::vector<std::string>{std::string(kB)});

  REQUIRE(cache.load(kB).has_value());
  clock.advance(2h);
  cache.remove(kB);
  REQUIRE(cache.create(kB, "b", t0 + 3h));  // a cache entry that outlives its record (clock skew, a late fill)
  const auto purged = store.purge_expired(10, clock.now());
  REQUIRE(purged.size() == 1);
  CHECK(purged[0].key == kB);
  CHECK(purged[0].user_id == "u");
  CHECK_FALSE(cache.load(kB).has_value());  // purged: out of the cache too
  store.unindex_session("u", kB);
  CHECK(store.user_sessions("u", clock.now()).empty());
}

}  // namespace cached_index_test

TEST_CASE("CachedStore index: delegated to the persistent store, evicted and purged keys leave the cache",
          "[cached][user_index]") {
  sessions::ManualClock clock;
  MemoryStore cache{sessions::Clock(clock)};
  cached_index_test::IndexedStore persistent{sessions::Clock(clock)};
  cached_index_test::check_cached_index(clock, cache, persistent);
}

#if SESSIONS_TEST_WITH_REDIS
TEST_CASE("CachedStore index: over RedisStore", "[cached][user_index][redis]") {
  sessions::ManualClock clock;
  MemoryStore cache{sessions::Clock(clock)};
  sessions::RedisStore persistent{redis_test::options(sessions::Clock(clock))};
  cached_index_test::check_cached_index(clock, cache, persistent);
}
#endif
