#include <sessions/signing/base62.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "support/catch.hpp"

using sessions::signing::b62_decode;
using sessions::signing::b62_encode;
using sessions::signing::MalformedSignedData;

TEST_CASE("base62: Django's examples", "[signing][base62]") {
  CHECK(b62_encode(0) == "0");
  CHECK(b62_encode(61) == "z");
  CHECK(b62_encode(62) == "10");
  CHECK(b62_encode(1'700'000'000) == "1r31eq");
  CHECK(b62_encode(std::int64_t{1} << 31) == "2LKcb2");
  CHECK(b62_encode(-5) == "-5");
  CHECK(b62_encode(-62) == "-10");
  CHECK(b62_decode("z") == 61);
  CHECK(b62_decode("10") == 62);
  CHECK(b62_decode("1r31eq") == 1'700'000'000);
  CHECK(b62_decode("2LKcb2") == std::int64_t{1} << 31);
}

TEST_CASE("base62: round trip including the int64 extremes", "[signing][base62]") {
  for (const std::int64_t v : {std::int64_t{0}, std::int64_t{1}, std::int64_t{-1}, std::int64_t{123456789},
                               std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::min()}) {
    CAPTURE(v);
    CHECK(b62_decode(b62_encode(v)) == v);
  }
  CHECK(b62_encode(std::numeric_limits<std::int64_t>::max()) == "AzL8n0Y58m7");
  CHECK(b62_encode(std::numeric_limits<std::int64_t>::min()) == "-AzL8n0Y58m8");
}

TEST_CASE("base62: what Django's decoder tolerates", "[signing][base62]") {
  CHECK(b62_decode("-") == 0);
  CHECK(b62_decode("-0") == 0);
  CHECK(b62_decode("00001r31eq") == 1'700'000'000);
  CHECK(b62_decode("-1r31eq") == -1'700'000'000);
}

TEST_CASE("base62: malformed input and overflow are MalformedSignedData", "[signing][base62]") {
  for (const char* bad : {"", "1r31e!", "--1", " 1", "1 ", ".", "1r31eq\n", "+1", "\xc3\xa9"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(b62_decode(bad), MalformedSignedData);
  }
  CHECK_THROWS_AS(b62_decode("AzL8n0Y58m8"), MalformedSignedData);  // 2^63
  CHECK_THROWS_AS(b62_decode(std::string(1000, 'z')), MalformedSignedData);
  CHECK_THROWS_AS(b62_decode("-AzL8n0Y58m9"), MalformedSignedData);  // -(2^63 + 1)
}

TEST_CASE("base62: approximate decoding for timestamps of any length", "[signing][base62]") {
  using sessions::signing::detail::b62_decode_approx;
  CHECK(b62_decode_approx("1r31eq") == 1'700'000'000.0);
  CHECK(b62_decode_approx("-1r31eq") == -1'700'000'000.0);
  CHECK(b62_decode_approx(std::string(30, 'z')) > 1e53);
  CHECK(b62_decode_approx("-" + std::string(30, 'z')) < -1e53);
  CHECK(std::isinf(b62_decode_approx(std::string(200, 'z'))));
  CHECK_THROWS_AS(b62_decode_approx(""), MalformedSignedData);
  CHECK_THROWS_AS(b62_decode_approx("z!"), MalformedSignedData);
}
