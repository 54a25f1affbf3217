#pragma once
// A Redis primary killed while four threads run request cycles through the middleware (Sentinel
// and Cluster tests): the figures the scale-out documentation reports. The test supplies how to
// kill a primary and a supervisor that restarts it once the failover has happened (as systemd's
// Restart= would; with wait_replicas, writes can be confirmed again only then).

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>

#include "redis_support.hpp"
#include "support/catch.hpp"
#include "support/request_load.hpp"

namespace redis_test {

/// Short timeouts and back-off, so that the store notices the failover's end at once.
inline sessions::RedisOptions failover_options(int wait_replicas) {
  sessions::RedisOptions o = options();
  o.connect_timeout = 200ms;
  o.command_timeout = 300ms;
  o.reconnect_backoff = 20ms;
  o.reconnect_backoff_max = 100ms;
  o.wait_replicas = wait_replicas;
  o.wait_timeout = 200ms;
  return o;
}

struct FailoverFigures {
  long failed = 0;          // requests that failed with StorageError after the kill
  long long outage_ms = 0;  // from the kill until requests succeed again (see below)
  long lost = 0;            // acknowledged writes that did not last
  int written_before_intact = 0;
};

/// `kill()` kills a primary and returns when it is dead; `supervise()` (on its own thread) waits
/// for the failover and restarts the killed server, and returns false when it could not.
inline FailoverFigures failover_under_load(const char* what, int wait_replicas, const std::function<void()>& kill,
                                           const std::function<bool()>& supervise) {
  sessions::Settings settings;
  sessions::RedisStore store(failover_options(wait_replicas));
  const fault_test::WrittenSessions<sessions::RedisStore> before(store, settings, 20);
  fault_test::RequestLoad<sessions::RedisStore> load(store, settings, 4);
  std::this_thread::sleep_for(300ms);
  const long failed_before = load.counts().storage_errors;
  kill();
  const auto killed_at = fault_test::Steady::now();  // after the kill: no success before it counts
  bool restarted = false;
  std::thread supervisor([&] {
    try {
      restarted = supervise();
    } catch (const std::exception&) {
    }
  });
  const bool recovered = load.wait_for_success_since(killed_at, 15s);
  const auto recovered_at = fault_test::Steady::now();
  supervisor.join();
  REQUIRE(restarted);
  REQUIRE(recovered);
  std::this_thread::sleep_for(300ms);
  load.stop();
  const auto counts = load.counts();
  INFO("an untyped failure: " << (load.other_messages().empty() ? "" : load.other_messages().front()));
  CHECK(counts.other == 0);
  FailoverFigures figures;
  // Until every thread has succeeded again, or until the last failed request when that is later
  // (with several shards, a thread whose session lives on another one may succeed again before
  // the failover is over).
  figures.outage_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::max(load.last_failure(), recovered_at) - killed_at)
          .count();
  figures.failed = counts.storage_errors - failed_before;
  figures.lost = counts.lost_acknowledged + load.unreadable_last_writes(settings);
  figures.written_before_intact = before.intact(store, settings);
  std::printf(
      "%s failover (wait_replicas=%d): %ld requests ok, %ld failed (StorageError), requests succeed again "
      "%lld ms after the kill, %ld acknowledged writes lost, %d of 20 earlier sessions intact; a failure: %s\n",
      what, wait_replicas, counts.ok, figures.failed, figures.outage_ms, figures.lost, figures.written_before_intact,
      load.sample_storage_error().c_str());
  return figures;
}

}  // namespace redis_test
