// PostgreSQL stopped and restarted, and frozen, WHILE request threads run full session cycles
// through the middleware (support/request_load.hpp). Every failed request fails with a typed
// StorageError within the configured timeouts, requests succeed again after each restart, and the
// sessions written before the outage are intact (the server keeps its data across a restart).

#include <chrono>
#include <string>
#include <thread>

#include "postgres_support.hpp"
#include "support/catch.hpp"
#include "support/request_load.hpp"

using namespace std::chrono_literals;
using fault_test::Steady;
using sessions::PostgresStore;

namespace {

struct Restore {
  std::string action;
  ~Restore() {
    try {
      postgres_test::control(action);
    } catch (...) {
    }
  }
};

bool back_within(PostgresStore& store, std::chrono::milliseconds limit) {
  const auto deadline = Steady::now() + limit;
  while (Steady::now() < deadline) {
    try {
      (void)store.exists(sessions::generate_session_key());
      return true;
    } catch (const sessions::StorageError&) {
      std::this_thread::sleep_for(50ms);
    }
  }
  return false;
}

}  // namespace

TEST_CASE("PostgreSQL outage under load: stop/restart cycles while requests run", "[postgres][faults][outage]") {
  constexpr int kCycles = 2;
  (void)postgres_test::control_script();
  test_support::StoreFixture<PostgresStore> f;
  PostgresStore::Options o = f.options();
  o.clock = {};
  o.connect_timeout = 1s;
  o.statement_timeout = 1s;
  o.pool_size = 4;
  PostgresStore store(o);
  sessions::Settings settings;
  const fault_test::WrittenSessions<PostgresStore> before(store, settings, 20);

  fault_test::RequestLoad<PostgresStore> load(store, settings, 4);
  std::this_thread::sleep_for(500ms);
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    {
      Restore restart{"start"};
      postgres_test::control("stop");
      std::this_thread::sleep_for(600ms);
    }
    const auto restarted = Steady::now();
    REQUIRE(back_within(store, 10000ms));
    CHECK(load.wait_for_success_since(restarted, 10000ms));
  }
  std::this_thread::sleep_for(200ms);
  load.stop();

  const auto counts = load.counts();
  INFO("ok " << counts.ok << ", StorageError " << counts.storage_errors << ", interrupted " << counts.interrupted
             << ", other " << counts.other << ", slowest " << load.slowest().count() << " ms; sample: "
             << load.sample_storage_error());
  for (const auto& m : load.other_messages()) UNSCOPED_INFO("untyped failure: " << m);
  CHECK(counts.other == 0);
  CHECK(counts.interrupted == 0);  // nothing is lost across a restart
  CHECK(counts.storage_errors >= kCycles);
  CHECK(counts.ok > 0);
  // A stop makes the server close every connection at once: a statement fails at once, a
  // connection attempt within connect_timeout.
  CHECK(load.slowest() < 5000ms);
  CHECK(before.intact(store, settings) == 20);
}

TEST_CASE("PostgreSQL outage under load: a frozen server times requests out; nothing is lost",
          "[postgres][faults][outage]") {
  (void)postgres_test::control_script();
  test_support::StoreFixture<PostgresStore> f;
  PostgresStore::Options o = f.options();
  o.clock = {};
  o.connect_timeout = 500ms;
  o.statement_timeout = 300ms;
  o.pool_size = 4;
  PostgresStore store(o);
  sessions::Settings settings;
  const fault_test::WrittenSessions<PostgresStore> before(store, settings, 20);

  fault_test::RequestLoad<PostgresStore> load(store, settings, 4);
  std::this_thread::sleep_for(500ms);
  {
    Restore thaw{"thaw"};
    postgres_test::control("freeze");
    std::this_thread::sleep_for(1500ms);
  }
  const auto thawed = Steady::now();
  CHECK(load.wait_for_success_since(thawed, 10000ms));
  load.stop();

  const auto counts = load.counts();
  INFO("ok " << counts.ok << ", StorageError " << counts.storage_errors << ", interrupted " << counts.interrupted
             << ", slowest " << load.slowest().count() << " ms");
  for (const auto& m : load.other_messages()) UNSCOPED_INFO("untyped failure: " << m);
  CHECK(counts.other == 0);
  CHECK(counts.interrupted == 0);
  CHECK(counts.storage_errors > 0);
  CHECK(load.slowest() < 5000ms);
  CHECK(before.intact(store, settings) == 20);
}
