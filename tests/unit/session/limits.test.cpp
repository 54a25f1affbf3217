// Limits against abuse (input sized to cost memory or CPU) that are not per store: cookie stores,
// the middleware's Cookie header bounds, and what the request path does with oversized input.

#include <string>

#include "support/catch.hpp"
#include "support/fixtures.hpp"

using sessions::Data;

TEST_CASE("limits: a cookie session over max_keys is not encoded, and a cookie holding more loads empty", "[limits]") {
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
  CHECK_FALSE(env.store.load(*s.session_key())->payload->find("more"));
  sessions::Session<sessions::MemoryValueStore> many(env.store, env.settings);
  for (int i = 0; i < 10'001; ++i) many.set("k" + std::to_string(i), i);
  CHECK_THROWS_AS(many.save(), sessions::LimitExceeded);
}

TEST_CASE("detail::bounded_json_size matches dump() for everything but floats and stops at the limit", "[limits]") {
  const Data data =
      Data::parse(R"({"a":[1,-20,true,false,null,"x\"y\n\u0001"],"b":{"c":18446744073709551615},"d":""})");
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

namespace {

// One top-level key holding an object of `n` keys: what a client can POST as a session value.
Data wide_session(int n) {
  Data inner = Data::object();
  for (int i = 0; i < n; ++i) inner["k" + std::to_string(i)] = i;
  return Data{{"a", std::move(inner)}};
}

}  // namespace

TEST_CASE("limits: a stored session with one nested object of 60000 keys loads empty, logged (max_nodes)", "[limits]") {
  // Settings::max_keys counts top-level keys only: this record passed it, and decoding it made
  // every request with its cookie cost seconds (a linear search per key inserted).
  test_support::StoreFixture<sessions::MemoryStore> env;
  using SessionT = sessions::Session<sessions::MemoryStore>;
  const Data wide = wide_session(60'000);
  std::string key;
  {
    env.settings.max_nodes = 0;  // written by a build without the limit
    SessionT s(env.store, env.settings);
    s.update(wide);
    s.save();
    key = *s.session_key();
  }
  env.settings.max_nodes = sessions::Settings{}.max_nodes;
  CHECK(env.settings.max_nodes == 100'000);
  SECTION("the default max_nodes allows it") {
    SessionT s(env.store, key, env.settings);
    CHECK(s.data() == wide);
  }
  SECTION("a lower max_nodes refuses it: empty, logged") {
    env.settings.max_nodes = 50'000;
    SessionT s(env.store, key, env.settings);
    CHECK(s.data().empty());
    CHECK(env.log.contains("max_nodes"));
  }
  SECTION("with the limit off the decode is complete and in order") {
    env.settings.max_nodes = 0;
    SessionT s(env.store, key, env.settings);
    const Data& a = s.data().at("a");
    REQUIRE(a.size() == 60'000);
    CHECK(a.begin().key() == "k0");
    CHECK((--a.end()).key() == "k59999");
    CHECK(a.at("k31337") == 31337);
    CHECK(s.data() == wide);
    CHECK_FALSE(env.log.contains("max_nodes"));
  }
}

TEST_CASE("limits: save() over max_nodes throws LimitExceeded and writes nothing; arrays count too", "[limits]") {
  test_support::StoreFixture<sessions::MemoryStore> env;
  test_support::StoreFixture<sessions::MemoryValueStore> values;
  env.settings.max_nodes = 10;
  values.settings.max_nodes = 10;
  Data nested_arrays = Data::array();
  for (int i = 0; i < 10; ++i) nested_arrays.push_back(Data::array());
  sessions::Session<sessions::MemoryStore> s(env.store, env.settings);
  sessions::Session<sessions::MemoryValueStore> v(values.store, values.settings);
  s.set("a", nested_arrays);  // 1 + 10 values
  v.set("a", nested_arrays);
  CHECK_THROWS_AS(s.save(), sessions::LimitExceeded);
  CHECK_THROWS_AS(v.save(), sessions::LimitExceeded);
  CHECK(env.store.size() == 0);
  CHECK(values.store.size() == 0);
  s.set("a", Data::array({Data::array(), Data::array()}));        // 3 values
  for (int i = 0; i < 7; ++i) s.set("k" + std::to_string(i), i);  // 10 values: at the limit
  CHECK_NOTHROW(s.save());
}

TEST_CASE("limits: a cookie session whose nested values pass max_nodes loads empty, logged", "[limits]") {
  test_support::StoreFixture<sessions::SignedCookieStore> env;
  using SessionT = sessions::Session<sessions::SignedCookieStore>;
  SessionT s(env.store, env.settings);
  s.set("deep", Data{{"x", Data::array({1, 2, 3, Data{{"y", Data::array({4, 5})}}})}});  // 9 values
  s.save();
  const std::string cookie = *s.session_key();
  env.settings.max_nodes = 9;
  CHECK(SessionT(env.store, cookie, env.settings).get("deep").at("x").size() == 4);
  CHECK_FALSE(env.log.contains("max_nodes"));
  env.settings.max_nodes = 8;
  CHECK(SessionT(env.store, cookie, env.settings).data().empty());
  CHECK(env.log.contains("max_nodes"));
}

TEST_CASE("detail::bounded_node_count counts every member and element below the top and stops at the limit",
          "[limits]") {
  using sessions::detail::bounded_node_count;
  const Data data = Data::parse(R"({"a":[1,[],[2,{"b":null}]],"c":{},"d":"x"})");
  CHECK(bounded_node_count(data, 100) == 9);  // a 1 [] [..] 2 {..} b c d
  CHECK(bounded_node_count(data, 5) > 5);
  CHECK(bounded_node_count(Data::object(), 0) == 0);
  CHECK(bounded_node_count(Data(42), 0) == 0);
  CHECK_FALSE(sessions::detail::node_limit_violation(data, 0));
  CHECK_FALSE(sessions::detail::node_limit_violation(data, 9));
  CHECK(sessions::detail::node_limit_violation(data, 8));
  Data deep = Data::array();
  for (int i = 0; i < 600; ++i) deep = Data::array({std::move(deep)});
  CHECK(bounded_node_count(deep, 1'000'000) > 1'000'000);  // past any decoder's depth: too large
}
