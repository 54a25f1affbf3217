// The binary and encrypting serializers against the test memcached servers (support/serializer_suite.hpp):
// memcached keeps bytes, so CBOR and MessagePack (NUL and high bytes included) and the encrypted
// values are stored as they are, no text form.

#include <string>
#include <utility>
#include <vector>

#include "memcached_support.hpp"
#include "support/catch.hpp"
#include "support/serializer_suite.hpp"

TEST_CASE("MemcachedStore: CBOR and MessagePack bytes come back intact", "[memcached][serializer]") {
  using Fixture = test_support::StoreFixture<sessions::MemcachedStore>;
  STATIC_REQUIRE_FALSE(sessions::TextStorage<sessions::MemcachedStore>);
  serializer_suite::check_binary_round_trip<Fixture, sessions::CborSerializer>();
  serializer_suite::check_binary_round_trip<Fixture, sessions::MessagePackSerializer>();
}

TEST_CASE("MemcachedStore: encrypted values, bound to their session key; rotation with a fallback secret",
          "[memcached][serializer][encrypted]") {
  serializer_suite::check_encrypted<test_support::StoreFixture<sessions::MemcachedStore>>(
      [](std::string secret, std::vector<std::string> fallbacks) {
        return sessions::EncryptedSerializer<>(std::move(secret), std::move(fallbacks));
      });
}
