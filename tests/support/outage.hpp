#pragma once
// Server outages under load, shared by the {redis,memcached,postgres}/outage_under_load tests:
// request threads (support/request_load.hpp) run full session cycles while the test stops,
// pauses or freezes the server one or more times. The driver checks what holds for every network
// store: each failure is a typed sessions error, the outages were met, requests succeeded, none
// took longer than the store's timeouts allow, and every thread succeeds again after each
// outage. What differs per server (what an outage is, how to probe it, what survives it) stays in
// the test.

#include <chrono>
#include <functional>
#include <thread>

#include "support/catch.hpp"
#include "support/request_load.hpp"

namespace fault_test {

/// True once `probe` returns without a StorageError (the server answers again), polling every
/// `interval` for at most `limit`.
template <class Probe>
[[nodiscard]] bool back_within(Probe&& probe, std::chrono::milliseconds limit, std::chrono::milliseconds interval) {
  const auto deadline = Steady::now() + limit;
  while (Steady::now() < deadline) {
    try {
      probe();
      return true;
    } catch (const sessions::StorageError&) {
      std::this_thread::sleep_for(interval);
    }
  }
  return false;
}

struct OutagePlan {
  int threads = 4;
  std::chrono::milliseconds warmup{300};  // requests running before the first outage
  int outages = 1;
  /// Ends with the server started (or resumed) again; the requests meanwhile run into it.
  std::function<void()> outage{};
  /// A request that throws StorageError while the server is down; when set, the server must
  /// answer it within `recovery_limit` after each outage.
  std::function<void()> probe{};
  std::chrono::milliseconds probe_interval{20};
  /// After each outage, every thread must succeed again within this.
  std::chrono::milliseconds recovery_limit{5000};
  /// Requests running after the last outage before the load stops.
  std::chrono::milliseconds settle{0};
  /// No request, failed or not, may take this long (the store's timeouts bound it).
  std::chrono::milliseconds slowest_limit{3000};
};

/// Runs the plan over `store` and checks what holds for every store (see the file comment);
/// returns the counts for the test's own checks (acknowledged writes lost, SessionInterrupted).
template <class Store>
typename RequestLoad<Store>::Counts run_outages(Store& store, const sessions::Settings& settings,
                                                const OutagePlan& plan) {
  RequestLoad<Store> load(store, settings, plan.threads);
  std::this_thread::sleep_for(plan.warmup);
  const long ok_before = load.counts().ok;
  for (int i = 0; i < plan.outages; ++i) {
    plan.outage();
    const auto back = Steady::now();
    if (plan.probe) REQUIRE(back_within(plan.probe, plan.recovery_limit, plan.probe_interval));
    CHECK(load.wait_for_success_since(back, plan.recovery_limit));
  }
  std::this_thread::sleep_for(plan.settle);
  load.stop();

  const auto counts = load.counts();
  INFO("ok " << counts.ok << " (" << ok_before << " before the first outage), acknowledged but lost "
             << counts.lost_acknowledged << ", StorageError " << counts.storage_errors << ", interrupted "
             << counts.interrupted << ", other " << counts.other << ", slowest " << load.slowest().count()
             << " ms; sample: " << load.sample_storage_error());
  for (const auto& m : load.other_messages()) UNSCOPED_INFO("untyped failure: " << m);
  CHECK(counts.other == 0);
  CHECK(counts.storage_errors >= plan.outages);  // every outage was met
  CHECK(counts.ok > 0);
  CHECK(load.slowest() < plan.slowest_limit);
  // Every thread succeeded after the last outage and nothing failed since: each one's last
  // acknowledged write must read back, whatever the outage cost before it.
  CHECK(load.threads_with_acknowledged_writes() == plan.threads);
  // The read-back runs once the server answers the probe again: a client library may keep a
  // server it saw fail disabled for a moment (libmemcached's "disabled until timed retry"), and
  // this checks what was kept, not how soon the client retries.
  if (plan.probe) REQUIRE(back_within(plan.probe, plan.recovery_limit, plan.probe_interval));
  CHECK(load.unreadable_last_writes(settings) == 0);
  return counts;
}

}  // namespace fault_test
