// memcached stopped and restarted, and paused, WHILE request threads run full session cycles
// through the middleware (support/outage.hpp). Every failed request fails with a typed
// StorageError (or SessionInterrupted when the record it loaded vanished) within the configured
// timeouts, and requests succeed again after each restart.
//
// memcached keeps nothing across a restart: sessions written before it are gone afterwards, and a
// request presenting such a cookie gets an empty session and a new key (documented: MemcachedStore
// is a cache, as Django's cache backend; CachedStore over a persistent store keeps the sessions).
// A pause (SIGSTOP) loses nothing: the sessions written before it are intact.

#include <chrono>
#include <thread>

#include "memcached_support.hpp"
#include "support/catch.hpp"
#include "support/outage.hpp"

using namespace std::chrono_literals;
using sessions::MemcachedStore;

TEST_CASE("memcached outage under load: stop/restart cycles while requests run", "[memcached][faults][outage]") {
  sessions::Settings settings;
  MemcachedStore store(memcached_test::options());
  const fault_test::WrittenSessions<MemcachedStore> before(store, settings, 20);
  REQUIRE(before.intact(store, settings) == 20);
  memcached_test::ServerRestorer restorer;

  fault_test::OutagePlan plan;
  plan.outages = 3;
  plan.outage = [] {
    memcached_test::ctl("stop");
    std::this_thread::sleep_for(600ms);
    memcached_test::ctl("start");
  };
  // Both servers answer again (a key on each: the generated keys spread over the two).
  plan.probe = [&] {
    for (int i = 0; i < 8; ++i) (void)store.exists(sessions::generate_session_key());
  };
  plan.settle = 200ms;
  plan.slowest_limit = 3000ms;  // connect 500 ms + io 500 ms, one retry; pool wait 2 s at worst
  (void)fault_test::run_outages(store, settings, plan);
  // Restarted empty: the earlier sessions read as empty (new session, no error), once both
  // servers answer again.
  REQUIRE(fault_test::back_within(plan.probe, plan.recovery_limit, plan.probe_interval));
  CHECK(before.intact(store, settings) == 0);
  for (const auto& [key, data] : before.sessions) {
    sessions::Session<MemcachedStore> s(store, key, settings);
    CHECK(s.data().empty());
    CHECK_FALSE(s.session_key().has_value());  // the lost key is not adopted
  }
}

TEST_CASE("memcached outage under load: paused servers time requests out; nothing is lost",
          "[memcached][faults][outage]") {
  sessions::Settings settings;
  sessions::MemcachedOptions o = memcached_test::options();
  o.io_timeout = 300ms;
  MemcachedStore store(o);
  const fault_test::WrittenSessions<MemcachedStore> before(store, settings, 20);
  memcached_test::ServerRestorer restorer;

  fault_test::OutagePlan plan;
  plan.outage = [] {
    memcached_test::ctl("pause");
    std::this_thread::sleep_for(1500ms);
    memcached_test::ctl("resume");
  };
  plan.slowest_limit = 3000ms;
  const auto counts = fault_test::run_outages(store, settings, plan);
  CHECK(counts.interrupted == 0);
  CHECK(counts.lost_acknowledged == 0);  // every acknowledged write was there for the next request
  CHECK(before.intact(store, settings) == 20);
}
