// Commands per operation, counted by the servers (`stats`: cmd_get, cmd_set, cmd_touch, deletes,
// summed over both servers, before and after): one per load, one per save, none for a session that
// was only read. Each request goes through the middleware, as in an application.

#include <map>
#include <string>

#include "memcached_support.hpp"
#include "support/catch.hpp"

using namespace std::chrono_literals;
using sessions::Data;
using Counts = std::map<std::string, long long>;

namespace {
struct Counter {
  Counts before = snapshot();
  static Counts snapshot() {
    const auto s = memcached_test::stats();
    return {{"get", s.at("cmd_get")},
            {"set", s.at("cmd_set")},
            {"touch", s.at("cmd_touch")},
            {"delete", s.at("delete_hits") + s.at("delete_misses")}};
  }
  Counts delta() {
    const Counts now = snapshot();
    Counts out;
    for (const auto& [name, value] : now) {
      if (value != before.at(name)) out[name] = value - before.at(name);
    }
    before = now;
    return out;
  }
};

struct RoundTripEnv : test_support::StoreFixture<sessions::MemcachedStore> {
  using SessionT = sessions::Session<sessions::MemcachedStore>;
  sessions::Middleware<SessionT> middleware{store, settings};

  template <class Handler>
  std::string request(const std::string& cookie, Handler handler) {
    SessionT session = middleware.open(cookie.empty() ? "" : "sessionid=" + cookie);
    handler(session);
    (void)middleware.finish(session, 200);
    return session.session_key().value_or("");
  }
};
}  // namespace

TEST_CASE("MemcachedStore round trips: one command per load, one per save, none for a read-only session",
          "[memcached][round_trips]") {
  RoundTripEnv env;
  Counter counter;

  const std::string key = env.request("", [](auto& s) { s.set("cart", Data{1, 2}); });
  REQUIRE_FALSE(key.empty());
  CHECK(counter.delta() == Counts{{"set", 1}});  // ADD

  env.request(key, [](auto& s) { CHECK(s.get("cart") == Data{1, 2}); });
  CHECK(counter.delta() == Counts{{"get", 1}});

  env.request(key, [](auto& s) {
    auto view = s.read_only();
    CHECK(view.contains("cart"));
  });
  CHECK(counter.delta() == Counts{{"get", 1}});

  env.request(key, [](auto& s) { s.set("cart", Data{1, 2, 3}); });
  CHECK(counter.delta() == Counts{{"get", 1}, {"set", 1}});  // load + REPLACE

  env.request(key, [](auto&) {});
  CHECK(counter.delta().empty());

  SECTION("save_every_request with unchanged data: load + touch (GETS + CAS)") {
    env.settings.save_every_request = true;
    env.request(key, [](auto& s) { (void)s.get("cart"); });
    CHECK(counter.delta() == Counts{{"get", 2}, {"set", 1}});
  }
  SECTION("logout: one DELETE") {
    env.request(key, [](auto& s) { s.flush(); });
    CHECK(counter.delta() == Counts{{"delete", 1}});
  }
}
