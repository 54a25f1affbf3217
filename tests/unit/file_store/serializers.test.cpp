// FileStore writes the serializer's bytes as they are: CBOR and MessagePack (NUL and high bytes
// included) come back intact (support/serializer_suite.hpp), and so do encrypted values.

#include <string>
#include <utility>
#include <vector>

#include "support/catch.hpp"
#include "support/serializer_suite.hpp"

TEST_CASE("FileStore: CBOR, MessagePack and encrypted bytes come back intact", "[file][serializer]") {
  using Fixture = test_support::StoreFixture<sessions::FileStore>;
  STATIC_REQUIRE_FALSE(sessions::TextStorage<sessions::FileStore>);
  serializer_suite::check_binary_round_trip<Fixture, sessions::CborSerializer>();
  serializer_suite::check_binary_round_trip<Fixture, sessions::MessagePackSerializer>();
  serializer_suite::check_encrypted<Fixture>([](std::string secret, std::vector<std::string> fallbacks) {
    return sessions::EncryptedSerializer<>(std::move(secret), std::move(fallbacks));
  });
}
