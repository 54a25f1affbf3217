#include <sessions/signing/signer.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "support/catch.hpp"

using sessions::BadSignature;
using sessions::ConfigurationError;
using sessions::SignatureExpired;
using sessions::TimePoint;
using sessions::signing::MalformedSignedData;
using sessions::signing::Signer;
using sessions::signing::TimestampSigner;

namespace {
constexpr std::int64_t kSignerNow = 1'700'000'000;
TimePoint signer_at(double seconds) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::duration<double>(seconds)));
}
}  // namespace

// Expected values produced by Django 3.2 (time.time patched to 1700000000).
TEST_CASE("signer: Django's Signer output", "[signing][signer]") {
  CHECK(Signer("secret").sign("hello") == "hello:FRBs_KKrjaVe9zJEdlQdiuJ2n9jBEsFOL1Capquoa18");
  CHECK(Signer("secret", "pepper").sign("hello") == "hello:1PappwHzUI0i7LRzyuvIzWe64GVNSS7Brdziex30s2g");
  CHECK(Signer("secret", "", {}, "/").sign("hello") == "hello/FRBs_KKrjaVe9zJEdlQdiuJ2n9jBEsFOL1Capquoa18");
  CHECK(Signer("secret").salt() == "django.core.signing.Signer");
  CHECK(Signer("secret").unsign("hello:FRBs_KKrjaVe9zJEdlQdiuJ2n9jBEsFOL1Capquoa18") == "hello");
  CHECK(Signer("secret").unsign(Signer("secret").sign("a:b:c")) == "a:b:c");
  CHECK(Signer("secret").unsign(Signer("secret").sign("")) == "");
}

TEST_CASE("signer: Django's TimestampSigner output", "[signing][signer]") {
  const TimestampSigner signer("secret");
  CHECK(signer.salt() == "django.core.signing.TimestampSigner");
  CHECK(signer.sign("hello", kSignerNow) == "hello:1r31eq:cd3olmP207LffIZrXNJ8LTxzeEF4brfUrRYVM3D-t8Q");
  CHECK(signer.sign("hello", signer_at(kSignerNow + 0.999)) ==
        "hello:1r31eq:cd3olmP207LffIZrXNJ8LTxzeEF4brfUrRYVM3D-t8Q");
  CHECK(TimestampSigner("secret", "pepper").sign("hello", kSignerNow) ==
        "hello:1r31eq:eMJPiAhl_NEWZHijpZKXlpUkJbve5C-jN0zXdLJf444");
  CHECK(signer.unsign("hello:1r31eq:cd3olmP207LffIZrXNJ8LTxzeEF4brfUrRYVM3D-t8Q") == "hello");
}

TEST_CASE("signer: the clock decides the timestamp and the age", "[signing][signer]") {
  sessions::ManualClock manual(signer_at(kSignerNow));
  const TimestampSigner signer("secret", "", {}, sessions::Clock(manual));
  CHECK(signer.timestamp() == "1r31eq");
  const std::string token = signer.sign("v");
  CHECK(token == signer.sign("v", kSignerNow));
  manual.advance(std::chrono::seconds(10));
  CHECK(signer.unsign(token, 10.0) == "v");
  manual.advance(std::chrono::microseconds(1));
  CHECK_THROWS_AS(signer.unsign(token, 10.0), SignatureExpired);
  CHECK(signer.unsign(token, std::chrono::seconds(11)) == "v");
  CHECK(signer.unsign(token) == "v");
}

TEST_CASE("signer: max_age boundaries", "[signing][signer]") {
  const TimestampSigner signer("secret");
  const std::string token = signer.sign("v", kSignerNow);
  CHECK(signer.unsign(token, 10.0, signer_at(kSignerNow + 10)) == "v");  // age == max_age is valid
  CHECK_THROWS_AS(signer.unsign(token, 10.0, signer_at(kSignerNow + 10.000001)), SignatureExpired);
  CHECK(signer.unsign(token, 0.0, signer_at(kSignerNow)) == "v");
  CHECK_THROWS_AS(signer.unsign(token, 0.0, signer_at(kSignerNow + 0.5)), SignatureExpired);
  CHECK_THROWS_AS(signer.unsign(token, -1.0, signer_at(kSignerNow)),
                  SignatureExpired);                                       // negative max_age always expires
  CHECK(signer.unsign(token, 10.0, signer_at(kSignerNow - 1000)) == "v");  // future timestamps are accepted
  CHECK(signer.unsign(token, 10.5, signer_at(kSignerNow + 10.5)) == "v");
  CHECK(signer.unsign(token, std::nullopt, signer_at(kSignerNow + 1e9)) == "v");
  try {
    (void)signer.unsign(token, 10.0, signer_at(kSignerNow + 11));
    FAIL("expected SignatureExpired");
  } catch (const SignatureExpired& e) {
    CHECK(std::string(e.what()) == "Signature age 11.0 > 10.0 seconds");
  }
}

TEST_CASE("signer: tampering, wrong key or salt is BadSignature", "[signing][signer]") {
  const TimestampSigner signer("secret");
  const std::string token = signer.sign("hello", kSignerNow);
  for (std::size_t i = 0; i < token.size(); ++i) {
    std::string tampered = token;
    tampered[i] = tampered[i] == 'A' ? 'B' : 'A';
    CAPTURE(tampered);
    CHECK_THROWS_AS(signer.unsign(tampered), BadSignature);
  }
  for (std::size_t n = 0; n < token.size(); ++n) {
    const std::string truncated = token.substr(0, n);
    CAPTURE(truncated);
    CHECK_THROWS_AS(signer.unsign(truncated), BadSignature);
  }
  CHECK_THROWS_AS(signer.unsign(token + "="), BadSignature);
  CHECK_THROWS_AS(signer.unsign(""), BadSignature);
  CHECK_THROWS_AS(TimestampSigner("other").unsign(token), BadSignature);
  CHECK_THROWS_AS(TimestampSigner("secret", "salt").unsign(token), BadSignature);
  CHECK_THROWS_AS(Signer("secret").unsign(token), BadSignature);  // different default salt
}

TEST_CASE("signer: validly signed but without a usable timestamp", "[signing][signer]") {
  const std::string salt = "s";
  const Signer plain("secret", salt);
  const TimestampSigner signer("secret", salt);
  CHECK_THROWS_AS(signer.unsign(plain.sign("no-timestamp")), MalformedSignedData);
  CHECK_THROWS_AS(signer.unsign(plain.sign("v:")), MalformedSignedData);
  CHECK_THROWS_AS(signer.unsign(plain.sign("v:1r31e!")), MalformedSignedData);
  CHECK(signer.unsign(plain.sign("v:-")) == "v");
  CHECK(signer.unsign(plain.sign("v:00001r31eq"), 10.0, signer_at(kSignerNow)) == "v");
  CHECK(signer.unsign(plain.sign("v:" + std::string(30, 'z')), 10.0, signer_at(kSignerNow)) == "v");  // far future
  CHECK_THROWS_AS(signer.unsign(plain.sign("v:-" + std::string(30, 'z')), 10.0, signer_at(kSignerNow)),
                  SignatureExpired);
  CHECK(signer.unsign(plain.sign("v:" + std::string(200, 'z'))) == "v");
  CHECK_THROWS_AS(signer.unsign(plain.sign("v:" + std::string(200, 'z')), 10.0, signer_at(kSignerNow)),
                  MalformedSignedData);
}

TEST_CASE("signer: fallback keys verify in order but never sign", "[signing][signer]") {
  const std::vector<std::string> fallbacks{"older", "old"};
  const TimestampSigner old_signer("old");
  const TimestampSigner rotated("new", "", fallbacks);
  const std::string old_token = old_signer.sign("v", kSignerNow);
  CHECK(rotated.unsign(old_token) == "v");
  CHECK_THROWS_AS(TimestampSigner("new").unsign(old_token), BadSignature);
  CHECK(rotated.sign("v", kSignerNow) == TimestampSigner("new").sign("v", kSignerNow));
  CHECK_THROWS_AS(rotated.unsign(old_token, 5.0, signer_at(kSignerNow + 6)), SignatureExpired);
  CHECK(rotated.signer().key_count() == 3);
  const Signer plain("new", "", fallbacks);
  CHECK(plain.unsign(Signer("older").sign("x")) == "x");
}

TEST_CASE("signer: configuration errors", "[signing][signer]") {
  CHECK_THROWS_AS(Signer(""), ConfigurationError);
  const std::vector<std::string> empty_fallback{""};
  CHECK_THROWS_AS(Signer("k", "", empty_fallback), ConfigurationError);
  for (const char* sep : {"", "a", "-", "_", "=", "Z9", "[", "^", "`", "\n", "a\n"}) {
    CAPTURE(sep);
    CHECK_THROWS_AS(Signer("k", "", {}, sep), ConfigurationError);
  }
  for (const char* sep : {":", "/", ".", "::", "a:", "\n\n", "\xc3\xa9"}) {
    CAPTURE(sep);
    CHECK_NOTHROW(Signer("k", "", {}, sep));
  }
}

TEST_CASE("signer: python_time matches CPython's float conversion", "[signing][signer]") {
  using sessions::signing::detail::python_int_time;
  using sessions::signing::detail::python_time;
  CHECK(python_time(signer_at(kSignerNow)) == 1'700'000'000.0);
  CHECK(python_time(signer_at(kSignerNow + 0.5)) == 1'700'000'000.5);
  CHECK(python_int_time(signer_at(kSignerNow + 0.999999)) == kSignerNow);
  CHECK(python_int_time(TimePoint(std::chrono::nanoseconds(-5'500'000'000))) == -5);  // int() truncates
  // One nanosecond below a whole second rounds up as a double, as time.time() does.
  CHECK(python_int_time(TimePoint(std::chrono::nanoseconds(kSignerNow * 1'000'000'000 - 1))) == kSignerNow);
}

TEST_CASE("signer: one signer used from many threads", "[signing][signer]") {
  const TimestampSigner signer("secret");
  const std::string expected = signer.sign("value", kSignerNow);
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        if (signer.sign("value", kSignerNow) != expected || signer.unsign(expected) != "value") ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(wrong.load() == 0);
}
