// The serializers against the test PostgreSQL server (support/serializer_suite.hpp). The column is
// Django's `session_data text`: a binary serializer does not compile with PostgresStore
// (tests/compile_fail/text_store_binary_serializer.cpp), and Base64Serializer makes its bytes text.

#include <string>
#include <utility>
#include <vector>

#include "postgres_support.hpp"
#include "support/catch.hpp"
#include "support/serializer_suite.hpp"

TEST_CASE("PostgresStore: encrypted values as base64 text, bound to their session key; rotation",
          "[postgres][serializer][encrypted]") {
  STATIC_REQUIRE(sessions::TextStorage<sessions::PostgresStore>);
  STATIC_REQUIRE(sessions::TextStorage<sessions::HashedKeys<sessions::PostgresStore>>);
  using Encrypted = sessions::EncryptedSerializer<sessions::CborSerializer>;
  serializer_suite::check_encrypted<test_support::StoreFixture<sessions::PostgresStore>>(
      [](std::string secret, std::vector<std::string> fallbacks) {
        return sessions::Base64Serializer<Encrypted>(Encrypted(std::move(secret), std::move(fallbacks)));
      });
}

TEST_CASE("PostgresStore: CBOR as base64 text round-trips", "[postgres][serializer]") {
  test_support::StoreFixture<sessions::PostgresStore> f;
  const sessions::Base64Serializer<sessions::CborSerializer> serializer;
  const std::string key = serializer_suite::save_sample(f, serializer);
  CHECK(serializer_suite::stored(f, key) == serializer.dumps(serializer_suite::sample()));
  CHECK(serializer_suite::read(f, serializer, key) == serializer_suite::sample());
}
