// Regressions for findings of a security review: each test fails on the code before its fix.

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/catch.hpp"

#include <sessions/sessions.hpp>

namespace {

// A MemoryStore that remembers the keys touch() was handed, copied while the call runs (a key
// that dangles shows up here as garbage or, under ASan, as a use-after-free report).
struct TouchRecordingStore {
  using payload_type = sessions::MemoryStore::payload_type;
  sessions::MemoryStore inner;
  std::vector<std::string> touched;

  std::optional<sessions::Record<payload_type>> load(std::string_view key) { return inner.load(key); }
  bool create(std::string_view key, const payload_type& p, sessions::TimePoint at) { return inner.create(key, p, at); }
  bool update(std::string_view key, const payload_type& p, sessions::TimePoint at) { return inner.update(key, p, at); }
  bool touch(std::string_view key, sessions::TimePoint at) {
    touched.emplace_back(key);
    return inner.touch(key, at);
  }
  void remove(std::string_view key) { inner.remove(key); }
  bool exists(std::string_view key) { return inner.exists(key); }
  std::size_t clear_expired() { return inner.clear_expired(); }
};

}  // namespace

TEST_CASE("touch() on a well-formed key with no live record: UpdateError, the store is never handed the freed key") {
  TouchRecordingStore store;
  sessions::Session<TouchRecordingStore> session{store, "qwertyuiopasdfghjklzxcvbnm123456"};
  CHECK_THROWS_AS(session.touch(), sessions::UpdateError);
  CHECK(store.touched.empty());
  CHECK_FALSE(session.session_key().has_value());
}

TEST_CASE("touch() on a live session refreshes its record under its own key") {
  TouchRecordingStore store;
  sessions::Session<TouchRecordingStore> first{store};
  first.set("a", 1);
  first.save();
  const std::string key = *first.session_key();
  sessions::Session<TouchRecordingStore> again{store, key};
  again.touch();
  REQUIRE(store.touched.size() == 1);
  CHECK(store.touched.front() == key);
}

// --- Finding 6: expiry arithmetic overflowed (UB) on huge values; now it saturates -------------

namespace {
// 100 Julian years: sessions::kMaxExpiryAge, spelled out so that these tests also build (and
// fail) on the code before the fix.
constexpr std::int64_t kHundredYears = 3'155'760'000;

struct ExpiryEnv {
  sessions::ManualClock clock;
  sessions::Settings settings;
  sessions::MemoryStore store;
  ExpiryEnv() { settings.clock = sessions::Clock(clock); }
};
}  // namespace

TEST_CASE("set_expiry(INT64_MAX): the record is saved alive, the age saturates at kMaxExpiryAge") {
  ExpiryEnv env;
  sessions::Session<sessions::MemoryStore> session{env.store, env.settings};
  session.set("user", 42);
  session.set_expiry(std::numeric_limits<std::int64_t>::max());
  CHECK(session.get_expiry_age() == kHundredYears);
  session.save();
  sessions::Session<sessions::MemoryStore> again{env.store, *session.session_key(), env.settings};
  CHECK(again.get("user", 0) == 42);
}

TEST_CASE("set_expiry(unsigned 2^64-1) is a long expiry, not -1 (an already expired session)") {
  ExpiryEnv env;
  sessions::Session<sessions::MemoryStore> session{env.store, env.settings};
  session.set("user", 42);
  session.set_expiry(std::numeric_limits<std::uint64_t>::max());
  CHECK(session.get_expiry_age() == kHundredYears);
  session.save();
  CHECK(env.store.exists(*session.session_key()));
}

TEST_CASE("a hostile _session_expiry (1e300, -1e300, 2^64-1, year 9999) never overflows") {
  ExpiryEnv env;
  const std::int64_t max = kHundredYears;
  const auto age_of = [&](const sessions::Data& expiry) {
    sessions::Session<sessions::MemoryStore> session{env.store, env.settings};
    session.set("_session_expiry", expiry);
    session.set("user", 42);
    session.save();  // the record's expiry instant is computed here
    return std::pair{session.get_expiry_age(), env.store.exists(*session.session_key())};
  };
  CHECK(age_of(1e300) == std::pair{max, true});
  CHECK(age_of(-1e300).first == -max);
  CHECK(age_of(std::numeric_limits<std::uint64_t>::max()) == std::pair{max, true});
  CHECK(age_of("9999-12-31T23:59:59").first == max);
  CHECK(age_of("9999-12-31T23:59:59").second);
  CHECK(age_of("0001-01-01T00:00:00").first == -max);
}

TEST_CASE("iso8601::parse of a date TimePoint cannot hold saturates at its limits") {
  CHECK(sessions::iso8601::parse("9999-12-31T23:59:59") == sessions::TimePoint::max());
  CHECK(sessions::iso8601::parse("0001-01-01T00:00:00+00:00") == sessions::TimePoint::min());
  CHECK(sessions::iso8601::parse("2262-04-11T23:47:17") == sessions::TimePoint::max());  // max() is 23:47:16.854775807
  CHECK(sessions::iso8601::parse("2262-04-11T23:47:16") < sessions::TimePoint::max());
}

TEST_CASE("set_expiry(a huge duration) stores a far date, and the middleware writes a capped Max-Age") {
  ExpiryEnv env;
  using SessionT = sessions::Session<sessions::MemoryStore>;
  sessions::Middleware<SessionT> middleware{env.store, env.settings};
  SessionT session = middleware.open("");
  session.set("user", 42);
  session.set_expiry(std::chrono::hours::max());
  CHECK(session.get_expiry_age() == kHundredYears);
  std::string set_cookie;
  for (const auto& header : middleware.finish(session, 200)) {
    if (header.name == "Set-Cookie") set_cookie = header.value;
  }
  CHECK(set_cookie.find("Max-Age=34560000") != std::string::npos);  // the browsers' 400-day cap
  CHECK(env.store.exists(*session.session_key()));
}

TEST_CASE("Absolute: a hostile _session_created_at (1e300, 2^64-1) never overflows") {
  ExpiryEnv env;
  const sessions::Absolute policy{std::chrono::hours{8}};
  // A stamp past TimePoint's range is its limit: created "in 2262" (a long age) or "in 1677".
  const auto age_for = [&](const sessions::Data& stamp) {
    sessions::Data data = sessions::Data::object();
    data["_session_created_at"] = stamp;
    return policy.expiry_age(data, env.settings, env.clock.now()).count();
  };
  CHECK(age_for(1e300) == kHundredYears);
  CHECK(age_for(std::numeric_limits<std::uint64_t>::max()) == kHundredYears);
  CHECK(age_for(-1e300) == -kHundredYears);
  CHECK(age_for(1'700'000'000 - 3600) == 7 * 3600);  // an ordinary stamp: 7 of 8 hours left
}

TEST_CASE("a signed cookie whose expiry is huge decodes alive (issue time + age saturates)") {
  ExpiryEnv env;
  sessions::SignedCookieStore store{"secret-key-for-the-expiry-test-0123456789"};
  sessions::Session<sessions::SignedCookieStore> session{store, env.settings};
  session.set("user", 42);
  session.set("_session_expiry", 1e300);
  session.save();
  sessions::Session<sessions::SignedCookieStore> again{store, *session.session_key(), env.settings};
  CHECK(again.get("user", 0) == 42);
  CHECK(again.get_expiry_age() == kHundredYears);
}

// --- Finding 5: with two session cookies the first won (Django keeps the last) -----------------

TEST_CASE("duplicate session cookies: the last one names the session, as in Django's parse_cookie") {
  sessions::MemoryStore store;
  const sessions::Settings settings;
  using SessionT = sessions::Session<sessions::MemoryStore>;
  const sessions::Middleware<SessionT> middleware{store, settings};
  SessionT login = middleware.open("");
  login.set("user", 42);
  (void)middleware.finish(login, 200);
  const std::string key = *login.session_key();

  // A cookie planted for a longer Path (or a rotated-away key) arrives first.
  SessionT next = middleware.open("sessionid=plantedplantedplantedplanted1234; sessionid=" + key);
  CHECK(next.get("user", 0) == 42);
  CHECK(next.session_key() == key);
  for (const auto& header : middleware.finish(next, 200)) {
    CHECK(header.value.find("sessionid=\"\"") == std::string::npos);  // the real cookie is not deleted
  }
}

// --- Finding 3: the verified-cookie cache was bounded by entries, not bytes ---------------------

namespace {
constexpr std::string_view kCookieSecret = "secret-key-for-the-cache-tests-0123456789abcdef";

// A signed cookie (as the store writes them: compressed) whose JSON is `{"a":[[],[],...],"n":n}`:
// a few hundred bytes of cookie for `arrays` empty arrays.
std::string inflating_cookie(std::size_t arrays, int n = 0) {
  std::string json = "{\"a\":[";
  for (std::size_t i = 0; i < arrays; ++i) json += i == 0 ? "[]" : ",[]";
  json += "],\"n\":" + std::to_string(n) + "}";
  const sessions::signing::TimestampSigner signer(kCookieSecret, sessions::kSignedCookiesSalt);
  return sessions::signing::dumps_json_text(json, signer, true,
                                            sessions::TimePoint{std::chrono::seconds{1'700'000'000}});
}
}  // namespace

TEST_CASE("a short signed cookie that parses to ~1 MB is refused, not decoded and cached") {
  const sessions::SignedCookieStore store{std::string(kCookieSecret)};
  sessions::Settings settings;
  const sessions::TimePoint now{std::chrono::seconds{1'700'000'100}};
  const std::string cookie = inflating_cookie(21'000);  // 63 KB of JSON
  CHECK(cookie.size() < 400);
  CHECK_THROWS_AS(store.decode(cookie, settings, now), sessions::LimitExceeded);
  CHECK_FALSE(store.verified_cache().find(cookie).has_value());
}

TEST_CASE("a cookie whose data is over the cache's entry size decodes every time, never kept") {
  const sessions::SignedCookieStore store{std::string(kCookieSecret)};
  sessions::Settings settings;
  const sessions::TimePoint now{std::chrono::seconds{1'700'000'100}};
  const std::string cookie = inflating_cookie(3'000);  // ~170 KB parsed: decodable, not cacheable
  CHECK(store.decode(cookie, settings, now).value().at("a").size() == 3'000);
  CHECK_FALSE(store.verified_cache().find(cookie).has_value());
}

TEST_CASE("the cache of verified cookies holds at most its byte budget, whatever the cookies") {
  const sessions::SignedCookieStore store{std::string(kCookieSecret)};
  sessions::Settings settings;
  const sessions::TimePoint now{std::chrono::seconds{1'700'000'100}};
  std::vector<std::string> cookies;
  for (int i = 0; i < 1024; ++i) cookies.push_back(inflating_cookie(800, i));  // ~45 KB parsed each
  for (const std::string& cookie : cookies) (void)store.decode(cookie, settings, now);
  std::size_t kept = 0;
  for (const std::string& cookie : cookies) kept += store.verified_cache().find(cookie).has_value() ? 1U : 0U;
  CHECK(kept > 0);
  CHECK(kept * 45'000 <= std::size_t{8} << 20);  // the 8 MiB default (was ~650 entries, ~29 MB)
}

// --- Informational: the encrypted cookie's lenient base64 made many strings one cookie ---------

TEST_CASE("an encrypted cookie is read only in the canonical base64 it was written in") {
  const sessions::EncryptedCookieStore store{std::string(kCookieSecret)};
  sessions::Settings settings;
  const sessions::TimePoint now{std::chrono::seconds{1'700'000'000}};
  const std::string cookie = store.encode(sessions::Data{{"user", 42}}, settings, now);
  CHECK(store.decode(cookie, settings, now).value()["user"] == 42);
  std::string dotted = cookie;
  dotted.insert(dotted.size() - 5, ".");  // a '.' inside the base64: skipped by the lenient decoder
  CHECK_THROWS_AS(store.decode(dotted, settings, now), sessions::BadSignature);
}
