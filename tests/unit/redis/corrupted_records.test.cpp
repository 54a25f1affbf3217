// Corrupted Redis values (bits flipped in the payload with SET ... KEEPTTL behind the store's
// back): each reads as an empty session with a "Session data corrupted" line on the security
// logger, never an exception; the next save writes a fresh record under the same key
// (support/corrupted_records.hpp). The value's 20-byte expiry header (detail/cache_value.hpp) is
// left alone here: a header that is not 19 digits and ':' reads as no record, and other digits are
// another expiry, which no format can tell from a real one.

#include <string>

#include "redis_support.hpp"
#include "support/catch.hpp"
#include "support/corrupted_records.hpp"

TEST_CASE("RedisStore: flipped bits in stored values give an empty session and a security log line",
          "[redis][faults]") {
  sessions::RedisStore store(redis_test::options());
  redis_test::Admin admin;
  const auto counts = fault_test::flip_stored_bytes<sessions::RedisStore>(
      store, [&](const std::string& key) { return admin.get(store.cache_key(key)).value(); },
      [&](const std::string& key, const std::string& bytes) {
        (void)admin.command({"SET", store.cache_key(key), bytes, "KEEPTTL"});
      },
      /*first_byte=*/sessions::detail::cache_value::kHeaderSize);
  fault_test::check_every_flip_detected(counts);
}
