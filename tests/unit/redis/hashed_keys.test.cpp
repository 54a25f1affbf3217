// HashedKeys over RedisStore: the server holds only the hashes of the session keys (under the
// store's prefix); the cookies still open their sessions, one GET per load.

#include <sessions/storage/hashed_keys.hpp>

#include <string>
#include <vector>

#include "redis_support.hpp"
#include "support/catch.hpp"
#include "support/numbered_sessions.hpp"

TEST_CASE("HashedKeys<RedisStore>: the server holds hashed keys only", "[redis][hashed_keys]") {
  sessions::RedisOptions o = redis_test::options();
  sessions::RedisStore redis(o);
  sessions::HashedKeys<sessions::RedisStore> store(redis);
  sessions::Settings settings;
  sessions::Middleware<sessions::Session<sessions::HashedKeys<sessions::RedisStore>>> middleware(store, settings);

  const std::vector<std::string> keys = test_support::save_numbered_sessions(middleware, 5);
  redis_test::Admin admin;
  const auto listed = admin.command({"KEYS", o.key_prefix + "*"});
  REQUIRE(listed->elements == keys.size());
  std::string all;
  for (std::size_t i = 0; i < listed->elements; ++i) all += std::string(listed->element[i]->str) + "\n";
  for (std::size_t i = 0; i < keys.size(); ++i) {
    INFO(keys[i]);
    CHECK(all.find(keys[i]) == std::string::npos);
    CHECK(admin.get(redis.cache_key(store.stored_key(keys[i]))).has_value());
    redis_test::CommandCounter counter;
    auto again = middleware.open("sessionid=" + keys[i]);
    CHECK(again.get("n", -1) == static_cast<int>(i));
    const auto delta = counter.delta();
    CHECK(delta.size() == 1);  // one round trip: a single GET
    CHECK(delta.count("get") == 1);
  }
}
