// The binary and encrypting serializers against the test Redis server (support/serializer_suite.hpp):
// Redis keeps bytes, so CBOR and MessagePack (NUL and high bytes included) and the encrypted
// values are stored as they are, no text form.

#include <string>
#include <utility>
#include <vector>

#include "redis_support.hpp"
#include "support/catch.hpp"
#include "support/serializer_suite.hpp"

TEST_CASE("RedisStore: CBOR and MessagePack bytes come back intact", "[redis][serializer]") {
  using Fixture = test_support::StoreFixture<sessions::RedisStore>;
  STATIC_REQUIRE_FALSE(sessions::TextStorage<sessions::RedisStore>);
  serializer_suite::check_binary_round_trip<Fixture, sessions::CborSerializer>();
  serializer_suite::check_binary_round_trip<Fixture, sessions::MessagePackSerializer>();
}

TEST_CASE("RedisStore: encrypted values, bound to their session key; rotation with a fallback secret",
          "[redis][serializer][encrypted]") {
  serializer_suite::check_encrypted<test_support::StoreFixture<sessions::RedisStore>>(
      [](std::string secret, std::vector<std::string> fallbacks) {
        return sessions::EncryptedSerializer<>(std::move(secret), std::move(fallbacks));
      });
}
