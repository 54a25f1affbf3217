// Commands per operation, counted by the server (INFO commandstats, before and after): one per
// load, one per save, none for a session that was only read. Each request below goes through the
// middleware, as in an application.

#include <map>
#include <string>

#include "redis_support.hpp"
#include "support/catch.hpp"

using namespace std::chrono_literals;
using Commands = std::map<std::string, long long>;
using sessions::Data;

namespace {
struct RoundTripEnv : test_support::StoreFixture<sessions::RedisStore> {
  using SessionT = sessions::Session<sessions::RedisStore>;
  sessions::Middleware<SessionT> middleware{store, settings};

  // One request: the handler runs on the session, then the response is finished.
  template <class Handler>
  std::string request(const std::string& cookie, Handler handler) {
    SessionT session = middleware.open(cookie.empty() ? "" : "sessionid=" + cookie);
    handler(session);
    (void)middleware.finish(session, 200);
    return session.session_key().value_or("");
  }
};
}  // namespace

TEST_CASE("RedisStore round trips: one command per load, one per save, none for a read-only session",
          "[redis][round_trips]") {
  RoundTripEnv env;
  env.store.ping();  // the connection is open before counting
  redis_test::CommandCounter counter;

  const std::string key = env.request("", [](auto& s) { s.set("cart", Data{1, 2}); });
  REQUIRE_FALSE(key.empty());
  CHECK(counter.delta() == Commands{{"set", 1}});  // create: SET NX PX, nothing else

  env.request(key, [](auto& s) { CHECK(s.get("cart") == Data{1, 2}); });
  CHECK(counter.delta() == Commands{{"get", 1}});  // load only: the unchanged session is not written

  env.request(key, [](auto& s) {
    auto view = s.read_only();
    CHECK(view.contains("cart"));
  });
  CHECK(counter.delta() == Commands{{"get", 1}});

  env.request(key, [](auto& s) { s.set("cart", Data{1, 2, 3}); });
  CHECK(counter.delta() == Commands{{"get", 1}, {"set", 1}});  // load + update (SET XX PX)

  env.request(key, [](auto&) {});
  CHECK(counter.delta().empty());  // never touched: not even loaded

  SECTION("save_every_request with unchanged data: load + one touch (the script)") {
    // The server learns the script on the first touch after it started (NOSCRIPT, then EVAL: one
    // more round trip, once); from then on a touch is one EVALSHA.
    REQUIRE(env.store.touch(key, env.clock.now() + 1h));
    (void)counter.delta();
    env.settings.save_every_request = true;
    env.request(key, [](auto& s) { (void)s.get("cart"); });
    const Commands d = counter.delta();
    for (const auto& [name, calls] : d) UNSCOPED_INFO(name << ": " << calls);
    CHECK(d.at("get") == 1);
    CHECK(d.at("evalsha") == 1);
    // Commands the script runs inside the server are counted too, but cost no round trip.
    long long client_commands = 0;
    for (const auto& [name, calls] : d) {
      if (name != "getrange" && name != "setrange" && name != "pexpire") client_commands += calls;
    }
    CHECK(client_commands == 2);
  }
  SECTION("logout: one DEL") {
    env.request(key, [](auto& s) { s.flush(); });
    CHECK(counter.delta() == Commands{{"del", 1}});
  }
}

TEST_CASE("RedisStore round trips: exists is one GETRANGE", "[redis][round_trips]") {
  RoundTripEnv env;
  env.store.ping();
  redis_test::CommandCounter counter;
  CHECK_FALSE(env.store.exists("abcdefghijklmnopqrstuvwxyz012345"));
  CHECK(counter.delta() == Commands{{"getrange", 1}});
}
