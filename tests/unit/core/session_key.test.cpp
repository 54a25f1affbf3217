#include <sessions/session_key.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <set>
#include <string>

#include "support/catch.hpp"

TEST_CASE("generated keys are 32 characters of [a-z0-9] and differ", "[key]") {
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    const std::string key = sessions::generate_session_key();
    REQUIRE(key.size() == 32);
    REQUIRE(sessions::is_valid_session_key(key));
    seen.insert(key);
  }
  CHECK(seen.size() == 2000);
}

TEST_CASE("bytes that would bias the alphabet are rejected (no modulo bias)", "[key]") {
  // 252 = 7 * 36 is the largest multiple of 36 below 256: bytes 252..255 would make the first four
  // characters more likely, so they must be skipped, while 251 (the last accepted) maps to '9'.
  const sessions::RandomSource biased(
      [](void*, std::span<unsigned char> out) {
        std::fill(out.begin(), out.end(), static_cast<unsigned char>(0));
        const unsigned char head[] = {252, 253, 254, 255, 251, 36, 0, 35};
        std::copy(std::begin(head), std::end(head), out.begin());
      },
      nullptr);
  CHECK(sessions::generate_session_key(biased).substr(0, 5) == "9aa9a");

  // Only rejected bytes at first: the generator keeps drawing until it has 32 characters.
  struct Calls {
    int n = 0;
  } calls;
  const sessions::RandomSource rejected_first(
      [](void* ctx, std::span<unsigned char> out) {
        auto* c = static_cast<Calls*>(ctx);
        std::fill(out.begin(), out.end(), static_cast<unsigned char>(c->n++ < 3 ? 255 : 1));
      },
      &calls);
  CHECK(sessions::generate_session_key(rejected_first) == std::string(32, 'b'));
  CHECK(calls.n == 4);

  // A sequential source maps byte i to character i % 36.
  const sessions::RandomSource sequential(
      [](void*, std::span<unsigned char> out) {
        for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<unsigned char>(i);
      },
      nullptr);
  CHECK(sessions::generate_session_key(sequential) == "abcdefghijklmnopqrstuvwxyz012345");
}

TEST_CASE("characters of real keys are spread evenly over the alphabet", "[key]") {
  std::array<int, 36> histogram{};
  constexpr int kKeys = 3000;  // 96,000 characters: 2,666.7 expected per character
  for (int i = 0; i < kKeys; ++i) {
    for (const char c : sessions::generate_session_key()) ++histogram[sessions::kSessionKeyChars.find(c)];
  }
  // A chi-squared test with 35 degrees of freedom; 80 is far beyond the 0.9999 quantile (~71),
  // so a correct generator fails this about once in 10^5 runs, a biased one always.
  double chi2 = 0;
  const double expected = kKeys * 32.0 / 36.0;
  for (const int n : histogram) chi2 += (n - expected) * (n - expected) / expected;
  CHECK(chi2 < 80.0);
}

TEST_CASE("an injected random source makes keys deterministic", "[key]") {
  const sessions::RandomSource zeros([](void*, std::span<unsigned char> out) { std::fill(out.begin(), out.end(), 0); },
                                     nullptr);
  CHECK(sessions::generate_session_key(zeros) == std::string(32, 'a'));
}

// Keys come from a per-thread batch of CSPRNG bytes: after fork() the child must not issue the keys
// its parent will (both would hold the same buffered bytes).
TEST_CASE("a forked child and its parent never issue the same next key", "[key]") {
  (void)sessions::generate_session_key();  // the batch now holds bytes for the keys to come
  int pipe_fds[2];
  REQUIRE(pipe(pipe_fds) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const std::string key = sessions::generate_session_key();
    const bool written = write(pipe_fds[1], key.data(), key.size()) == static_cast<ssize_t>(key.size());
    _exit(written ? 0 : 1);
  }
  close(pipe_fds[1]);
  const std::string parent_key = sessions::generate_session_key();
  std::string child_key(sessions::kSessionKeyLength, '\0');
  const ssize_t got = read(pipe_fds[0], child_key.data(), child_key.size());
  close(pipe_fds[0]);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  REQUIRE(got == static_cast<ssize_t>(sessions::kSessionKeyLength));
  CHECK(sessions::is_valid_session_key(child_key));
  CHECK(child_key != parent_key);
}

TEST_CASE("key validation: Django's rule plus our alphabet and length bound", "[key]") {
  CHECK(sessions::is_valid_session_key("12345678"));
  CHECK(sessions::is_valid_session_key(std::string(40, 'z')));
  CHECK_FALSE(sessions::is_valid_session_key(""));
  CHECK_FALSE(sessions::is_valid_session_key("1234567"));
  CHECK_FALSE(sessions::is_valid_session_key(std::string(41, 'z')));
  CHECK_FALSE(sessions::is_valid_session_key("abcdefgH"));
  CHECK_FALSE(sessions::is_valid_session_key("../../etc/passwd"));
  CHECK_FALSE(sessions::is_valid_session_key(std::string("abcd\0efgh", 9)));
  CHECK_FALSE(sessions::is_valid_session_key("abcd efgh"));
  CHECK_FALSE(sessions::is_valid_session_key("abcd%2fefgh"));
}
