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

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "failover_load.hpp"
#include "redis_support.hpp"
#include "support/catch.hpp"

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
  sessions::RedisOptions o = redis_test::failover_options(wait_replicas);
  REQUIRE_FALSE(o.sentinels.empty());  // run through tests/servers/redis_sentinel.sh
  return o;
}

redis_test::FailoverFigures kill_the_primary_under_load(int wait_replicas) {
  sentinel_ctl("wait-replica");
  REQUIRE_FALSE(sentinel_options(wait_replicas).sentinels.empty());
  std::string killed;
  return redis_test::failover_under_load(
      "sentinel", wait_replicas, [&] { killed = sentinel_ctl("kill-primary"); },
      [&] {
        // Once the sentinels name another primary, the killed server comes back as its replica.
        const auto deadline = fault_test::Steady::now() + 10s;
        while (sentinel_ctl("primary") == killed) {
          if (fault_test::Steady::now() > deadline) return false;
          std::this_thread::sleep_for(50ms);
        }
        sentinel_ctl("restart " + killed);
        return true;
      });
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
  const auto f = kill_the_primary_under_load(0);
  CHECK(f.failed > 0);  // the outage was real
  CHECK(f.outage_ms < 10000);
}

TEST_CASE("Sentinel: the primary killed under load, with wait_replicas=1: no acknowledged write lost",
          "[.][sentinel][failover]") {
  const auto f = kill_the_primary_under_load(1);
  CHECK(f.failed > 0);
  CHECK(f.lost == 0);
  CHECK(f.written_before_intact == 20);
}
