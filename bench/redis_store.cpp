// RedisStore against raw hiredis sending the same commands (GET to load; SET .. XX PX to save a
// change) over one kept connection. tools/bench.sh pins client and server to one CPU: across
// vCPUs a loopback round trip costs ~90 us on a VM and would drown everything else.
#include <hiredis/hiredis.h>

#include <cstdlib>
#include <sessions/storage/redis.hpp>
#include <string>

#include "store_cycle.hpp"

namespace {

const char* redis_url() { return std::getenv("SESSIONS_TEST_REDIS_URL"); }

sessions::RedisStore* store() {
  static std::unique_ptr<sessions::RedisStore> s = [] {
    std::unique_ptr<sessions::RedisStore> made;
    if (redis_url() != nullptr) {
      sessions::RedisOptions o = sessions::RedisStore::options_from_url(redis_url());
      o.key_prefix = "sessions-bench:";
      made = std::make_unique<sessions::RedisStore>(o);
    }
    return made;
  }();
  return s.get();
}

void cycle(benchmark::State& state, bool change) {
  if (store() == nullptr)
    return state.SkipWithError("SESSIONS_TEST_REDIS_URL is not set (run under tests/servers/redis.sh)");
  bench::store_cycle(state, *store(), change);
}

struct Reply {
  redisReply* r = nullptr;
  ~Reply() {
    if (r != nullptr) freeReplyObject(r);
  }
};

/// The same commands with hiredis alone: the payload bytes are what RedisStore stored.
void raw(benchmark::State& state, bool change) {
  if (store() == nullptr)
    return state.SkipWithError("SESSIONS_TEST_REDIS_URL is not set (run under tests/servers/redis.sh)");
  const sessions::RedisOptions o = sessions::RedisStore::options_from_url(redis_url());
  redisContext* c = redisConnect(o.host.c_str(), o.port);
  if (c == nullptr || c->err != 0) return state.SkipWithError("cannot connect to redis");
  const std::string name = "sessions-bench:" + bench::create_typical(*store());
  std::string value;
  {
    Reply got{static_cast<redisReply*>(redisCommand(c, "GET %b", name.data(), name.size()))};
    value.assign(got.r->str, got.r->len);
  }
  const std::string ms = std::to_string(1'209'600'000);
  for (auto _ : state) {
    const char* get_argv[] = {"GET", name.c_str()};
    const std::size_t get_len[] = {3, name.size()};
    Reply got{static_cast<redisReply*>(redisCommandArgv(c, 2, get_argv, get_len))};
    if (got.r == nullptr || got.r->type != REDIS_REPLY_STRING) {
      state.SkipWithError("GET failed");
      break;
    }
    benchmark::DoNotOptimize(got.r->str);
    if (change) {
      const char* set_argv[] = {"SET", name.c_str(), value.c_str(), "XX", "PX", ms.c_str()};
      const std::size_t set_len[] = {3, name.size(), value.size(), 2, 2, ms.size()};
      Reply set{static_cast<redisReply*>(redisCommandArgv(c, 6, set_argv, set_len))};
      if (set.r == nullptr || set.r->type != REDIS_REPLY_STATUS) {
        state.SkipWithError("SET failed");
        break;
      }
    }
  }
  redisFree(c);
}

const bench::Registrar registrar{[] {
  benchmark::RegisterBenchmark("redis_store/changed", [](benchmark::State& s) { cycle(s, true); });
  benchmark::RegisterBenchmark("redis_store/read", [](benchmark::State& s) { cycle(s, false); });
  benchmark::RegisterBenchmark("floor/hiredis/changed", [](benchmark::State& s) { raw(s, true); });
  benchmark::RegisterBenchmark("floor/hiredis/read", [](benchmark::State& s) { raw(s, false); });
}};

}  // namespace
