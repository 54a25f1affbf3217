#include <sessions/crypto/aead.hpp>

#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "hex.hpp"
#include "support/catch.hpp"

using crypto_test::from_hex;
using crypto_test::to_hex;
using sessions::crypto::aes256gcm_open;
using sessions::crypto::aes256gcm_overhead;
using sessions::crypto::aes256gcm_seal;
using sessions::crypto::Aes256GcmKey;
using sessions::crypto::as_bytes;
using sessions::crypto::ByteView;

namespace {
Aes256GcmKey key_from_hex(std::string_view hex) {
  const auto bytes = from_hex(hex);
  Aes256GcmKey key{};
  std::copy(bytes.begin(), bytes.end(), key.begin());
  return key;
}
}  // namespace

TEST_CASE("aead: GCM specification test vectors for AES-256", "[crypto][aead]") {
  const Aes256GcmKey zero_key{};
  const std::array<unsigned char, 12> zero_nonce{};
  // Test case 13: empty plaintext.
  auto sealed = sessions::crypto::detail::aes256gcm_seal_with_nonce(zero_key, zero_nonce, {}, {});
  CHECK(to_hex(ByteView(sealed).subspan(12)) == "530f8afbc74536b9a963b4f1c4cb738b");
  // Test case 14: 16 zero bytes.
  const std::vector<unsigned char> zeros(16, 0);
  sealed = sessions::crypto::detail::aes256gcm_seal_with_nonce(zero_key, zero_nonce, ByteView(zeros), {});
  CHECK(to_hex(ByteView(sealed).subspan(12)) == "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919");
  // Test case 16: with associated data.
  const Aes256GcmKey key = key_from_hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
  const auto nonce_bytes = from_hex("cafebabefacedbaddecaf888");
  std::array<unsigned char, 12> nonce{};
  std::copy(nonce_bytes.begin(), nonce_bytes.end(), nonce.begin());
  const auto plaintext = from_hex(
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de6"
      "57ba637b39");
  const auto aad = from_hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  sealed = sessions::crypto::detail::aes256gcm_seal_with_nonce(key, nonce, ByteView(plaintext), ByteView(aad));
  CHECK(
      to_hex(ByteView(sealed).subspan(12)) ==
      "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0a"
      "bcc9f66276fc6ece0f4e1768cddf8853bb2d551b");
  const auto opened = aes256gcm_open(key, ByteView(sealed), ByteView(aad));
  REQUIRE(opened.has_value());
  CHECK(*opened == plaintext);
}

TEST_CASE("aead: round trip with random nonces", "[crypto][aead]") {
  const Aes256GcmKey key = key_from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  for (const std::string& message : {std::string(), std::string("x"), std::string(1000, 'y')}) {
    const auto a = aes256gcm_seal(key, as_bytes(message), as_bytes("aad"));
    const auto b = aes256gcm_seal(key, as_bytes(message), as_bytes("aad"));
    CHECK(a.size() == message.size() + aes256gcm_overhead);
    CHECK(a != b);  // fresh nonce every time
    const auto opened = aes256gcm_open(key, ByteView(a), as_bytes("aad"));
    REQUIRE(opened.has_value());
    CHECK(std::string(opened->begin(), opened->end()) == message);
  }
}

TEST_CASE("aead: any change to the sealed bytes, key or aad fails to open", "[crypto][aead]") {
  const Aes256GcmKey key = key_from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  const auto sealed = aes256gcm_seal(key, as_bytes("session data"), as_bytes("cookie"));
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    for (const unsigned char flip : std::array<unsigned char, 2>{0x01, 0x80}) {
      auto tampered = sealed;
      tampered[i] = static_cast<unsigned char>(tampered[i] ^ flip);
      CHECK_FALSE(aes256gcm_open(key, ByteView(tampered), as_bytes("cookie")).has_value());
    }
  }
  for (std::size_t n = 0; n < sealed.size(); ++n) {
    CHECK_FALSE(aes256gcm_open(key, ByteView(sealed).first(n), as_bytes("cookie")).has_value());
  }
  auto extended = sealed;
  extended.push_back(0);
  CHECK_FALSE(aes256gcm_open(key, ByteView(extended), as_bytes("cookie")).has_value());
  CHECK_FALSE(aes256gcm_open(key, ByteView(sealed), as_bytes("Cookie")).has_value());
  CHECK_FALSE(aes256gcm_open(key, ByteView(sealed)).has_value());
  Aes256GcmKey other = key;
  other[31] ^= 1;
  CHECK_FALSE(aes256gcm_open(other, ByteView(sealed), as_bytes("cookie")).has_value());
  CHECK(aes256gcm_open(key, ByteView(sealed), as_bytes("cookie")).has_value());
}
