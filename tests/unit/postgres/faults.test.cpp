// PostgresStore when the server goes away: stopped (connections closed, connecting refused) or
// frozen (SIGSTOP: connections and connection attempts hang). Every call fails with StorageError
// within its time bound, nothing crashes, and once the server is back the same store instance
// works again. Uses the control script of tests/servers/postgres.sh (SESSIONS_TEST_POSTGRES_CTL).

#include <chrono>
#include <string>

#include "postgres_support.hpp"
#include "support/catch.hpp"

using namespace postgres_test;
using sessions::PostgresStore;
using sessions::StorageError;
using Fixture = test_support::StoreFixture<PostgresStore>;

namespace {

using Steady = std::chrono::steady_clock;

// Brings the server back at the end of the scope, whatever happened.
struct Restore {
  std::string action;
  ~Restore() {
    try {
      control(action);
    } catch (...) {
    }
  }
};

// Runs `f`, expecting a StorageError; returns how long it took (or a huge value if it did not throw).
template <class F>
Steady::duration fails_within(F f, std::string& message) {
  const auto start = Steady::now();
  try {
    f();
  } catch (const StorageError& e) {
    message = e.what();
    return Steady::now() - start;
  }
  message = "(no exception)";
  return std::chrono::hours{1};
}

}  // namespace

TEST_CASE("PostgresStore: server stopped mid-test: StorageError at once; after a restart the same store works",
          "[postgres][faults]") {
  (void)control_script();  // fail early and clearly without the harness
  Fixture f;
  PostgresStore::Options o = f.options();
  o.connect_timeout = 2s;
  o.pool_size = 3;
  PostgresStore store(o);
  REQUIRE(store.create(kKey, "kept", f.clock.now() + 1h));
  {
    Restore restart{"start"};
    control("stop");
    std::string message;
    CHECK(fails_within([&] { (void)store.load(kKey); }, message) < 2s);
    INFO(message);
    CHECK(message.find("PostgresStore::load") != std::string::npos);
    CHECK(message.find("127.0.0.1") != std::string::npos);
    CHECK(fails_within([&] { (void)store.create(kKey2, "x", f.clock.now() + 1h); }, message) < 2s);
    CHECK(fails_within([&] { (void)store.update(kKey, "x", f.clock.now() + 1h); }, message) < 2s);
    CHECK(fails_within([&] { store.remove(kKey); }, message) < 2s);
    CHECK(fails_within([&] { (void)store.clear_expired(); }, message) < 2s);
    // A store cannot even be opened meanwhile.
    CHECK(fails_within([&] { PostgresStore another(o); }, message) < 2s);
  }
  // Back: the same instance reconnects.
  const auto record = store.load(kKey);
  REQUIRE(record);
  CHECK(record->payload == "kept");
  CHECK(store.update(kKey, "after", f.clock.now() + 1h));
  CHECK(store.create(kKey2, "new", f.clock.now() + 1h));
  CHECK(store.load(kKey)->payload == "after");
}

TEST_CASE("PostgresStore: server frozen: statements and connections time out; after a thaw the store works",
          "[postgres][faults]") {
  (void)control_script();
  Fixture f;
  PostgresStore::Options o = f.options();
  o.statement_timeout = 300ms;  // + 500 ms grace on the client
  o.connect_timeout = 500ms;
  o.pool_size = 2;
  PostgresStore store(o);
  REQUIRE(store.create(kKey, "kept", f.clock.now() + 1h));
  {
    Restore thaw{"thaw"};
    control("freeze");
    std::string message;
    // The pooled connection: the statement gets no answer.
    const auto statement = fails_within([&] { (void)store.load(kKey); }, message);
    INFO(message);
    CHECK(statement >= 700ms);
    CHECK(statement < 3s);
    CHECK(message.find("no answer") != std::string::npos);
    // A new connection: the server accepts nothing.
    const auto connecting = fails_within([&] { (void)store.exists(kKey); }, message);
    INFO(message);
    CHECK(connecting < 3s);
    CHECK(message.find("timed out") != std::string::npos);
  }
  CHECK(store.load(kKey)->payload == "kept");
  CHECK(store.update(kKey, "thawed", f.clock.now() + 1h));
  CHECK(store.load(kKey)->payload == "thawed");
}

TEST_CASE("PostgresStore: the server's statement_timeout ends a statement that waits too long", "[postgres][faults]") {
  Fixture f;
  PostgresStore::Options o = f.options();
  o.statement_timeout = 300ms;
  o.pool_size = 1;
  o.create_table = false;
  PostgresStore store(o);
  REQUIRE(store.create(kKey, "v", f.clock.now() + 1h));
  Raw locker;
  locker.exec("BEGIN");
  locker.exec("SELECT 1 FROM \"" + f.table + "\" WHERE session_key = $1 FOR UPDATE", {std::string(kKey)});
  std::string message;
  const auto took = fails_within([&] { (void)store.update(kKey, "w", f.clock.now() + 1h); }, message);
  INFO(message);
  CHECK(took < 2s);
  CHECK(message.find("statement timeout") != std::string::npos);
  locker.exec("ROLLBACK");
  // The connection survived the server-side cancellation.
  CHECK(store.update(kKey, "w", f.clock.now() + 1h));
  CHECK(store.load(kKey)->payload == "w");
}

namespace {
// Undoes the role setting of the read-only test whatever happens (the server outlives the test).
struct ReadWriteAgain {
  Raw& admin;
  ~ReadWriteAgain() {
    try {
      admin.exec("ALTER ROLE CURRENT_USER RESET default_transaction_read_only");
    } catch (...) {
    }
  }
};
}  // namespace

TEST_CASE("PostgresStore: a connection that turned read-only (SQLSTATE 25006) is replaced, not reused",
          "[postgres][faults][failover]") {
  // After a failover the old primary may come back as a standby: its connections refuse writes
  // with 25006 for as long as they live. The store must drop them, so that the next connection
  // (libpq's host list, target_session_attrs=read-write) reaches the new primary. Here the
  // server's own read-only default plays the standby.
  Fixture f;  // creates the table
  Raw admin;  // opened read-write, before the role turns read-only
  PostgresStore::Options o = f.options();
  o.create_table = false;
  o.pool_size = 2;
  ReadWriteAgain restore{admin};
  admin.exec("ALTER ROLE CURRENT_USER SET default_transaction_read_only = on");
  PostgresStore store(o);
  try {
    (void)store.create(kKey, "v", f.clock.now() + 1h);
    FAIL("a write on a read-only connection succeeded");
  } catch (const sessions::StorageError& e) {
    CHECK(std::string(e.what()).find("read-only transaction") != std::string::npos);
  }
  admin.exec("ALTER ROLE CURRENT_USER RESET default_transaction_read_only");
  CHECK(store.create(kKey, "v", f.clock.now() + 1h));
  CHECK(store.load(kKey)->payload == "v");
}
