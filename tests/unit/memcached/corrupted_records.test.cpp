// Corrupted memcached values (bits flipped in the payload, written back behind the store's back):
// each reads as an empty session with a "Session data corrupted" line on the security logger,
// never an exception; the next save writes a fresh record under the same key
// (support/corrupted_records.hpp). As for Redis, the value's 20-byte expiry header
// (detail/cache_value.hpp) is left alone: other digits there are another expiry, which no format
// can tell from a real one.

#include <string>

#include "memcached_support.hpp"
#include "support/catch.hpp"
#include "support/corrupted_records.hpp"

TEST_CASE("MemcachedStore: flipped bits in stored values give an empty session and a security log line",
          "[memcached][faults]") {
  sessions::MemcachedStore store(memcached_test::options());
  const auto counts = fault_test::flip_stored_bytes<sessions::MemcachedStore>(
      store, [&](const std::string& key) { return memcached_test::item(store.cache_key(key)).value().value; },
      [&](const std::string& key, const std::string& bytes) { memcached_test::raw_set(store.cache_key(key), bytes); },
      /*first_byte=*/sessions::detail::cache_value::kHeaderSize);
  fault_test::check_every_flip_detected(counts);
}
