// RedisStore on a Redis Cluster. The slot and redirect tests run everywhere; the tests tagged
// [cluster] are hidden from the plain run and run by ctest's redis_cluster test inside
// tests/servers/redis_cluster.sh (three primaries, three replicas), together with the shared
// behaviour and lost-update suites over the same cluster.
//
// Under load (threads running request cycles through the middleware): a slot migrated by hand
// (MIGRATING/IMPORTING, MIGRATE, the store following ASK and then MOVED) must cost no request and
// no session; a primary killed with SIGKILL costs requests (typed StorageError only) until its
// replica takes over, and the figures are printed: failed requests, time until every thread
// succeeds again, acknowledged writes lost (none with wait_replicas=1).

#include <chrono>
#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "failover_load.hpp"
#include "redis_support.hpp"
#include "support/catch.hpp"
#include "support/request_load.hpp"

using namespace std::chrono_literals;
using sessions::RedisAddress;
using sessions::RedisStore;
namespace rs = sessions::detail::redis_store;

namespace {

void cluster_ctl(const std::string& args) {
  const std::string command = redis_test::require_env("SESSIONS_TEST_REDIS_CLUSTER_CTL") + " " + args;
  if (std::system(command.c_str()) != 0) throw std::runtime_error("'" + command + "' failed");
}

// One line of CLUSTER NODES.
struct ClusterNodeLine {
  std::string id;
  RedisAddress address;
  std::string flags;
  std::vector<std::string> slots;  // "0-5460", ...
  [[nodiscard]] bool primary() const { return flags.find("master") != std::string::npos; }
  [[nodiscard]] bool failed() const { return flags.find("fail") != std::string::npos; }
};

// CLUSTER NODES as a live node of the harness's URL sees it.
std::vector<ClusterNodeLine> cluster_nodes(const RedisAddress& except = {}) {
  const sessions::RedisOptions o = RedisStore::options_from_url(redis_test::url());
  for (const RedisAddress& seed : o.cluster_nodes) {
    if (seed == except) continue;
    try {
      redis_test::Admin admin(seed);
      const auto reply = admin.command({"CLUSTER", "NODES"});
      std::istringstream text(std::string(reply->str, reply->len));
      std::vector<ClusterNodeLine> out;
      for (std::string line; std::getline(text, line);) {
        std::istringstream fields(line);
        ClusterNodeLine n;
        std::string address, master, ping, pong, epoch, link;
        fields >> n.id >> address >> n.flags >> master >> ping >> pong >> epoch >> link;
        address = address.substr(0, address.find('@'));
        n.address = RedisAddress{address.substr(0, address.rfind(':')),
                                 static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)))};
        for (std::string slot; fields >> slot;) n.slots.push_back(slot);
        out.push_back(n);
      }
      return out;
    } catch (const std::exception&) {
    }
  }
  throw std::runtime_error("no node of the test cluster answers");
}

sessions::RedisOptions cluster_options(int wait_replicas) {
  sessions::RedisOptions o = redis_test::failover_options(wait_replicas);
  REQUIRE_FALSE(o.cluster_nodes.empty());  // run through tests/servers/redis_cluster.sh
  return o;
}

redis_test::FailoverFigures kill_a_primary_under_load(int wait_replicas) {
  cluster_ctl("wait-ok");
  const sessions::RedisOptions o = cluster_options(wait_replicas);
  // A primary that is not the first seed (the helpers ask that one first).
  ClusterNodeLine victim;
  for (const auto& n : cluster_nodes()) {
    if (n.primary() && !n.failed() && !(n.address == o.cluster_nodes.front())) victim = n;
  }
  REQUIRE_FALSE(victim.id.empty());
  return redis_test::failover_under_load(
      "cluster", wait_replicas, [&] { cluster_ctl("kill " + std::to_string(victim.address.port)); },
      [&] {
        // Once a replica has taken the victim's slots, the victim comes back (empty: it has no
        // persistence) and rejoins as a replica.
        const auto deadline = fault_test::Steady::now() + 10s;
        for (;;) {
          bool taken_over = false;
          for (const auto& n : cluster_nodes(victim.address)) {
            if (n.id == victim.id) taken_over = n.failed() && n.slots.empty();
          }
          if (taken_over) break;
          if (fault_test::Steady::now() > deadline) return false;
          std::this_thread::sleep_for(50ms);
        }
        cluster_ctl("restart " + std::to_string(victim.address.port));
        return true;
      });
}

}  // namespace

TEST_CASE("Redis Cluster key slots: CRC16/XMODEM, hash tags as Redis defines them", "[redis][cluster_slots]") {
  STATIC_REQUIRE(rs::crc16("123456789") == 0x31C3);  // the CRC16/XMODEM check value
  // Values from the Redis Cluster specification and CLUSTER KEYSLOT.
  CHECK(rs::key_slot("foo") == 12182);
  CHECK(rs::key_slot("bar") == 5061);
  CHECK(rs::key_slot("{user1000}.following") == rs::key_slot("{user1000}.followers"));
  CHECK(rs::key_slot("{user1000}.following") == rs::key_slot("user1000"));
  CHECK(rs::key_slot("foo{}{bar}") == rs::key_slot("foo{}{bar}"));
  CHECK(rs::key_slot("foo{}{bar}") != rs::key_slot("bar"));  // an empty tag: the whole key counts
  CHECK(rs::key_slot("foo{{bar}}zap") == rs::key_slot("{bar"));
  CHECK(rs::key_slot("foo{bar}{zap}") == rs::key_slot("bar"));
  CHECK(rs::key_slot("") == 0);
}

TEST_CASE("Redis Cluster redirects: MOVED and ASK parsed, anything else is not one", "[redis][cluster_slots]") {
  auto error = [](std::string text) {
    redisReply r{};
    r.type = REDIS_REPLY_ERROR;
    r.str = text.data();
    r.len = text.size();
    return rs::parse_redirect(r);
  };
  const auto moved = error("MOVED 3999 127.0.0.1:6381");
  REQUIRE(moved);
  CHECK_FALSE(moved->ask);
  CHECK(moved->slot == 3999);
  CHECK(moved->to == RedisAddress{"127.0.0.1", 6381});
  const auto ask = error("ASK 16383 [::1]:7000");
  REQUIRE(ask);
  CHECK(ask->ask);
  CHECK(ask->slot == 16383);
  CHECK(ask->to == RedisAddress{"::1", 7000});
  CHECK_FALSE(error("MOVED 16384 127.0.0.1:6381"));
  CHECK_FALSE(error("MOVED x 127.0.0.1:6381"));
  CHECK_FALSE(error("MOVED 1 127.0.0.1"));
  CHECK_FALSE(error("MOVED 1 127.0.0.1:0"));
  CHECK_FALSE(error("READONLY You can't write against a read only replica."));
}

TEST_CASE("redis+cluster:// URLs", "[redis][url]") {
  const auto o = RedisStore::options_from_url("redis+cluster://:pw@10.0.0.1:7000,10.0.0.2?wait_replicas=1&timeout=500");
  REQUIRE(o.cluster_nodes.size() == 2);
  CHECK(o.cluster_nodes[0] == RedisAddress{"10.0.0.1", 7000});
  CHECK(o.cluster_nodes[1] == RedisAddress{"10.0.0.2", 6379});
  CHECK(o.password == "pw");
  CHECK(o.wait_replicas == 1);
  CHECK_THROWS_AS(RedisStore::options_from_url("redis+cluster://10.0.0.1/2"), sessions::ConfigurationError);
  CHECK_THROWS_AS(RedisStore::options_from_url("redis+cluster:///"), sessions::ConfigurationError);
  CHECK_THROWS_AS(RedisStore(RedisStore::options_from_url("redis+cluster://10.0.0.1?db=1")),
                  sessions::ConfigurationError);
}

TEST_CASE("Cluster: sessions spread over every primary, each read back", "[.][cluster]") {
  cluster_ctl("wait-ok");
  RedisStore store(cluster_options(0));
  sessions::Settings settings;
  const fault_test::WrittenSessions<RedisStore> written(store, settings, 60);
  CHECK(written.intact(store, settings) == 60);
  int primaries_with_keys = 0;
  for (const auto& n : cluster_nodes()) {
    if (!n.primary() || n.failed()) continue;
    redis_test::Admin admin(n.address);
    if (admin.command({"DBSIZE"})->integer > 0) ++primaries_with_keys;
  }
  CHECK(primaries_with_keys == 3);  // 60 random keys on 3 primaries: all of them hold some
}

TEST_CASE("Cluster: a slot migrated under load (ASK, then MOVED) loses nothing and fails nothing",
          "[.][cluster][migration]") {
  cluster_ctl("wait-ok");
  sessions::RedisOptions o = cluster_options(0);
  // A hash tag puts every session of this store in one slot: the slot that is migrated.
  o.key_prefix = "{" + redis_test::unique_prefix("migrate") + "}:";
  const std::string tag = o.key_prefix.substr(1, o.key_prefix.find('}') - 1);
  const std::uint16_t slot = rs::key_slot(tag);
  RedisStore store(o);
  sessions::Settings settings;
  const fault_test::WrittenSessions<RedisStore> before(store, settings, 20);

  ClusterNodeLine source, target;
  for (const auto& n : cluster_nodes()) {
    if (!n.primary() || n.failed()) continue;
    bool owns = false;
    for (const std::string& range : n.slots) {
      const std::size_t dash = range.find('-');
      const int first = std::stoi(range.substr(0, dash));
      const int last = dash == std::string::npos ? first : std::stoi(range.substr(dash + 1));
      owns = owns || (slot >= first && slot <= last);
    }
    if (owns) {
      source = n;
    } else if (target.id.empty()) {
      target = n;
    }
  }
  REQUIRE_FALSE(source.id.empty());
  REQUIRE_FALSE(target.id.empty());
  redis_test::Admin from(source.address);
  redis_test::Admin to(target.address);
  const auto asking_before = to.commandstats()["asking"];

  fault_test::RequestLoad<RedisStore> load(store, settings, 4);
  std::this_thread::sleep_for(200ms);
  const std::string s = std::to_string(slot);
  (void)to.command({"CLUSTER", "SETSLOT", s, "IMPORTING", source.id});
  (void)from.command({"CLUSTER", "SETSLOT", s, "MIGRATING", target.id});
  // A few keys at a time, with requests running in between: some keys are on each side.
  for (int round = 0; round < 200; ++round) {
    const auto keys = from.command({"CLUSTER", "GETKEYSINSLOT", s, "3"});
    if (keys->elements == 0) break;
    std::vector<std::string> migrate{
        "MIGRATE", target.address.host, std::to_string(target.address.port), "", "0", "5000", "KEYS"};
    for (std::size_t i = 0; i < keys->elements; ++i) migrate.emplace_back(keys->element[i]->str, keys->element[i]->len);
    const auto reply = from.command(migrate);
    REQUIRE(reply->type != REDIS_REPLY_ERROR);
    std::this_thread::sleep_for(20ms);
  }
  (void)to.command({"CLUSTER", "SETSLOT", s, "NODE", target.id});
  (void)from.command({"CLUSTER", "SETSLOT", s, "NODE", target.id});
  std::this_thread::sleep_for(300ms);  // requests now meet MOVED and follow it
  load.stop();
  const auto counts = load.counts();
  INFO("a failure: " << load.sample_storage_error());
  CHECK(counts.ok > 0);
  CHECK(counts.storage_errors == 0);
  CHECK(counts.other == 0);
  CHECK(counts.interrupted == 0);
  CHECK(counts.lost_acknowledged == 0);
  CHECK(load.unreadable_last_writes(settings) == 0);
  CHECK(before.intact(store, settings) == 20);
  CHECK(to.commandstats()["asking"] > asking_before);  // the store did follow ASK
  CHECK(to.command({"CLUSTER", "COUNTKEYSINSLOT", s})->integer > 0);
  CHECK(from.command({"CLUSTER", "COUNTKEYSINSLOT", s})->integer == 0);
}

TEST_CASE("Cluster: a primary killed under load, without WAIT", "[.][cluster][failover]") {
  const auto f = kill_a_primary_under_load(0);
  CHECK(f.failed > 0);  // the outage was real
}

TEST_CASE("Cluster: a primary killed under load, with wait_replicas=1: no acknowledged write lost",
          "[.][cluster][failover]") {
  const auto f = kill_a_primary_under_load(1);
  CHECK(f.failed > 0);
  CHECK(f.lost == 0);
  CHECK(f.written_before_intact == 20);
}
