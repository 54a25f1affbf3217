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
#include <cstdio>
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

TEST_CASE("memcached: one of three servers stopped under load, remove_failed_servers: no request fails once it is out",
          "[.][memcached][faults][outage][eject]") {
  // Run by ctest's memcached_eject (tests/servers/memcached.sh with SESSIONS_TEST_MEMCACHED_COUNT=3).
  REQUIRE(memcached_test::ports().size() == 3);
  sessions::Settings settings;
  CHECK(MemcachedStore::options_from_url("memcached://a,b?remove_failed_servers=true").remove_failed_servers);
  CHECK_FALSE(MemcachedStore::options_from_url("memcached://a,b").remove_failed_servers);
  sessions::MemcachedOptions o = memcached_test::options();
  o.remove_failed_servers = true;
  o.retry_timeout = 1s;  // the dead server is tried again (and taken out again) during the test
  MemcachedStore store(o);
  const fault_test::WrittenSessions<MemcachedStore> before(store, settings, 40);
  memcached_test::ServerRestorer restorer;
  fault_test::RequestLoad<MemcachedStore> load(store, settings, 4);
  std::this_thread::sleep_for(300ms);
  const long failed_before = load.counts().storage_errors;
  const long ok_before = load.counts().ok;
  memcached_test::ctl("stop 2");
  const auto stopped_at = fault_test::Steady::now();
  std::this_thread::sleep_for(2500ms);  // two retry periods and more
  load.stop();
  const auto counts = load.counts();
  INFO("a failure: " << load.sample_storage_error());
  CHECK(counts.other == 0);
  const long failed = counts.storage_errors - failed_before;
  const long long failing_ms =
      failed == 0 ? 0 : std::chrono::duration_cast<std::chrono::milliseconds>(load.last_failure() - stopped_at).count();
  std::printf(
      "memcached, one of three servers stopped (remove_failed_servers): %ld requests ok, %ld failed, the last "
      "failure %lld ms after the stop\n",
      counts.ok, failed, failing_ms);
  CHECK(failing_ms < 500);             // failures, if any, only until the server is out; none at its retries
  CHECK(counts.ok - ok_before > 100);  // and the two others served the requests meanwhile
  // The sessions on the stopped server read as new; the others are intact.
  const int intact = before.intact(store, settings);
  CHECK(intact > 0);
  CHECK(intact < 40);
}
