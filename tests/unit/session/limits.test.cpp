// Limits against abuse (issue 8, item 5) that are not per store: cookie stores, the middleware's
// Cookie header bounds, and what the request path does with oversized input.

#include <string>

#include "support/catch.hpp"
#include "support/fixtures.hpp"

using sessions::Data;

TEST_CASE("limits: a cookie session over max_keys is not encoded, and a cookie holding more loads empty",
          "[limits]") {
  test_support::StoreFixture<sessions::SignedCookieStore> env;
  using SessionT = sessions::Session<sessions::SignedCookieStore>;
  env.settings.max_keys = 3;
  SessionT s(env.store, env.settings);
  for (int i = 0; i < 4; ++i) s.set("k" + std::to_string(i), i);
  CHECK_THROWS_AS(s.save(), sessions::LimitExceeded);
  s.erase("k3");
  s.save();
  const std::string cookie = *s.session_key();
  CHECK(SessionT(env.store, cookie, env.settings).get("k2") == 2);
  env.settings.max_keys = 2;
  SessionT loaded(env.store, cookie, env.settings);
  CHECK(loaded.data().empty());
  CHECK(env.log.contains("max_keys"));
}

TEST_CASE("limits: 0 disables max_keys and max_payload_bytes", "[limits]") {
  test_support::StoreFixture<sessions::MemoryStore> env;
  env.settings.max_keys = 0;
  env.settings.max_payload_bytes = 0;
  sessions::Session<sessions::MemoryStore> s(env.store, env.settings);
  for (int i = 0; i < 20'000; ++i) s.set("k" + std::to_string(i), i);
  s.set("big", std::string(2u << 20, 'x'));
  CHECK_NOTHROW(s.save());
}

TEST_CASE("limits: the defaults refuse a session over 1 MiB or 10000 keys", "[limits]") {
  test_support::StoreFixture<sessions::MemoryValueStore> env;
  CHECK(env.settings.max_payload_bytes == std::size_t{1} << 20);
  CHECK(env.settings.max_keys == 10'000);
  sessions::Session<sessions::MemoryValueStore> s(env.store, env.settings);
  s.set("big", std::string((1u << 20) - 20, 'x'));
  CHECK_NOTHROW(s.save());  // just below: fine
  s.set("more", std::string(64, 'y'));
  CHECK_THROWS_AS(s.save(), sessions::LimitExceeded);
  CHECK_FALSE(env.store.load(*s.session_key())->payload->contains("more"));
  sessions::Session<sessions::MemoryValueStore> many(env.store, env.settings);
  for (int i = 0; i < 10'001; ++i) many.set("k" + std::to_string(i), i);
  CHECK_THROWS_AS(many.save(), sessions::LimitExceeded);
}

TEST_CASE("detail::bounded_json_size matches dump() for everything but floats and stops at the limit", "[limits]") {
  const Data data = Data::parse(R"({"a":[1,-20,true,false,null,"x\"y\n\u0001"],"b":{"c":18446744073709551615},"d":""})");
  CHECK(sessions::detail::bounded_json_size(data, 1'000'000) == data.dump().size());
  CHECK(sessions::detail::bounded_json_size(data, 10) > 10);
  CHECK(sessions::detail::bounded_json_size(Data::object(), 10) == 2);
  CHECK(sessions::detail::bounded_json_size(Data(-9223372036854775807LL - 1), 100) ==
        Data(-9223372036854775807LL - 1).dump().size());
  CHECK(sessions::detail::bounded_json_size(Data(1.5), 100) >= Data(1.5).dump().size());
}

TEST_CASE("detail::bounded_json_size counts escapes at every position of a string, eight bytes at a time or not",
          "[limits]") {
  // The count reads strings eight bytes at a time and falls back to a byte per step only where a
  // byte needs an escape: a byte of each kind at each position of strings 1..20 bytes long.
  std::size_t wrong = 0;
  for (std::size_t length = 1; length <= 20; ++length) {
    for (std::size_t at = 0; at < length; ++at) {
      for (const char c : {'"', '\\', '\n', '\x01', '\x1f', ' ', 'z', '\x7f'}) {
        std::string text(length, 'a');
        text[at] = c;
        const Data value{{"k", text}};
        if (sessions::detail::bounded_json_size(value, 1'000'000) != value.dump().size()) ++wrong;
      }
    }
  }
  CHECK(wrong == 0);
  const Data utf8{{"k", "\u00e9t\u00e9 \u00fcber caf\u00e9s \u2603"}};
  CHECK(sessions::detail::bounded_json_size(utf8, 1'000'000) == utf8.dump().size());
}

TEST_CASE("limits: the middleware reads at most Settings::max_cookie_header_bytes and max_cookie_pairs",
          "[limits][middleware]") {
  test_support::StoreFixture<sessions::MemoryStore> env;
  using SessionT = sessions::Session<sessions::MemoryStore>;
  SessionT s(env.store, env.settings);
  s.set("x", 1);
  s.save();
  const std::string key = *s.session_key();
  const std::string filler = "a=" + std::string(100, 'b') + "; ";
  std::string header;
  for (int i = 0; i < 5; ++i) header += filler;
  header += "sessionid=" + key;
  SECTION("defaults: found") {
    sessions::Middleware<SessionT> middleware(env.store, env.settings);
    CHECK(middleware.open(header).session_key() == key);
  }
  SECTION("the cookie lies past max_cookie_header_bytes: not seen") {
    env.settings.max_cookie_header_bytes = 300;
    sessions::Middleware<SessionT> middleware(env.store, env.settings);
    CHECK_FALSE(middleware.open(header).session_key().has_value());
  }
  SECTION("the cookie lies past max_cookie_pairs: not seen") {
    env.settings.max_cookie_pairs = 5;
    sessions::Middleware<SessionT> middleware(env.store, env.settings);
    CHECK_FALSE(middleware.open(header).session_key().has_value());
  }
  SECTION("a huge header costs no allocation beyond the bound: the default 8 KiB") {
    std::string huge(1u << 20, 'z');
    huge += "; sessionid=" + key;
    sessions::Middleware<SessionT> middleware(env.store, env.settings);
    CHECK_FALSE(middleware.open(huge).session_key().has_value());
  }
}

TEST_CASE("limits: a save over a limit through the middleware propagates LimitExceeded, nothing written",
          "[limits][middleware]") {
  test_support::StoreFixture<sessions::MemoryStore> env;
  env.settings.max_keys = 2;
  using SessionT = sessions::Session<sessions::MemoryStore>;
  sessions::Middleware<SessionT> middleware(env.store, env.settings);
  auto s = middleware.open("");
  s.set("a", 1);
  s.set("b", 2);
  s.set("c", 3);
  CHECK_THROWS_AS(middleware.finish(s, 200), sessions::LimitExceeded);
  CHECK(env.store.size() == 0);
}
