// What only the cookie stores do: Django's signed_cookies format, the encrypted cookie's
// tamper-proofing and key rotation, and the size limit at save.

#include <cstdint>
#include <string>

#include "support/catch.hpp"
#include "support/fixtures.hpp"

using namespace std::chrono_literals;
using sessions::Data;

namespace {
template <class Store>
std::string saved_cookie(Store& store, const sessions::Settings& settings, const Data& data) {
  sessions::Session<Store> session{store, settings};
  session.update(data);
  session.save();
  return *session.session_key();
}
}  // namespace

TEST_CASE("SignedCookieStore writes Django's signed_cookies value", "[cookie-store]") {
  test_support::StoreFixture<sessions::SignedCookieStore> env;
  const std::string cookie = saved_cookie(env.store, env.settings, Data{{"num_visits", 1}});
  // Django: signing.dumps({"num_visits": 1}, salt=..., compress=True) at time 1700000000.
  const Data loaded =
      sessions::signing::loads(cookie, "test secret key, never used in production", sessions::kSignedCookiesSalt);
  CHECK(loaded == Data{{"num_visits", 1}});
  CHECK(cookie.find(":1r31eq:") != std::string::npos);    // base62 of the signing time
  CHECK(cookie.rfind("eyJudW1fdmlzaXRzIjoxfQ", 0) == 0);  // base64url of {"num_visits":1}
}

TEST_CASE("SignedCookieStore: tampered, foreign and expired cookies give an empty session", "[cookie-store]") {
  test_support::StoreFixture<sessions::SignedCookieStore> env;
  const std::string cookie = saved_cookie(env.store, env.settings, Data{{"user", 42}});
  std::string tampered = cookie;
  tampered[2] = tampered[2] == 'A' ? 'B' : 'A';
  sessions::Session<sessions::SignedCookieStore> bad{env.store, tampered, env.settings};
  CHECK(bad.data().empty());
  CHECK(bad.modified());  // Django re-issues a cookie holding {}

  sessions::SignedCookieStore other_key{"another secret"};
  sessions::Session<sessions::SignedCookieStore> foreign{other_key, cookie, env.settings};
  CHECK(foreign.data().empty());

  env.clock.advance(env.settings.cookie_age);
  CHECK(sessions::Session<sessions::SignedCookieStore>(env.store, cookie, env.settings).get("user", 0) == 42);
  env.clock.advance(1s);  // the signature's max_age is the cookie age: equal is still valid
  CHECK(sessions::Session<sessions::SignedCookieStore>(env.store, cookie, env.settings).data().empty());
}

TEST_CASE("SignedCookieStore: fallback keys read old cookies, the new key writes", "[cookie-store]") {
  test_support::FixtureBase base;
  sessions::SignedCookieStore old_store{"old secret"};
  const std::string old_cookie = saved_cookie(old_store, base.settings, Data{{"a", 1}});
  sessions::SignedCookieStore rotated{"new secret", {"old secret"}};
  sessions::Session<sessions::SignedCookieStore> session{rotated, old_cookie, base.settings};
  CHECK(session.get("a", 0) == 1);
  session.save();
  CHECK(sessions::signing::loads(*session.session_key(), "new secret", sessions::kSignedCookiesSalt) == Data{{"a", 1}});
}

TEST_CASE("cookie stores: a session too large for a cookie is CookieTooLarge at save", "[cookie-store]") {
  test_support::StoreFixture<sessions::EncryptedCookieStore> enc;
  test_support::StoreFixture<sessions::SignedCookieStore> sig;
  std::string noise;
  std::uint32_t state = 12345;
  for (int i = 0; i < 6000; ++i) {  // a linear congruential sequence: does not compress
    state = state * 1664525u + 1013904223u;
    noise += static_cast<char>('a' + (state >> 24) % 26);
  }
  sessions::Session<sessions::EncryptedCookieStore> a{enc.store, enc.settings};
  a.set("blob", noise);
  CHECK_THROWS_AS(a.save(), sessions::CookieTooLarge);
  sessions::Session<sessions::SignedCookieStore> b{sig.store, sig.settings};
  b.set("blob", noise);
  CHECK_THROWS_AS(b.save(), sessions::CookieTooLarge);
}

TEST_CASE("EncryptedCookieStore: the client cannot read the data", "[cookie-store]") {
  test_support::StoreFixture<sessions::EncryptedCookieStore> env;
  const std::string cookie = saved_cookie(env.store, env.settings, Data{{"secret_plan", "attack at dawn"}});
  CHECK(cookie.rfind("e1.", 0) == 0);
  CHECK(cookie.find("attack") == std::string::npos);
  const std::string decoded = sessions::signing::b64_decode(cookie.substr(10));
  CHECK(decoded.find("attack") == std::string::npos);
  CHECK(decoded.find("secret_plan") == std::string::npos);
}

TEST_CASE("EncryptedCookieStore: tampering with any character fails", "[cookie-store]") {
  test_support::StoreFixture<sessions::EncryptedCookieStore> env;
  const std::string cookie = saved_cookie(env.store, env.settings, Data{{"user", 42}});
  REQUIRE(env.store.decode(cookie, env.settings, env.clock.now()).data == Data{{"user", 42}});
  for (std::size_t i = 0; i < cookie.size(); ++i) {
    std::string tampered = cookie;
    tampered[i] = tampered[i] == 'A' ? 'B' : 'A';
    CHECK_THROWS_AS(env.store.decode(tampered, env.settings, env.clock.now()), sessions::Error);
    sessions::Session<sessions::EncryptedCookieStore> s{env.store, tampered, env.settings};
    CHECK(s.data().empty());
  }
  CHECK_THROWS_AS(env.store.decode(cookie.substr(0, cookie.size() - 1), env.settings, env.clock.now()),
                  sessions::BadSignature);
  // Bound to the cookie's name: the same value under another name does not open.
  sessions::Settings renamed = env.settings;
  renamed.cookie_name = "othercookie";
  CHECK_THROWS_AS(env.store.decode(cookie, renamed, env.clock.now()), sessions::BadSignature);
}

TEST_CASE("EncryptedCookieStore: two writes of the same data differ", "[cookie-store]") {
  test_support::StoreFixture<sessions::EncryptedCookieStore> env;
  const Data data{{"user", 42}};
  CHECK(saved_cookie(env.store, env.settings, data) != saved_cookie(env.store, env.settings, data));
}

TEST_CASE("EncryptedCookieStore: rotation reads old cookies and writes with the new key", "[cookie-store]") {
  test_support::FixtureBase base;
  sessions::EncryptedCookieStore old_store{"old secret"};
  const std::string old_cookie = saved_cookie(old_store, base.settings, Data{{"a", 1}});
  sessions::EncryptedCookieStore rotated{"new secret", {"old secret"}};
  sessions::Session<sessions::EncryptedCookieStore> session{rotated, old_cookie, base.settings};
  CHECK(session.get("a", 0) == 1);
  session.save();
  const std::string new_cookie = *session.session_key();
  CHECK(new_cookie.substr(0, 9) != old_cookie.substr(0, 9));  // another key id
  sessions::EncryptedCookieStore new_only{"new secret"};
  CHECK(new_only.decode(new_cookie, base.settings, base.clock.now()).data == Data{{"a", 1}});
  CHECK_THROWS_AS(new_only.decode(old_cookie, base.settings, base.clock.now()), sessions::BadSignature);
}

TEST_CASE("EncryptedCookieStore: expiry by cookie age and by set_expiry", "[cookie-store]") {
  test_support::StoreFixture<sessions::EncryptedCookieStore> env;
  const std::string cookie = saved_cookie(env.store, env.settings, Data{{"a", 1}});
  env.clock.advance(env.settings.cookie_age + 1s);
  CHECK_THROWS_AS(env.store.decode(cookie, env.settings, env.clock.now()), sessions::SignatureExpired);

  sessions::Session<sessions::EncryptedCookieStore> s{env.store, env.settings};
  s.set("a", 1);
  s.set_expiry(60);
  s.save();
  env.clock.advance(60s);
  CHECK(sessions::Session<sessions::EncryptedCookieStore>(env.store, *s.session_key(), env.settings).get("a", 0) == 1);
  env.clock.advance(1s);
  CHECK(sessions::Session<sessions::EncryptedCookieStore>(env.store, *s.session_key(), env.settings).data().empty());
}

TEST_CASE("cookie stores through the middleware: the cookie is the session", "[cookie-store]") {
  test_support::StoreFixture<sessions::EncryptedCookieStore> env;
  sessions::Middleware<sessions::Session<sessions::EncryptedCookieStore>> middleware{env.store, env.settings};
  auto first = middleware.open("");
  first.set("n", 1);
  auto headers = middleware.finish(first, 200);
  REQUIRE(headers.size() == 2);
  const std::string set_cookie = headers[1].value;
  const std::string value = set_cookie.substr(10, set_cookie.find(';') - 10);
  auto second = middleware.open("sessionid=" + value);
  CHECK(second.get("n", 0) == 1);
  CHECK(middleware.finish(second, 200).size() == 1);  // read only: Vary, no new cookie
  auto third = middleware.open("sessionid=" + value);
  third.flush();
  headers = middleware.finish(third, 200);
  CHECK(headers[0].value.find("Max-Age=0") != std::string::npos);
}
