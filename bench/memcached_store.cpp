// MemcachedStore (the first server of tests/servers/memcached.sh), pinned like Redis.
#include <cstdlib>
#include <sessions/storage/memcached.hpp>
#include <string>

#include "store_cycle.hpp"

namespace {

sessions::MemcachedStore* store() {
  static std::unique_ptr<sessions::MemcachedStore> s = [] {
    std::unique_ptr<sessions::MemcachedStore> made;
    const char* servers = std::getenv("SESSIONS_TEST_MEMCACHED_SERVERS");
    if (servers != nullptr && *servers != '\0') {
      std::string first(servers);
      first = first.substr(0, first.find(','));
      sessions::MemcachedOptions o = sessions::MemcachedStore::options_from_url("memcached://" + first);
      o.key_prefix = "sessions-bench:";
      made = std::make_unique<sessions::MemcachedStore>(o);
    }
    return made;
  }();
  return s.get();
}

void cycle(benchmark::State& state, bool change) {
  if (store() == nullptr) {
    return state.SkipWithError("SESSIONS_TEST_MEMCACHED_SERVERS is not set (run under tests/servers/memcached.sh)");
  }
  bench::store_cycle(state, *store(), change);
}

const bench::Registrar registrar{[] {
  benchmark::RegisterBenchmark("memcached_store/changed", [](benchmark::State& s) { cycle(s, true); });
  benchmark::RegisterBenchmark("memcached_store/read", [](benchmark::State& s) { cycle(s, false); });
}};

}  // namespace
