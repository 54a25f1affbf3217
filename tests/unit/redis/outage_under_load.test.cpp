// Redis stopped and restarted, and paused, WHILE request threads run full session cycles through
// the middleware (support/request_load.hpp). Every failed request fails with a typed StorageError
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
#include <string>
#include <thread>

#include "redis_support.hpp"
#include "support/catch.hpp"
#include "support/request_load.hpp"

using namespace std::chrono_literals;
using fault_test::Steady;
using sessions::RedisStore;

namespace {

bool back_within(RedisStore& store, std::chrono::milliseconds limit) {
  const auto deadline = Steady::now() + limit;
  while (Steady::now() < deadline) {
    try {
      store.ping();
      return true;
    } catch (const sessions::StorageError&) {
      std::this_thread::sleep_for(20ms);
    }
  }
  return false;
}

}  // namespace

TEST_CASE("Redis outage under load: stop/restart cycles while requests run", "[redis][faults][outage]") {
  constexpr int kCycles = 3;
  sessions::Settings settings;
  RedisStore store(redis_test::options());
  const fault_test::WrittenSessions<RedisStore> before(store, settings, 20);
  redis_test::ServerRestorer restorer;

  fault_test::RequestLoad<RedisStore> load(store, settings, 4);
  std::this_thread::sleep_for(300ms);
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    {
      redis_test::Admin admin;
      (void)admin.command({"SAVE"});  // what a server with persistence would have on disk
    }
    redis_test::ctl("stop");
    std::this_thread::sleep_for(600ms);  // requests run into the stopped server
    redis_test::ctl("start");
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
  CHECK(counts.storage_errors >= kCycles);  // the outages were met
  CHECK(counts.ok > 0);
  // connect 500 ms, command 500 ms and one retry on a fresh connection, pool wait 2 s at worst.
  CHECK(load.slowest() < 3000ms);
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

  fault_test::RequestLoad<RedisStore> load(store, settings, 4);
  std::this_thread::sleep_for(300ms);
  const auto ok_before = load.counts().ok;
  redis_test::ctl("pause");
  std::this_thread::sleep_for(1500ms);
  redis_test::ctl("resume");
  const auto resumed = Steady::now();
  CHECK(load.wait_for_success_since(resumed, 5000ms));
  load.stop();

  const auto counts = load.counts();
  INFO("ok " << counts.ok << " (" << ok_before << " before the pause), StorageError " << counts.storage_errors
             << ", interrupted " << counts.interrupted << ", slowest " << load.slowest().count() << " ms");
  for (const auto& m : load.other_messages()) UNSCOPED_INFO("untyped failure: " << m);
  CHECK(counts.other == 0);
  CHECK(counts.interrupted == 0);  // a pause loses no record
  CHECK(counts.storage_errors > 0);
  CHECK(load.slowest() < 3000ms);
  CHECK(before.intact(store, settings) == 20);
}
