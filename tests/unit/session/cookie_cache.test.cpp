// SignedCookieStore's cache of recently verified cookie values: what it may skip (HMAC, inflate,
// parse) and what it must still honour (the age limit, the keys, each session's own data).

#include <memory>
#include <string>

#include "support/catch.hpp"
#include "support/fixtures.hpp"

using namespace std::chrono_literals;
using sessions::Data;
using SignedSession = sessions::Session<sessions::SignedCookieStore>;

namespace {
std::string signed_cookie(sessions::SignedCookieStore& store, const sessions::Settings& settings, const Data& data) {
  SignedSession session{store, settings};
  session.update(data);
  session.save();
  return *session.session_key();
}
}  // namespace

TEST_CASE("a cookie verified once is served from the cache the next time", "[cookie-cache]") {
  test_support::StoreFixture<sessions::SignedCookieStore> env;
  const std::string cookie = signed_cookie(env.store, env.settings, Data{{"user", 42}});
  CHECK_FALSE(env.store.verified_cache().find(cookie));  // signing does not fill the cache
  CHECK(SignedSession(env.store, cookie, env.settings).get("user", 0) == 42);
  const auto entry = env.store.verified_cache().find(cookie);
  REQUIRE(entry);
  CHECK(*entry->data == Data{{"user", 42}});

  // Proof that the next request does not verify or parse again: what the cache holds for this
  // exact value is what the session sees.
  env.store.verified_cache().insert(cookie, {std::make_shared<const Data>(Data{{"user", 7}}), entry->timestamp});
  CHECK(SignedSession(env.store, cookie, env.settings).get("user", 0) == 7);
}

TEST_CASE("the cache never admits a tampered or foreign cookie", "[cookie-cache]") {
  test_support::StoreFixture<sessions::SignedCookieStore> env;
  const std::string cookie = signed_cookie(env.store, env.settings, Data{{"user", 42}});
  CHECK(SignedSession(env.store, cookie, env.settings).get("user", 0) == 42);
  std::string tampered = cookie;
  tampered[cookie.size() - 1] = tampered.back() == 'A' ? 'B' : 'A';
  CHECK(SignedSession(env.store, tampered, env.settings).data().empty());
  CHECK_FALSE(env.store.verified_cache().find(tampered));

  // Key rotation: a store whose keys do not include the signing key has its own, empty cache and
  // rejects the cookie; one with the old key as a fallback reads it.
  sessions::SignedCookieStore rotated_out{"a new secret"};
  CHECK(SignedSession(rotated_out, cookie, env.settings).data().empty());
  sessions::SignedCookieStore rotated{"a new secret", {"test secret key, never used in production"}};
  CHECK(SignedSession(rotated, cookie, env.settings).get("user", 0) == 42);
  CHECK(SignedSession(rotated, cookie, env.settings).get("user", 0) == 42);  // cached under its keys
}

TEST_CASE("a cached cookie still expires with SESSION_COOKIE_AGE", "[cookie-cache]") {
  test_support::StoreFixture<sessions::SignedCookieStore> env;
  const std::string cookie = signed_cookie(env.store, env.settings, Data{{"user", 42}});
  CHECK(SignedSession(env.store, cookie, env.settings).get("user", 0) == 42);
  REQUIRE(env.store.verified_cache().find(cookie));
  env.clock.advance(env.settings.cookie_age);
  CHECK(SignedSession(env.store, cookie, env.settings).get("user", 0) == 42);  // equal age: valid
  env.clock.advance(1s);
  CHECK(SignedSession(env.store, cookie, env.settings).data().empty());
  CHECK(env.log.contains("Signature age"));
}

TEST_CASE("sessions from one cached cookie do not share changes", "[cookie-cache]") {
  test_support::StoreFixture<sessions::SignedCookieStore> env;
  const std::string cookie = signed_cookie(env.store, env.settings, Data{{"cart", {1, 2}}});
  SignedSession first{env.store, cookie, env.settings};
  first.at("cart").push_back(3);
  first.set("user", 1);
  SignedSession second{env.store, cookie, env.settings};
  CHECK(second.data() == Data{{"cart", {1, 2}}});
  CHECK(*env.store.verified_cache().find(cookie)->data == Data{{"cart", {1, 2}}});
}

TEST_CASE("the cache can be turned off, and a read-only request never re-signs", "[cookie-cache]") {
  test_support::FixtureBase base;
  sessions::SignedCookieStore::Options options;
  options.secret_key = "k";
  options.verified_cache_entries = 0;
  sessions::SignedCookieStore uncached{options};
  CHECK_FALSE(uncached.verified_cache().enabled());
  const std::string cookie = signed_cookie(uncached, base.settings, Data{{"user", 42}});
  CHECK(SignedSession(uncached, cookie, base.settings).get("user", 0) == 42);
  CHECK_FALSE(uncached.verified_cache().find(cookie));

  sessions::SignedCookieStore store{"k"};
  const sessions::Middleware<SignedSession> middleware{store, base.settings};
  for (int request = 0; request < 2; ++request) {  // cold, then from the cache
    auto session = middleware.open("a=b; sessionid=" + cookie);
    CHECK(session.get("user", 0) == 42);
    const sessions::HeaderFields headers = middleware.finish(session, 200);
    for (const auto& h : headers) CHECK(h.name != "Set-Cookie");
  }
}

TEST_CASE("a cached cookie's data is shared with the session, not copied, until it changes", "[cookie-cache][cow]") {
  test_support::StoreFixture<sessions::SignedCookieStore> env;
  const std::string cookie = signed_cookie(env.store, env.settings, Data{{"user", 42}});
  // decode() always hands out data of the caller's own; decode_shared() the cached pointer.
  const sessions::ClientRecord first = env.store.decode(cookie, env.settings, env.clock.now());
  CHECK(first.data == Data{{"user", 42}});
  CHECK_FALSE(first.shared);
  const auto entry = env.store.verified_cache().find(cookie);
  REQUIRE(entry);
  const sessions::ClientRecord hit = env.store.decode(cookie, env.settings, env.clock.now());
  CHECK(hit.data == Data{{"user", 42}});
  CHECK_FALSE(hit.shared);
  const sessions::ClientRecord shared = env.store.decode_shared(cookie, env.settings, env.clock.now());
  CHECK(shared.shared == entry->data);
  CHECK(shared.value() == Data{{"user", 42}});

  SignedSession session{env.store, cookie, env.settings};
  CHECK(&session.data() == entry->data.get());  // a read: no copy
  session.set("user", 43);
  CHECK(&session.data() != entry->data.get());  // the first change copies...
  CHECK(*entry->data == Data{{"user", 42}});    // ...and never touches the cached value
  CHECK(SignedSession(env.store, cookie, env.settings).get("user", 0) == 42);
}
