#include <sessions/crypto/sha256.hpp>

#include <string>

#include "hex.hpp"
#include "support/catch.hpp"

using crypto_test::to_hex;
using sessions::crypto::Sha256;
using sessions::crypto::sha256;

TEST_CASE("sha256: FIPS 180-2 known answers", "[crypto][sha256]") {
  CHECK(to_hex(sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(to_hex(sha256("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(to_hex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(to_hex(sha256(std::string(1'000'000, 'a'))) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("sha256: incremental hashing equals one-shot and resets after finish", "[crypto][sha256]") {
  Sha256 hasher;
  hasher.update("a").update("").update("bc");
  CHECK(to_hex(hasher.finish()) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(to_hex(hasher.finish()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  hasher.update("abc");
  CHECK(hasher.finish() == sha256("abc"));
}
