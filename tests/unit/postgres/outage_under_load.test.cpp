// PostgreSQL stopped and restarted, and frozen, WHILE request threads run full session cycles
// through the middleware (support/outage.hpp). Every failed request fails with a typed
// StorageError within the configured timeouts, requests succeed again after each restart, and the
// sessions written before the outage are intact (the server keeps its data across a restart).

#include <chrono>
#include <string>
#include <thread>

#include "postgres_support.hpp"
#include "support/catch.hpp"
#include "support/outage.hpp"

using namespace std::chrono_literals;
using sessions::PostgresStore;

namespace {

// Runs `action` on the server even when the test fails half way (a REQUIRE, an exception).
struct Restore {
  std::string action;
  ~Restore() {
    try {
      postgres_test::control(action);
    } catch (...) {
    }
  }
};

// A store on a fresh table with the given timeouts, and the sessions written before the outage.
struct StoreUnderOutage {
  test_support::StoreFixture<PostgresStore> fixture;  // the table and the logger: outlives the store
  PostgresStore store;
  sessions::Settings settings;
  fault_test::WrittenSessions<PostgresStore> before;

  StoreUnderOutage(std::chrono::milliseconds connect_timeout, std::chrono::milliseconds statement_timeout)
      : store(options(fixture, connect_timeout, statement_timeout)), before(store, settings, 20) {}

 private:
  static PostgresStore::Options options(test_support::StoreFixture<PostgresStore>& f,
                                        std::chrono::milliseconds connect_timeout,
                                        std::chrono::milliseconds statement_timeout) {
    PostgresStore::Options o = f.options();
    o.clock = {};
    o.connect_timeout = connect_timeout;
    o.statement_timeout = statement_timeout;
    o.pool_size = 4;
    return o;
  }
};

// Both tests give the requests and the recovery more time than the in-memory servers need.
fault_test::OutagePlan postgres_plan() {
  fault_test::OutagePlan plan;
  plan.warmup = 500ms;
  plan.recovery_limit = 10000ms;
  // A stop makes the server close every connection at once: a statement fails at once, a
  // connection attempt within connect_timeout.
  plan.slowest_limit = 5000ms;
  return plan;
}

}  // namespace

TEST_CASE("PostgreSQL outage under load: stop/restart cycles while requests run", "[postgres][faults][outage]") {
  (void)postgres_test::control_script();
  StoreUnderOutage pg(1s, 1s);

  fault_test::OutagePlan plan = postgres_plan();
  plan.outages = 2;
  plan.outage = [] {
    Restore restart{"start"};
    postgres_test::control("stop");
    std::this_thread::sleep_for(600ms);
  };
  plan.probe = [&] { (void)pg.store.exists(sessions::generate_session_key()); };
  plan.probe_interval = 50ms;
  plan.settle = 200ms;
  const auto counts = fault_test::run_outages(pg.store, pg.settings, plan);
  CHECK(counts.interrupted == 0);        // nothing is lost across a restart
  CHECK(counts.lost_acknowledged == 0);  // every acknowledged write was there for the next request
  CHECK(pg.before.intact(pg.store, pg.settings) == 20);
}

TEST_CASE("PostgreSQL outage under load: a frozen server times requests out; nothing is lost",
          "[postgres][faults][outage]") {
  (void)postgres_test::control_script();
  StoreUnderOutage pg(500ms, 300ms);

  fault_test::OutagePlan plan = postgres_plan();
  plan.outage = [] {
    Restore thaw{"thaw"};
    postgres_test::control("freeze");
    std::this_thread::sleep_for(1500ms);
  };
  const auto counts = fault_test::run_outages(pg.store, pg.settings, plan);
  CHECK(counts.interrupted == 0);
  CHECK(counts.lost_acknowledged == 0);  // every acknowledged write was there for the next request
  CHECK(pg.before.intact(pg.store, pg.settings) == 20);
}
