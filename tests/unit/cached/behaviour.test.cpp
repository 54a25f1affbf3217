// The shared behaviour suite (support/behaviour_suite.inc, Django's SessionTestsMixin) against
// CachedStore (Django's cached_db): over MemoryStore always, over Redis / memcached when built with
// them.

#include "cached_support.hpp"

#if SESSIONS_TEST_WITH_REDIS && SESSIONS_TEST_WITH_MEMCACHED
#define BYTE_STORES                                                                         \
  cached_test::MemoryOverMemory, cached_test::MemoryOverFile, cached_test::FlakyOverMemory, \
      cached_test::RedisOverFile, cached_test::MemcachedOverMemory
#elif SESSIONS_TEST_WITH_REDIS
#define BYTE_STORES \
  cached_test::MemoryOverMemory, cached_test::MemoryOverFile, cached_test::FlakyOverMemory, cached_test::RedisOverFile
#elif SESSIONS_TEST_WITH_MEMCACHED
#define BYTE_STORES                                                                         \
  cached_test::MemoryOverMemory, cached_test::MemoryOverFile, cached_test::FlakyOverMemory, \
      cached_test::MemcachedOverMemory
#else
#define BYTE_STORES cached_test::MemoryOverMemory, cached_test::MemoryOverFile, cached_test::FlakyOverMemory
#endif
#define SERVER_STORES BYTE_STORES
#define SESSION_STORES SERVER_STORES
#define STORES_WITH_A_CACHE 1  // see test_clearsessions_command

#include "support/behaviour_suite.inc"
