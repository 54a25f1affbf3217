// memcached stopped and restarted, and paused, WHILE request threads run full session cycles
// through the middleware (support/request_load.hpp). Every failed request fails with a typed
// StorageError (or SessionInterrupted when the record it loaded vanished) within the configured
// timeouts, and requests succeed again after each restart.
//
// memcached keeps nothing across a restart: sessions written before it are gone afterwards, and a
// request presenting such a cookie gets an empty session and a new key (documented: MemcachedStore
// is a cache, as Django's cache backend; CachedStore over a persistent store keeps the sessions).
// A pause (SIGSTOP) loses nothing: the sessions written before it are intact.

#include <chrono>
#include <string>
#include <thread>

#include "memcached_support.hpp"
#include "support/catch.hpp"
#include "support/request_load.hpp"

using namespace std::chrono_literals;
using fault_test::Steady;
using sessions::MemcachedStore;

namespace {

// Both servers answer again (a key on each: the generated keys spread over the two).
bool back_within(MemcachedStore& store, std::chrono::milliseconds limit) {
  const auto deadline = Steady::now() + limit;
  while (Steady::now() < deadline) {
    try {
      for (int i = 0; i < 8; ++i) (void)store.exists(sessions::generate_session_key());
      return true;
    } catch (const sessions::StorageError&) {
      std::this_thread::sleep_for(20ms);
    }
  }
  return false;
}

}  // namespace

TEST_CASE("memcached outage under load: stop/restart cycles while requests run", "[memcached][faults][outage]") {
  constexpr int kCycles = 3;
  sessions::Settings settings;
  MemcachedStore store(memcached_test::options());
  const fault_test::WrittenSessions<MemcachedStore> before(store, settings, 20);
  REQUIRE(before.intact(store, settings) == 20);
  memcached_test::ServerRestorer restorer;

  fault_test::RequestLoad<MemcachedStore> load(store, settings, 4);
  std::this_thread::sleep_for(300ms);
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    memcached_test::ctl("stop");
    std::this_thread::sleep_for(600ms);
    memcached_test::ctl("start");
    const auto restarted = Steady::now();
    REQUIRE(back_within(store, 5000ms));
    CHECK(load.wait_for_success_since(restarted, 5000ms));
  }
  std::this_thread::sleep_for(200ms);
  load.stop();

  const auto counts = load.counts();
  INFO("ok " << counts.ok << ", StorageError " << counts.storage_errors << ", interrupted " << counts.interrupted
             << ", other " << counts.other << ", slowest " << load.slowest().count() << " ms; sample: "
             << load.sample_storage_error());
  for (const auto& m : load.other_messages()) UNSCOPED_INFO("untyped failure: " << m);
  CHECK(counts.other == 0);
  CHECK(counts.storage_errors >= kCycles);
  CHECK(counts.ok > 0);
  CHECK(load.slowest() < 3000ms);  // connect 500 ms + io 500 ms, one retry; pool wait 2 s at worst
  // Restarted empty: the earlier sessions read as empty (new session, no error).
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

  fault_test::RequestLoad<MemcachedStore> load(store, settings, 4);
  std::this_thread::sleep_for(300ms);
  memcached_test::ctl("pause");
  std::this_thread::sleep_for(1500ms);
  memcached_test::ctl("resume");
  const auto resumed = Steady::now();
  CHECK(load.wait_for_success_since(resumed, 5000ms));
  load.stop();

  const auto counts = load.counts();
  INFO("ok " << counts.ok << ", StorageError " << counts.storage_errors << ", interrupted " << counts.interrupted
             << ", slowest " << load.slowest().count() << " ms");
  for (const auto& m : load.other_messages()) UNSCOPED_INFO("untyped failure: " << m);
  CHECK(counts.other == 0);
  CHECK(counts.interrupted == 0);
  CHECK(counts.storage_errors > 0);
  CHECK(load.slowest() < 3000ms);
  CHECK(before.intact(store, settings) == 20);
}
