// Regressions found by the fuzz targets in tests/fuzz/ (the cookie stores' decode). Each input is
// one a holder of the key could send: the value authenticates, but what it carries is hostile.
// Under the sanitize stage (UBSan) these tests fail on the undefined behaviour itself; elsewhere
// on the typed error.

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "support/catch.hpp"

#include <sessions/sessions.hpp>

using namespace std::chrono_literals;
using sessions::TimePoint;

namespace {

constexpr std::string_view kKey = "fuzz regression key, never used in production";
const TimePoint kNow{std::chrono::seconds{1'700'000'000}};

// What EncryptedCookieStore writes for `plaintext`, sealed with the key its header documents.
std::string sealed_cookie(const std::string& plaintext, std::string_view cookie_name = "sessionid") {
  namespace crypto = sessions::crypto;
  const auto key = crypto::hkdf_sha256_key<crypto::aes256gcm_key_size>(
      crypto::as_bytes(kKey), crypto::as_bytes("sessions.EncryptedCookieStore"), crypto::as_bytes("aes-256-gcm v1"));
  const auto digest = crypto::sha256(crypto::ByteView(key));
  const std::string kid = sessions::signing::b64_encode(crypto::ByteView(digest.data(), 4)).substr(0, 6);
  const std::vector<unsigned char> sealed =
      crypto::aes256gcm_seal(key, crypto::as_bytes(plaintext), crypto::as_bytes(cookie_name));
  return "e1." + kid + "." + sessions::signing::b64_encode(crypto::ByteView(sealed));
}

// The store's plaintext: issue time (8 bytes, big-endian), format 0 (JSON), the JSON text.
std::string plaintext_issued_at(std::uint64_t issued, const std::string& json = "{}") {
  std::string out;
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((issued >> shift) & 0xFF));
  out.push_back('\0');
  return out + json;
}

}  // namespace

TEST_CASE("EncryptedCookieStore: an authenticated issue time TimePoint cannot hold is a DecodeError",
          "[cookie-store][fuzz]") {
  // fuzz_encrypted_cookie, crash-89d2a3b6: issue time 0x4A4A4A0000000000 s overflowed the
  // conversion to nanoseconds.
  const sessions::EncryptedCookieStore store{std::string(kKey)};
  const sessions::Settings settings;
  for (const std::uint64_t issued :
       {std::uint64_t{0x4A4A4A0000000000}, std::uint64_t{1} << 62, std::uint64_t{9'223'372'037},
        std::uint64_t{0} - 9'223'372'037, std::numeric_limits<std::uint64_t>::max() / 2 + 1}) {
    CAPTURE(issued);
    CHECK_THROWS_AS(store.decode(sealed_cookie(plaintext_issued_at(issued)), settings, kNow), sessions::DecodeError);
  }
}

TEST_CASE("EncryptedCookieStore: the age of any representable issue time is measured without overflow",
          "[cookie-store][fuzz]") {
  const sessions::EncryptedCookieStore store{std::string(kKey)};
  const sessions::Settings settings;  // cookie_age: two weeks
  const auto age = settings.cookie_age.count();
  const auto now_seconds = std::uint64_t{1'700'000'000};

  // Centuries before "now" (year 1677, the edge of TimePoint): simply expired.
  CHECK_THROWS_AS(store.decode(sealed_cookie(plaintext_issued_at(std::uint64_t{0} - 9'223'372'036)), settings, kNow),
                  sessions::SignatureExpired);
  // Far in the future (year 2262, the other edge): not expired, and the record says when.
  const auto future = store.decode(sealed_cookie(plaintext_issued_at(9'223'372'036)), settings, kNow);
  CHECK(future.issued_at == TimePoint{std::chrono::seconds{9'223'372'036}});
  // And "now" at the ends of the clock's range does not overflow either.
  CHECK_THROWS_AS(store.decode(sealed_cookie(plaintext_issued_at(now_seconds)), settings, TimePoint::max()),
                  sessions::SignatureExpired);
  CHECK_NOTHROW(store.decode(sealed_cookie(plaintext_issued_at(now_seconds)), settings, TimePoint::min()));

  // The rule itself is unchanged: expired once now - issued_at > cookie_age, to the nanosecond.
  const std::string at_limit = sealed_cookie(plaintext_issued_at(now_seconds - static_cast<std::uint64_t>(age)));
  CHECK(store.decode(at_limit, settings, kNow).issued_at == kNow - settings.cookie_age);
  CHECK_THROWS_AS(store.decode(at_limit, settings, kNow + 1ns), sessions::SignatureExpired);
  CHECK_NOTHROW(store.decode(at_limit, settings, kNow - 1ns));
}

TEST_CASE("SignedCookieStore: a validly signed timestamp TimePoint cannot hold is MalformedSignedData",
          "[cookie-store][fuzz]") {
  // fuzz_signed_cookie_store, seed payload_future: "e30" ({}) signed at 2^62 s passed the age
  // check (future timestamps are accepted, as in Django) and overflowed the conversion.
  sessions::SignedCookieStore store{std::string(kKey)};
  const sessions::Settings settings;
  const sessions::signing::TimestampSigner signer(kKey, sessions::kSignedCookiesSalt);
  for (const std::int64_t timestamp :
       {std::int64_t{1} << 62, std::int64_t{9'223'372'037}, std::numeric_limits<std::int64_t>::max()}) {
    CAPTURE(timestamp);
    CHECK_THROWS_AS(store.decode(signer.sign("e30", timestamp), settings, kNow),
                    sessions::signing::MalformedSignedData);
  }
  // The last representable second is still a valid (future) signing time.
  const auto record = store.decode(signer.sign("e30", std::int64_t{9'223'372'036}), settings, kNow);
  CHECK(record.data == sessions::Data::object());
  CHECK(record.issued_at == TimePoint{std::chrono::seconds{9'223'372'036}});
}

TEST_CASE("EncryptedCookieStore: a clock outside the issue times a cookie can carry is an EncodeError",
          "[cookie-store][fuzz]") {
  // fuzz_encrypted_cookie, crash-d6281ce0: encoding at a clock of about -9223372036.9 s wrote an
  // issue time (floored to -9223372037 s) that decode() refuses, so the cookie could never be read.
  const sessions::EncryptedCookieStore store{std::string(kKey)};
  const sessions::Settings settings;
  const sessions::Data data = sessions::Data::object();
  CHECK_THROWS_AS(store.encode(data, settings, TimePoint::min()), sessions::EncodeError);
  // TimePoint::max() floors to the last whole second TimePoint holds, which decodes.
  CHECK(store.decode(store.encode(data, settings, TimePoint::max()), settings, TimePoint::max()).issued_at ==
        TimePoint{std::chrono::seconds{sessions::EncryptedCookieStore::kIssueTimeLimit}});
  // The extremes it can carry round-trip.
  const TimePoint earliest{std::chrono::seconds{-sessions::EncryptedCookieStore::kIssueTimeLimit}};
  const TimePoint latest{std::chrono::seconds{sessions::EncryptedCookieStore::kIssueTimeLimit}};
  for (const TimePoint at : {earliest, latest}) {
    const sessions::ClientRecord record = store.decode(store.encode(data, settings, at), settings, at);
    CHECK(record.issued_at == at);
  }
}
