#pragma once
// CachedStore fixtures and test doubles. Without servers: MemoryStore as the cache over MemoryStore
// or FileStore. With SESSIONS_TEST_WITH_REDIS / SESSIONS_TEST_WITH_MEMCACHED (set by
// tests/cmake/cache_stores.cmake, which then runs the program inside the server harnesses): the real
// cache stores too.

#include <atomic>
#include <optional>
#include <sessions/storage/cached.hpp>
#include <string>
#include <string_view>

#include "support/fixtures.hpp"

#ifndef SESSIONS_TEST_WITH_REDIS
#define SESSIONS_TEST_WITH_REDIS 0
#endif
#ifndef SESSIONS_TEST_WITH_MEMCACHED
#define SESSIONS_TEST_WITH_MEMCACHED 0
#endif

#if SESSIONS_TEST_WITH_REDIS
#include "../redis/redis_support.hpp"
#endif
#if SESSIONS_TEST_WITH_MEMCACHED
#include "../memcached/memcached_support.hpp"
#endif

namespace cached_test {

/// A MemoryStore that counts what is asked of it and can be switched "down" (every operation then
/// throws StorageError, as a cache store does when its server is unreachable).
class FlakyStore {
 public:
  using payload_type = std::string;

  explicit FlakyStore(sessions::Clock clock) : inner_(clock) {}

  std::atomic<bool> down{false};
  std::atomic<int> loads{0};
  std::atomic<int> writes{0};
  std::atomic<int> exists_calls{0};

  std::optional<sessions::Record<std::string>> load(std::string_view key) {
    check();
    ++loads;
    return inner_.load(key);
  }
  bool create(std::string_view key, const std::string& p, sessions::TimePoint t) {
    check();
    ++writes;
    return inner_.create(key, p, t);
  }
  bool update(std::string_view key, const std::string& p, sessions::TimePoint t) {
    check();
    ++writes;
    return inner_.update(key, p, t);
  }
  bool touch(std::string_view key, sessions::TimePoint t) {
    check();
    ++writes;
    return inner_.touch(key, t);
  }
  sessions::CasResult update_if(std::string_view key, const std::string& p, sessions::TimePoint t,
                                const std::string& expected) {
    check();
    ++writes;
    return inner_.update_if(key, p, t, expected);
  }
  void remove(std::string_view key) {
    check();
    ++writes;
    inner_.remove(key);
  }
  bool exists(std::string_view key) {
    check();
    ++exists_calls;
    return inner_.exists(key);
  }
  std::size_t clear_expired() {
    check();
    return inner_.clear_expired();
  }

  /// The record behind the store's back (no counting, works while "down").
  std::optional<sessions::Record<std::string>> peek(std::string_view key) { return inner_.load(key); }

 private:
  void check() const {
    if (down) throw sessions::StorageError("FlakyStore: the cache is down (test)");
  }
  sessions::MemoryStore inner_;
};

using MemoryOverMemory = sessions::CachedStore<sessions::MemoryStore, sessions::MemoryStore>;
using MemoryOverFile = sessions::CachedStore<sessions::MemoryStore, sessions::FileStore>;
using FlakyOverMemory = sessions::CachedStore<FlakyStore, FlakyStore>;
#if SESSIONS_TEST_WITH_REDIS
using RedisOverFile = sessions::CachedStore<sessions::RedisStore, sessions::FileStore>;
#endif
#if SESSIONS_TEST_WITH_MEMCACHED
using MemcachedOverMemory = sessions::CachedStore<sessions::MemcachedStore, sessions::MemoryStore>;
#endif

}  // namespace cached_test

namespace test_support {

template <>
struct StoreFixture<cached_test::MemoryOverMemory> : FixtureBase {
  sessions::MemoryStore cache{sessions::Clock(clock)};
  sessions::MemoryStore persistent{sessions::Clock(clock)};
  cached_test::MemoryOverMemory store{cache, persistent, settings.logger};
};

template <>
struct StoreFixture<cached_test::MemoryOverFile> : FixtureBase {
  sessions::MemoryStore cache{sessions::Clock(clock)};
  TempDir dir;
  sessions::FileStore persistent{sessions::FileStore::options_from_settings(configure(settings, dir))};
  cached_test::MemoryOverFile store{cache, persistent, settings.logger};
  static const sessions::Settings& configure(sessions::Settings& s, const TempDir& d) {
    s.file_path = d.path;
    return s;
  }
};

template <>
struct StoreFixture<cached_test::FlakyOverMemory> : FixtureBase {
  cached_test::FlakyStore cache{sessions::Clock(clock)};
  cached_test::FlakyStore persistent{sessions::Clock(clock)};
  cached_test::FlakyOverMemory store{cache, persistent, settings.logger};
};

#if SESSIONS_TEST_WITH_REDIS
template <>
struct StoreFixture<cached_test::RedisOverFile> : FixtureBase {
  sessions::RedisStore cache{redis_test::options(sessions::Clock(clock), log.logger())};
  TempDir dir;
  sessions::FileStore persistent{sessions::FileStore::options_from_settings(configure(settings, dir))};
  cached_test::RedisOverFile store{cache, persistent, settings.logger};
  static const sessions::Settings& configure(sessions::Settings& s, const TempDir& d) {
    s.file_path = d.path;
    return s;
  }
};
#endif

#if SESSIONS_TEST_WITH_MEMCACHED
template <>
struct StoreFixture<cached_test::MemcachedOverMemory> : FixtureBase {
  sessions::MemcachedStore cache{memcached_test::options(sessions::Clock(clock), log.logger())};
  sessions::MemoryStore persistent{sessions::Clock(clock)};
  cached_test::MemcachedOverMemory store{cache, persistent, settings.logger};
};
#endif

}  // namespace test_support
