// compression.hpp keeps one zlib stream per thread and resets it per call: a call must never see
// what an earlier call (finished, failed or with trailing bytes) left in the stream.

#include <sessions/signing/compression.hpp>
#include <sessions/errors.hpp>
#include <sessions/signing/errors.hpp>
#include <string>
#include <thread>

#include "support/catch.hpp"

using sessions::signing::zlib_compress;
using sessions::signing::zlib_decompress;

TEST_CASE("zlib streams reused across calls give the same bytes as fresh ones", "[zlib]") {
  const std::string text =
      R"({"_auth_user_id":"4217","cart":[{"sku":"SKU-01000","qty":2},{"sku":"SKU-01037","qty":1}]})";
  const std::string first = zlib_compress(text);
  // Python: zlib.compress(text) starts with 78 9c (default level) and round-trips.
  REQUIRE(first.size() > 2);
  CHECK(static_cast<unsigned char>(first[0]) == 0x78);
  CHECK(static_cast<unsigned char>(first[1]) == 0x9c);
  CHECK(zlib_compress(text) == first);
  CHECK(zlib_compress("other input, compressed in between") != first);
  CHECK(zlib_compress(text) == first);
  CHECK(zlib_decompress(first) == text);

  std::string other_thread;
  std::thread([&] { other_thread = zlib_compress(text); }).join();
  CHECK(other_thread == first);
}

TEST_CASE("a failed or trailing-bytes decompression leaves nothing behind for the next call", "[zlib]") {
  const std::string text(3000, 'x');
  const std::string z = zlib_compress(text);
  std::string corrupt = z;
  corrupt[corrupt.size() / 2] = static_cast<char>(corrupt[corrupt.size() / 2] ^ 0x55);
  corrupt.resize(corrupt.size() - 3);
  CHECK_THROWS_AS(zlib_decompress(corrupt), sessions::signing::MalformedSignedData);
  CHECK(zlib_decompress(z) == text);
  CHECK_THROWS_AS(zlib_decompress(z, 100), sessions::LimitExceeded);
  CHECK(zlib_decompress(z + "trailing bytes") == text);  // ignored, as Python does
  CHECK(zlib_decompress(zlib_compress("short")) == "short");
  CHECK(zlib_compress("") == zlib_compress(""));
  CHECK(zlib_decompress(zlib_compress("")).empty());
}

TEST_CASE("the decompression limit is exact: max_output bytes pass, one more is LimitExceeded", "[zlib][limits]") {
  for (const std::size_t limit : {std::size_t{1}, std::size_t{255}, std::size_t{256}, std::size_t{257},
                                  std::size_t{1000}, std::size_t{4096}, std::size_t{65536}}) {
    CAPTURE(limit);
    const std::string at_limit(limit, 'x');
    const std::string over(limit + 1, 'x');
    CHECK(zlib_decompress(zlib_compress(at_limit), limit) == at_limit);
    CHECK_THROWS_AS(zlib_decompress(zlib_compress(over), limit), sessions::LimitExceeded);
  }
  // The default limit, 1 MiB, on both sides.
  const std::string mib(std::size_t{1} << 20, 'y');
  CHECK(zlib_decompress(zlib_compress(mib)) == mib);
  CHECK_THROWS_AS(zlib_decompress(zlib_compress(mib + "y")), sessions::LimitExceeded);
}
