// Fuzz target: session-key validation and generation (session_key.hpp).
//
// Input: the first half is a candidate key from a client; the rest feeds the random source of
// generate_session_key (then a fixed, unbiased pattern once the input runs out, so that a run of
// rejected bytes cannot go on forever).
// Invariants:
//   - is_valid_session_key(k) holds exactly when k is 8 to 40 characters of [a-z0-9] (checked
//     against an independent statement of the rule);
//   - a valid key is safe in a file name, a cache key and a log prefix: no '/', '.', NUL, space,
//     upper case; loggable_key_prefix() gives at most 6 leading characters of it;
//   - a generated key is valid, 32 characters long, and is exactly the unbiased mapping of the
//     random bytes (bytes >= 252 skipped, the others taken modulo 36).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <sessions/log.hpp>
#include <sessions/session_key.hpp>

#include "fuzz_support.hpp"

namespace {

bool reference_valid(std::string_view key) {
  if (key.size() < 8 || key.size() > 40) return false;
  for (const char c : key) {
    if (std::string_view{"abcdefghijklmnopqrstuvwxyz0123456789"}.find(c) == std::string_view::npos) return false;
  }
  return true;
}

struct FuzzRandom {
  std::string_view bytes{};
  std::size_t used = 0;
  std::size_t pattern = 0;
  std::string drawn{};  // every byte handed out, in order

  static void fill(void* context, std::span<unsigned char> out) {
    auto& self = *static_cast<FuzzRandom*>(context);
    for (unsigned char& b : out) {
      if (self.used < self.bytes.size()) {
        b = static_cast<unsigned char>(self.bytes[self.used++]);
      } else {
        b = static_cast<unsigned char>(self.pattern++ % 252);
      }
      self.drawn += static_cast<char>(b);
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = sessions_fuzz::as_text(data, size);
  const std::string_view candidate = text.substr(0, size / 2);

  const bool valid = sessions::is_valid_session_key(candidate);
  FUZZ_CHECK_MSG(valid == reference_valid(candidate), sessions_fuzz::shown(candidate));
  const std::string_view logged = sessions::loggable_key_prefix(candidate);
  FUZZ_CHECK(logged.size() <= 6 && candidate.starts_with(logged));
  if (valid) {
    FUZZ_CHECK(candidate.find_first_of(std::string_view("/.\\ \0", 5)) == std::string_view::npos);
    FUZZ_CHECK(logged.size() < candidate.size());  // a log line never carries a whole valid key
  }

  FuzzRandom random;
  random.bytes = text.substr(size / 2);
  const std::string key = sessions::generate_session_key(sessions::RandomSource(&FuzzRandom::fill, &random));
  FUZZ_CHECK(key.size() == sessions::kSessionKeyLength);
  FUZZ_CHECK_MSG(sessions::is_valid_session_key(key), sessions_fuzz::shown(key));
  std::string expected;
  for (const char raw : random.drawn) {
    const auto b = static_cast<unsigned char>(raw);
    if (b >= 252 || expected.size() == sessions::kSessionKeyLength) continue;
    expected += sessions::kSessionKeyChars[b % 36];
  }
  FUZZ_CHECK_MSG(key == expected, key + " != " + expected);
  return 0;
}
