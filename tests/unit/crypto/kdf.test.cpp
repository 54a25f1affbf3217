#include <sessions/crypto/kdf.hpp>

#include <vector>

#include "hex.hpp"
#include "support/catch.hpp"

using crypto_test::from_hex;
using crypto_test::repeat;
using crypto_test::to_hex;
using sessions::crypto::as_bytes;
using sessions::crypto::ByteView;
using sessions::crypto::hkdf_sha256;

TEST_CASE("kdf: RFC 5869 test cases 1 and 3", "[crypto][kdf]") {
  const auto ikm = repeat(0x0b, 22);
  const auto salt = from_hex("000102030405060708090a0b0c");
  const auto info = from_hex("f0f1f2f3f4f5f6f7f8f9");
  CHECK(to_hex(hkdf_sha256(ByteView(ikm), ByteView(salt), ByteView(info), 42)) ==
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
  // Test case 3: no salt, no info.
  CHECK(to_hex(hkdf_sha256(ByteView(ikm), {}, {}, 42)) ==
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

TEST_CASE("kdf: fixed-size keys, distinct purposes, limits", "[crypto][kdf]") {
  const auto a = sessions::crypto::hkdf_sha256_key<32>(as_bytes("secret"), {}, as_bytes("purpose a"));
  const auto b = sessions::crypto::hkdf_sha256_key<32>(as_bytes("secret"), {}, as_bytes("purpose b"));
  CHECK(a != b);
  CHECK(hkdf_sha256(as_bytes("secret"), {}, as_bytes("purpose a"), 32) ==
        std::vector<unsigned char>(a.begin(), a.end()));
  CHECK(hkdf_sha256(as_bytes("secret"), {}, {}, 0).empty());
  CHECK(hkdf_sha256(as_bytes("secret"), {}, {}, 8160).size() == 8160);
  CHECK_THROWS_AS(hkdf_sha256(as_bytes("secret"), {}, {}, 8161), sessions::CryptoError);
  CHECK_THROWS_AS(hkdf_sha256({}, {}, {}, 32), sessions::CryptoError);
}
