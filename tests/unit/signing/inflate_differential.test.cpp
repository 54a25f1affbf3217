// With SESSIONS_USE_LIBDEFLATE, zlib_decompress inflates through libdeflate; zlib's streaming
// inflate stays the reference. Both must give the same bytes or the same error category for any
// input: valid streams of any size, corrupted, truncated or followed by other bytes, and outputs
// at, just under and over the limit. (Without libdeflate there is one path and nothing to compare:
// zlib_reuse.test.cpp and dumps.test.cpp cover it.)

#include <sessions/signing/compression.hpp>

#if SESSIONS_INFLATE_WITH_LIBDEFLATE

#include <sessions/errors.hpp>
#include <sessions/signing/errors.hpp>
#include <cstdint>
#include <random>
#include <string>

#include "support/catch.hpp"

namespace {

// "ok:<bytes>", "limit" or "malformed": what a call did.
std::string outcome(std::string (*inflate)(std::string_view, std::size_t), std::string_view data, std::size_t max) {
  try {
    return "ok:" + inflate(data, max);
  } catch (const sessions::LimitExceeded&) {
    return "limit";
  } catch (const sessions::signing::MalformedSignedData&) {
    return "malformed";
  }
}

std::string random_text(std::mt19937& rng, std::size_t n) {
  // Session-like text: repetitive enough to compress, with some noise.
  static constexpr std::string_view kWords[] = {"{\"sku\":\"SKU-",      "\"qty\":", ",", "}",
                                                "2026-11-01T00:00:00Z", "product-"};
  std::string out;
  while (out.size() < n) {
    if (rng() % 4 == 0) {
      out += static_cast<char>(rng() % 256);
    } else {
      out += kWords[rng() % 6];
    }
  }
  out.resize(n);
  return out;
}

}  // namespace

TEST_CASE("libdeflate and zlib inflate agree on valid, damaged and bounded streams",
          "[zlib][libdeflate][differential]") {
  using sessions::signing::detail::libdeflate_inflate;
  using sessions::signing::detail::zlib_inflate;
  std::mt19937 rng(1202);
  int valid = 0, damaged = 0, limited = 0;
  for (int i = 0; i < 2000; ++i) {
    const std::size_t n = i % 50 == 0 ? 20000 + rng() % 50000 : rng() % 3000;
    const std::string text = random_text(rng, n);
    std::string z = sessions::signing::zlib_compress(text);
    const std::size_t limits[] = {text.size(), text.size() > 0 ? text.size() - 1 : 0, rng() % (text.size() + 1), 65536,
                                  sessions::signing::default_max_decompressed_size};
    const std::size_t max = limits[rng() % 5];
    switch (rng() % 5) {
      case 0:
        break;  // as written
      case 1:
        z[rng() % z.size()] = static_cast<char>(rng() % 256);
        break;
      case 2:
        z.resize(rng() % z.size());
        break;
      case 3:
        z += random_text(rng, 1 + rng() % 20);
        break;  // ignored after the stream, by both
      default:
        z[rng() % z.size()] ^= static_cast<char>(1u << (rng() % 8));
        break;
    }
    const std::string ours = outcome(&libdeflate_inflate, z, max);
    const std::string reference = outcome(&zlib_inflate, z, max);
    INFO("case " << i << ", " << z.size() << " compressed bytes, limit " << max);
    REQUIRE(ours == reference);
    if (ours == "limit") {
      ++limited;
    } else if (ours == "malformed") {
      ++damaged;
    } else {
      ++valid;
    }
  }
  CHECK(valid > 200);
  CHECK(damaged > 200);
  CHECK(limited > 100);
}

TEST_CASE("libdeflate inflate: empty input, a size guess too small, the limit exactly", "[zlib][libdeflate]") {
  using sessions::signing::detail::libdeflate_inflate;
  CHECK_THROWS_AS(libdeflate_inflate("", 100), sessions::signing::MalformedSignedData);
  // 200 KB of one byte deflates ~1000:1, far past the first guess (8x the input): retried larger.
  const std::string big(200000, 'a');
  const std::string z = sessions::signing::zlib_compress(big);
  CHECK(libdeflate_inflate(z, big.size()) == big);
  CHECK_THROWS_AS(libdeflate_inflate(z, big.size() - 1), sessions::LimitExceeded);
  CHECK(sessions::signing::zlib_decompress(z, big.size()) == big);
}

#endif
