// PostgreSQL stopped and restarted, and frozen, WHILE request threads run full session cycles
// through the middleware (support/outage.hpp). Every failed request fails with a typed
// StorageError within the configured timeouts, requests succeed again after each restart, and the
// sessions written before the outage are intact (the server keeps its data across a restart).

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "postgres_support.hpp"
#include "support/catch.hpp"
#include "support/outage.hpp"

using namespace std::chrono_literals;
using sessions::PostgresStore;

namespace {

// Runs `action` on the server even when the test fails half way (a REQUIRE, an exception).
struct RestoreServer {
  std::string action;
  ~RestoreServer() {
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
    RestoreServer restart{"start"};
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
    RestoreServer thaw{"thaw"};
    postgres_test::control("freeze");
    std::this_thread::sleep_for(1500ms);
  };
  const auto counts = fault_test::run_outages(pg.store, pg.settings, plan);
  CHECK(counts.interrupted == 0);
  CHECK(counts.lost_acknowledged == 0);  // every acknowledged write was there for the next request
  CHECK(pg.before.intact(pg.store, pg.settings) == 20);
}

// Run by ctest's postgres_failover (tests/servers/postgres.sh with SESSIONS_TEST_POSTGRES_STANDBY=1):
// a primary and a streaming standby behind libpq's host list with target_session_attrs=read-write.
// The primary is killed (an immediate stop, as a crash) while four threads run request cycles, and
// the standby is promoted 300 ms later, as a failover manager would; the store must reach the new
// primary by itself. The figures are printed for docs/scale-out.md.
TEST_CASE("PostgreSQL failover under load: the primary killed, the standby promoted", "[.][standby]") {
  const std::string url =
      postgres_test::required_env("SESSIONS_TEST_POSTGRES_FAILOVER_URL",
                                  "run through tests/servers/postgres.sh with SESSIONS_TEST_POSTGRES_STANDBY=1");
  sessions::Settings settings;
  PostgresStore::Options o = PostgresStore::options_from_url(url);
  o.table = "django_session";  // Django's table: a Django process reads it below (a fresh database)
  o.connect_timeout = 1s;
  o.statement_timeout = 1s;
  o.pool_timeout = 2s;
  PostgresStore store(o);
  const fault_test::WrittenSessions<PostgresStore> before(store, settings, 20);
  // One session in Django's format, for Django to read from the promoted server.
  const sessions::DjangoSignedSerializer django_format{"failover-interop-secret"};
  sessions::Session<PostgresStore, sessions::DjangoSignedSerializer> for_django(store, settings, django_format);
  for_django.set("user", "alice");
  for_django.set("n", 7);
  for_django.save();
  std::this_thread::sleep_for(200ms);  // the standby replays the table and the sessions
  fault_test::RequestLoad<PostgresStore> load(store, settings, 4);
  std::this_thread::sleep_for(300ms);
  const long failed_before = load.counts().storage_errors;
  postgres_test::control("kill-primary");
  const auto killed_at = fault_test::Steady::now();
  std::this_thread::sleep_for(300ms);
  postgres_test::control("promote");
  REQUIRE(load.wait_for_success_since(killed_at, 15s));
  const auto recovered_at = fault_test::Steady::now();
  std::this_thread::sleep_for(300ms);
  load.stop();
  const auto counts = load.counts();
  INFO("an untyped failure: " << (load.other_messages().empty() ? "" : load.other_messages().front()));
  CHECK(counts.other == 0);
  const long failed = counts.storage_errors - failed_before;
  const long long outage_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::max(load.last_failure(), recovered_at) - killed_at)
          .count();
  const long lost = counts.lost_acknowledged + load.unreadable_last_writes(settings);
  const int intact = before.intact(store, settings);
  std::printf(
      "postgres failover (standby promoted 300 ms after the kill): %ld requests ok, %ld failed (StorageError), "
      "requests succeed again %lld ms after the kill, %ld acknowledged writes lost, %d of 20 earlier sessions "
      "intact; a failure: %s\n",
      counts.ok, failed, outage_ms, lost, intact, load.sample_storage_error().c_str());
  CHECK(failed > 0);    // the outage was real
  CHECK(intact == 20);  // written well before the kill: replayed by the standby
  // Django 3.2's db backend, on the promoted server alone, reads the session written before.
  const std::string script =
      "import json, sys, django\n"
      "from django.conf import settings\n"
      "settings.configure(SECRET_KEY='failover-interop-secret', USE_TZ=True, TIME_ZONE='UTC',\n"
      "  INSTALLED_APPS=['django.contrib.sessions'], DATABASES={'default': {'ENGINE': "
      "'django.db.backends.postgresql',\n"
      "  'NAME': 'sessions_test', 'USER': 'postgres', 'HOST': '127.0.0.1', 'PORT': sys.argv[1]}})\n"
      "django.setup()\n"
      "from django.contrib.sessions.backends.db import SessionStore\n"
      "print(json.dumps(SessionStore(sys.argv[2]).load(), sort_keys=True))\n";
  const std::string command = "/usr/bin/python3 -c \"" + script + "\" " +
                              postgres_test::required_env("SESSIONS_TEST_POSTGRES_STANDBY_PORT", "the standby's port") +
                              " " + std::string(*for_django.session_key());
  std::string out;
  std::FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) out += buffer;
  CHECK(::pclose(pipe) == 0);
  CHECK(out == "{\"n\": 7, \"user\": \"alice\"}\n");
}
