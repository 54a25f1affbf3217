// The connection pool every connection-holding store uses (storage/detail/pool.hpp), without a
// server: connections are counted objects, so reuse, discard, the size bound and the deadline are
// observed directly. Deadlines are asserted by the typed error, never by elapsed time.

#include "sessions/storage/detail/pool.hpp"

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/catch.hpp"

namespace {

using namespace std::chrono_literals;
using sessions::detail::ConnectionPool;
using sessions::detail::PoolSettings;

/// Counts connections alive (opened and not yet closed) and the most ever alive at once.
struct Census {
  std::atomic<int> alive{0};
  std::atomic<int> peak{0};
  std::atomic<int> opened{0};
};

struct FakeConnection {
  explicit FakeConnection(Census& c, int number) : census(&c), id(number) {
    const int now = ++c.alive;
    int peak = c.peak.load();
    while (now > peak && !c.peak.compare_exchange_weak(peak, now)) {
    }
    ++c.opened;
  }
  ~FakeConnection() { --census->alive; }
  FakeConnection(const FakeConnection&) = delete;
  FakeConnection& operator=(const FakeConnection&) = delete;
  Census* census;
  int id;
  bool dead = false;
};
using Conn = std::unique_ptr<FakeConnection>;

PoolSettings settings(std::size_t size, std::chrono::milliseconds timeout = 20ms) {
  PoolSettings s;
  s.pool_size = size;
  s.pool_timeout = timeout;
  return s;
}

std::string context(const std::string& what) { return "TestStore::op: " + what + " (host, key abcd...)"; }

}  // namespace

TEST_CASE("pool: a released connection is reused, not reopened", "[pool]") {
  Census census;
  ConnectionPool<Conn> pool("TestStore", settings(2));
  const auto connect = [&] { return std::make_unique<FakeConnection>(census, census.opened.load()); };
  int first_id = -1;
  {
    auto lease = pool.acquire(connect, context);
    CHECK(lease.fresh());
    first_id = lease.get()->id;
  }
  auto again = pool.acquire(connect, context);
  CHECK_FALSE(again.fresh());
  CHECK(again.get()->id == first_id);
  CHECK(census.opened == 1);
  CHECK(pool.state().open == 1);
}

TEST_CASE("pool: a discarded connection is closed and its slot freed", "[pool]") {
  Census census;
  ConnectionPool<Conn> pool("TestStore", settings(1));
  const auto connect = [&] { return std::make_unique<FakeConnection>(census, census.opened.load()); };
  {
    auto lease = pool.acquire(connect, context);
    lease.discard();
    CHECK(census.alive == 0);
  }
  CHECK(pool.state().open == 0);
  auto next = pool.acquire(connect, context);  // the only slot is free again
  CHECK(next.fresh());
  CHECK(census.opened == 2);
}

TEST_CASE("pool: an idle connection that died is dropped and replaced", "[pool]") {
  Census census;
  ConnectionPool<Conn> pool("TestStore", settings(1));
  const auto connect = [&] { return std::make_unique<FakeConnection>(census, census.opened.load()); };
  const auto healthy = [](const Conn& c) { return !c->dead; };
  { pool.acquire(connect, healthy, context).get()->dead = true; }
  auto lease = pool.acquire(connect, healthy, context);
  CHECK(lease.fresh());
  CHECK(census.alive == 1);
}

TEST_CASE("pool: when every connection is lent, acquire gives up at the deadline with StorageTimeout", "[pool]") {
  Census census;
  ConnectionPool<Conn> pool("TestStore", settings(2, 10ms));
  const auto connect = [&] { return std::make_unique<FakeConnection>(census, census.opened.load()); };
  auto a = pool.acquire(connect, context);
  auto b = pool.acquire(connect, context);
  try {
    (void)pool.acquire(connect, context);
    FAIL("acquire returned although every connection was lent");
  } catch (const sessions::StorageTimeout& e) {
    const std::string what = e.what();
    CHECK(what.starts_with("TestStore::op: no free connection within 10 ms (pool_size 2)"));
  }
  CHECK(census.opened == 2);
}

TEST_CASE("pool: the size bound holds under threads", "[pool]") {
  Census census;
  constexpr std::size_t kSize = 3;
  ConnectionPool<Conn> pool("TestStore", settings(kSize, 10s));
  const auto connect = [&] { return std::make_unique<FakeConnection>(census, census.opened.load()); };
  std::atomic<int> lent{0};
  std::atomic<int> most_lent{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        auto lease = pool.acquire(connect, context);
        const int now = ++lent;
        int seen = most_lent.load();
        while (now > seen && !most_lent.compare_exchange_weak(seen, now)) {
        }
        if ((i + t) % 17 == 0) lease.discard();  // some connections break
        --lent;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(census.peak <= static_cast<int>(kSize));
  CHECK(most_lent <= static_cast<int>(kSize));
  CHECK(pool.state().open <= kSize);
  CHECK(pool.state().open == pool.state().idle);
}

TEST_CASE("pool: a failed connect frees its slot and starts the back-off", "[pool]") {
  PoolSettings s = settings(1);
  s.backoff = 1h;  // long enough that the second call is inside it, whatever the machine's speed
  s.backoff_max = 1h;
  ConnectionPool<Conn> pool("TestStore", s, sessions::Logger::silent());
  int attempts = 0;
  const auto refuse = [&]() -> Conn {
    ++attempts;
    throw sessions::StorageError("cannot connect: refused");
  };
  CHECK_THROWS_WITH(pool.acquire(refuse, context), Catch::Contains("TestStore::op: cannot connect: refused"));
  CHECK(pool.state().open == 0);
  CHECK_THROWS_WITH(pool.acquire(refuse, context), Catch::Contains("next connection attempt in"));
  CHECK(attempts == 1);
}

TEST_CASE("pool: one validation rule for size and timeout", "[pool]") {
  CHECK_THROWS_AS(ConnectionPool<Conn>("TestStore", settings(0)), sessions::ConfigurationError);
  CHECK_THROWS_AS(ConnectionPool<Conn>("TestStore", settings(1, 0ms)), sessions::ConfigurationError);
  PoolSettings s = settings(1);
  s.backoff = 10ms;
  s.backoff_max = 1ms;
  CHECK_THROWS_AS(ConnectionPool<Conn>("TestStore", s), sessions::ConfigurationError);
}
