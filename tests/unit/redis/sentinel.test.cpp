// RedisStore behind Redis Sentinel. The URL tests run everywhere; the tests tagged [sentinel] are
// hidden from the plain run and run by ctest's redis_sentinel test inside
// tests/servers/redis_sentinel.sh (a primary, a replica, three sentinels), together with the
// shared behaviour suite ([session]) over the same deployment.
//
// The failover test kills the primary (SIGKILL) while four threads run request cycles and counts
// what the issue asks for: the requests that failed (every one a typed StorageError), the time
// until every thread succeeds again, and the acknowledged writes lost. A supervisor restarts the
// killed server as a replica of the new primary once the sentinels have promoted one, as
// systemd's Restart= and a rewritten configuration would.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "redis_support.hpp"
#include "support/catch.hpp"
#include "support/request_load.hpp"

using namespace std::chrono_literals;
using sessions::RedisStore;

namespace {

std::string sentinel_ctl(const std::string& args) {
  const std::string command = redis_test::require_env("SESSIONS_TEST_REDIS_SENTINEL_CTL") + " " + args;
  std::string out;
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run " + command);
  char buffer[256];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) out += buffer;
  if (::pclose(pipe) != 0) throw std::runtime_error("'" + command + "' failed");
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

sessions::RedisOptions sentinel_options(int wait_replicas) {
  sessions::RedisOptions o = redis_test::options();
  REQUIRE_FALSE(o.sentinels.empty());  // run through tests/servers/redis_sentinel.sh
  o.connect_timeout = 200ms;
  o.command_timeout = 300ms;
  o.reconnect_backoff = 20ms;
  o.reconnect_backoff_max = 100ms;
  o.wait_replicas = wait_replicas;
  o.wait_timeout = 200ms;
  return o;
}

struct FailoverFigures {
  long failed = 0;
  long long recover_ms = 0;
  long lost = 0;
  int written_before_intact = 0;
};

FailoverFigures failover_under_load(int wait_replicas) {
  sentinel_ctl("wait-replica");
  sessions::Settings settings;
  RedisStore store(sentinel_options(wait_replicas));
  const fault_test::WrittenSessions<RedisStore> before(store, settings, 20);
  fault_test::RequestLoad<RedisStore> load(store, settings, 4);
  std::this_thread::sleep_for(300ms);
  const long failed_before = load.counts().storage_errors;
  const std::string killed = sentinel_ctl("kill-primary");
  const auto killed_at = fault_test::Steady::now();  // after the kill: no success before it counts
  // The supervisor: once the sentinels name another primary, the killed server comes back as its
  // replica (with wait_replicas, writes can be confirmed again only then).
  bool restarted = false;
  std::thread supervisor([&] {
    const auto deadline = fault_test::Steady::now() + 10s;
    try {
      while (sentinel_ctl("primary") == killed && fault_test::Steady::now() < deadline) {
        std::this_thread::sleep_for(50ms);
      }
      sentinel_ctl("restart " + killed);
      restarted = true;
    } catch (const std::exception&) {
    }
  });
  const bool recovered = load.wait_for_success_since(killed_at, 10s);
  const auto recovered_at = fault_test::Steady::now();
  supervisor.join();
  REQUIRE(restarted);
  REQUIRE(recovered);
  FailoverFigures figures;
  std::this_thread::sleep_for(300ms);
  load.stop();
  const auto counts = load.counts();
  // Until the last failed request: with several shards, a thread whose session lives on another
  // one may succeed again before the failover is over.
  figures.recover_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::max(load.last_failure(), recovered_at) - killed_at)
          .count();
  INFO("an untyped failure: " << (load.other_messages().empty() ? "" : load.other_messages().front()));
  CHECK(counts.other == 0);
  figures.failed = counts.storage_errors - failed_before;
  figures.lost = counts.lost_acknowledged + load.unreadable_last_writes(settings);
  figures.written_before_intact = before.intact(store, settings);
  std::printf(
      "sentinel failover (wait_replicas=%d): %ld requests ok, %ld failed (StorageError), failures for %lld ms after "
      "the kill, "
      "%ld acknowledged writes lost, %d of 20 earlier sessions intact; a failure: %s\n",
      wait_replicas, counts.ok, figures.failed, figures.recover_ms, figures.lost, figures.written_before_intact,
      load.sample_storage_error().c_str());
  return figures;
}

}  // namespace

TEST_CASE("redis+sentinel:// URLs", "[redis][url]") {
  const auto o = RedisStore::options_from_url(
      "redis+sentinel://app:pw@10.0.0.1:26380,10.0.0.2/mymaster?db=2&wait_replicas=1&wait_timeout_ms=50"
      "&sentinel_password=s3");
  REQUIRE(o.sentinels.size() == 2);
  CHECK(o.sentinels[0] == sessions::RedisAddress{"10.0.0.1", 26380});
  CHECK(o.sentinels[1] == sessions::RedisAddress{"10.0.0.2", 26379});
  CHECK(o.sentinel_service == "mymaster");
  CHECK(o.db == 2);
  CHECK(o.username == "app");
  CHECK(o.password == "pw");
  CHECK(o.sentinel_password == "s3");
  CHECK(o.wait_replicas == 1);
  CHECK(o.wait_timeout == 50ms);
  CHECK_THROWS_AS(RedisStore::options_from_url("redis+sentinel://10.0.0.1/"), sessions::ConfigurationError);
  CHECK_THROWS_AS(RedisStore::options_from_url("redis+sentinel:///mymaster"), sessions::ConfigurationError);
  CHECK_THROWS_AS(RedisStore::options_from_url("redis://h/0?sentinel_password=x"), sessions::ConfigurationError);
  // WAIT must end before the socket timeout, and WAIT 0 would wait for ever.
  CHECK_THROWS_AS(
      RedisStore(RedisStore::options_from_url("redis://h?wait_replicas=1&wait_timeout_ms=2000&timeout=1000")),
      sessions::ConfigurationError);
  CHECK_THROWS_AS(RedisStore(RedisStore::options_from_url("redis://h?wait_replicas=1&wait_timeout_ms=0")),
                  sessions::ConfigurationError);
}

TEST_CASE("Sentinel: a service no sentinel monitors is a StorageError naming it", "[.][sentinel]") {
  sessions::RedisOptions o = sentinel_options(0);
  o.sentinel_service = "no-such-service";
  RedisStore store(o);
  try {
    (void)store.load("abcdefghijklmnopqrstuvwxyz012345");
    FAIL("no StorageError");
  } catch (const sessions::StorageError& e) {
    CHECK(std::string(e.what()).find("'no-such-service'") != std::string::npos);
  }
}

TEST_CASE("Sentinel: writes reach the primary, and WAIT confirms them on the replica", "[.][sentinel]") {
  sentinel_ctl("wait-replica");
  RedisStore store(sentinel_options(1));
  sessions::Settings settings;
  sessions::Session<RedisStore> s(store, settings);
  s.set("cart", 3);
  s.save();
  redis_test::Admin primary;
  CHECK(primary.get(store.cache_key(*s.session_key())).has_value());
  // The replica was confirmed by WAIT: it has the record now, not eventually.
  const auto role = primary.command({"ROLE"});
  REQUIRE(role->elements >= 3);
  REQUIRE(role->element[2]->elements >= 1);
  const auto* replica = role->element[2]->element[0];
  const std::string host(replica->element[0]->str, replica->element[0]->len);
  const int port = std::stoi(std::string(replica->element[1]->str, replica->element[1]->len));
  sessions::detail::redis_store::Context c(redisConnect(host.c_str(), port));
  REQUIRE(c);
  REQUIRE(c->err == 0);
  sessions::detail::redis_store::Reply got(
      static_cast<redisReply*>(redisCommand(c.get(), "GET %s", store.cache_key(*s.session_key()).c_str())));
  REQUIRE(got);
  CHECK(got->type == REDIS_REPLY_STRING);
}

TEST_CASE("Sentinel: the primary killed under load, without WAIT", "[.][sentinel][failover]") {
  const FailoverFigures f = failover_under_load(0);
  CHECK(f.failed > 0);  // the outage was real
  CHECK(f.recover_ms < 10000);
}

TEST_CASE("Sentinel: the primary killed under load, with wait_replicas=1: no acknowledged write lost",
          "[.][sentinel][failover]") {
  const FailoverFigures f = failover_under_load(1);
  CHECK(f.failed > 0);
  CHECK(f.lost == 0);
  CHECK(f.written_before_intact == 20);
}
