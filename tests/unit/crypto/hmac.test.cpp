#include <sessions/crypto/hmac.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "hex.hpp"
#include "support/catch.hpp"

using crypto_test::from_hex;
using crypto_test::repeat;
using crypto_test::to_hex;
using sessions::crypto::as_bytes;
using sessions::crypto::ByteView;
using sessions::crypto::hmac_sha256;
using sessions::crypto::HmacSha256;
using sessions::crypto::SharedHmacSha256;

namespace {
struct Vector {
  std::vector<unsigned char> key;
  std::vector<unsigned char> data;
  std::string mac;  // hex; test case 5 is truncated to 128 bits
};

std::vector<unsigned char> bytes(std::string_view s) { return {s.begin(), s.end()}; }

std::vector<Vector> rfc4231() {
  std::vector<unsigned char> key4;
  for (unsigned char b = 1; b <= 25; ++b) key4.push_back(b);
  return {
      {repeat(0x0b, 20), bytes("Hi There"), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {bytes("Jefe"), bytes("what do ya want for nothing?"),
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {repeat(0xaa, 20), repeat(0xdd, 50), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {key4, repeat(0xcd, 50), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {repeat(0x0c, 20), bytes("Test With Truncation"), "a3b6167473100ee06e0c796c2955552b"},
      {repeat(0xaa, 131), bytes("Test Using Larger Than Block-Size Key - Hash Key First"),
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {repeat(0xaa, 131),
       bytes("This is a test using a larger than block-size key and a larger than block-size data. The key needs to "
             "be hashed before being used by the HMAC algorithm."),
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
}
}  // namespace

TEST_CASE("hmac: RFC 4231 test cases 1-7, one-shot and keyed", "[crypto][hmac]") {
  for (const Vector& v : rfc4231()) {
    const std::string one_shot = to_hex(hmac_sha256(ByteView(v.key), ByteView(v.data)));
    CHECK(one_shot.substr(0, v.mac.size()) == v.mac);
    HmacSha256 keyed{ByteView(v.key)};
    // The same keyed context, re-initialised per message, must keep giving the right answer.
    for (int round = 0; round < 3; ++round) {
      CHECK(to_hex(keyed.mac(ByteView(v.data))).substr(0, v.mac.size()) == v.mac);
    }
  }
}

TEST_CASE("hmac: empty key and empty message", "[crypto][hmac]") {
  CHECK(to_hex(hmac_sha256("", "")) == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  HmacSha256 keyed{std::string_view{}};
  CHECK(to_hex(keyed.mac(std::string_view{})) == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST_CASE("hmac: interleaved messages on one context do not leak state", "[crypto][hmac]") {
  HmacSha256 keyed{"Jefe"};
  const auto a = keyed.mac("what do ya want for nothing?");
  const auto b = keyed.mac("something else");
  CHECK(keyed.mac("what do ya want for nothing?") == a);
  CHECK(hmac_sha256("Jefe", "something else") == b);
}

TEST_CASE("hmac: move and clone", "[crypto][hmac]") {
  HmacSha256 original{"Jefe"};
  const auto expected = hmac_sha256("Jefe", "what do ya want for nothing?");
  HmacSha256 copy = original.clone();
  CHECK(copy.mac("what do ya want for nothing?") == expected);
  HmacSha256 moved = std::move(original);
  CHECK(moved.mac("what do ya want for nothing?") == expected);
  CHECK_THROWS_AS(original.mac("x"), sessions::CryptoError);  // NOLINT(bugprone-use-after-move)
}

TEST_CASE("hmac: SharedHmacSha256 gives correct results from many threads", "[crypto][hmac]") {
  const SharedHmacSha256 shared{"Jefe"};
  const auto expected = hmac_sha256("Jefe", "what do ya want for nothing?");
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        if (shared.mac("what do ya want for nothing?") != expected) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(wrong.load() == 0);
}
