// The shared lost-update suite (support/lost_update_suite.inc) against RedisStore: one EVALSHA per
// compare-and-set.

#include "redis_support.hpp"

#define CAS_STORES sessions::RedisStore

#include "support/lost_update_suite.inc"

TEST_CASE("RedisStore::update_if: the script's SHA-1, one round trip, written/conflict/missing",
          "[redis][lost_update]") {
  test_support::StoreFixture<sessions::RedisStore> env;
  redis_test::Admin admin;
  auto reply = admin.command({"SCRIPT", "LOAD", std::string(sessions::detail::redis_store::kUpdateIfScript)});
  REQUIRE(reply->type == REDIS_REPLY_STRING);
  CHECK(std::string(reply->str, reply->len) == sessions::detail::redis_store::kUpdateIfScriptSha1);

  constexpr std::string_view key = "abcdefghijklmnopqrstuvwxyz012345";
  const auto later = env.clock.now() + std::chrono::hours{1};
  REQUIRE(env.store.create(key, "v1", later));
  redis_test::CommandCounter counter;
  CHECK(env.store.update_if(key, "v2", later + std::chrono::hours{1}, "v1") == sessions::CasResult::written);
  const auto commands = counter.delta();
  // One command from the client: the EVALSHA. (INFO commandstats also counts the GET and SET the
  // script runs inside the server.)
  REQUIRE(commands.count("evalsha") == 1);
  CHECK(commands.at("evalsha") == 1);
  for (const auto& [name, calls] : commands) {
    CAPTURE(name);
    CHECK((name == "evalsha" || name == "get" || name == "set"));
    CHECK(calls == 1);
  }
  CHECK(env.store.load(key)->payload == "v2");
  CHECK(env.store.load(key)->expires_at == later + std::chrono::hours{1});
  const long long pttl = admin.pttl(env.store.cache_key(key));
  CHECK(pttl > 3'600'000);  // the TTL moved with the write
  CHECK(env.store.update_if(key, "v3", later, "v1") == sessions::CasResult::conflict);
  CHECK(env.store.load(key)->payload == "v2");
  CHECK(env.store.update_if("0123456789abcdefghijklmnopqrstuv", "x", later, "v1") == sessions::CasResult::missing);
  CHECK_FALSE(admin.get(env.store.cache_key("0123456789abcdefghijklmnopqrstuv")).has_value());
  // Expired by the store's clock while Redis still holds it: missing, not rewritten.
  env.clock.advance(std::chrono::hours{3});
  CHECK(env.store.update_if(key, "v4", env.clock.now() + std::chrono::hours{1}, "v2") == sessions::CasResult::missing);
  // After SCRIPT FLUSH: NOSCRIPT, then EVAL.
  env.clock.advance(-std::chrono::hours{3});
  (void)admin.command({"SCRIPT", "FLUSH"});
  CHECK(env.store.update_if(key, "v5", later, "v2") == sessions::CasResult::written);
}
