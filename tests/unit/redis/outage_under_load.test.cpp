// Redis stopped and restarted, and paused, WHILE request threads run full session cycles through
// the middleware (support/outage.hpp). Every failed request fails with a typed StorageError
// (or SessionInterrupted when the record it loaded vanished) within the configured timeouts,
// requests succeed again after each restart, and sessions written before the outage are intact.
//
// The harness runs Redis without persistence, so a plain restart empties it (documented: RedisStore
// is as durable as the server is configured to be). The test therefore has the server write an RDB
// snapshot (SAVE) before each stop, as a server with persistence would; sessions written between
// the snapshot and the stop are lost, which the running threads meet as a new session (or as
// SessionInterrupted when the loss falls between their load and their save). A pause (SIGSTOP)
// loses nothing.

#include <chrono>
#include <thread>

#include "redis_support.hpp"
#include "support/catch.hpp"
#include "support/outage.hpp"

using namespace std::chrono_literals;
using sessions::RedisStore;

TEST_CASE("Redis outage under load: stop/restart cycles while requests run", "[redis][faults][outage]") {
  sessions::Settings settings;
  RedisStore store(redis_test::options());
  const fault_test::WrittenSessions<RedisStore> before(store, settings, 20);
  redis_test::ServerRestorer restorer;

  fault_test::OutagePlan plan;
  plan.outages = 3;
  plan.outage = [] {
    {
      redis_test::Admin admin;
      (void)admin.command({"SAVE"});  // what a server with persistence would have on disk
    }
    redis_test::ctl("stop");
    std::this_thread::sleep_for(600ms);  // requests run into the stopped server
    redis_test::ctl("start");
  };
  plan.probe = [&] { store.ping(); };
  plan.settle = 200ms;
  // connect 500 ms, command 500 ms and one retry on a fresh connection, pool wait 2 s at worst.
  plan.slowest_limit = 3000ms;
  (void)fault_test::run_outages(store, settings, plan);
  CHECK(before.intact(store, settings) == 20);
}

TEST_CASE("Redis outage under load: a paused server times requests out; nothing is lost", "[redis][faults][outage]") {
  sessions::Settings settings;
  sessions::RedisOptions o = redis_test::options();
  o.command_timeout = 300ms;
  o.connect_timeout = 300ms;
  RedisStore store(o);
  const fault_test::WrittenSessions<RedisStore> before(store, settings, 20);
  redis_test::ServerRestorer restorer;

  fault_test::OutagePlan plan;
  plan.outage = [] {
    redis_test::ctl("pause");
    std::this_thread::sleep_for(1500ms);
    redis_test::ctl("resume");
  };
  plan.slowest_limit = 3000ms;
  const auto counts = fault_test::run_outages(store, settings, plan);
  CHECK(counts.interrupted == 0);        // a pause loses no record
  CHECK(counts.lost_acknowledged == 0);  // every acknowledged write was there for the next request
  CHECK(before.intact(store, settings) == 20);
}
