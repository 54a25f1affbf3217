#pragma once
// Concurrency checks shared by the SQL stores' tests (SqliteStore here, PostgresStore in
// tests/unit/postgres): any ByteStorage shared by 8 threads.

#include <atomic>
#include <barrier>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sessions/session.hpp"
#include "sessions/session_key.hpp"
#include "support/catch.hpp"

namespace sql_concurrency {

using namespace std::chrono_literals;

inline constexpr int kThreads = 8;

/// Each of 8 threads creates sessions, saves them (several times), reads each one back through a
/// fresh Session and deletes every third. At the end every surviving session holds exactly the
/// last data its thread saved, every deleted one is gone, and no thread saw a wrong value.
template <class Store>
void many_sessions(Store& store, const sessions::Settings& settings, int iterations = 30) {
  using S = sessions::Session<Store>;
  std::atomic<int> errors{0};
  std::mutex mutex;
  std::string first_error;
  std::vector<std::map<std::string, int>> survivors(kThreads);
  std::vector<std::vector<std::string>> deleted(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        for (int i = 0; i < iterations; ++i) {
          S s(store, settings);
          s.set("thread", t);
          s.set("i", i);
          s.save();
          const std::string key = *s.session_key();
          for (int round = 1; round <= 2; ++round) {
            S again(store, key, settings);
            if (again.get("i") != i || again.get("thread") != t) ++errors;
            again.set("round", round);
            again.save();
          }
          if (i % 3 == 0) {
            S gone(store, key, settings);
            gone.flush();
            deleted[static_cast<std::size_t>(t)].push_back(key);
          } else {
            survivors[static_cast<std::size_t>(t)][key] = i;
          }
        }
      } catch (const std::exception& e) {
        ++errors;
        std::lock_guard lock(mutex);  // Catch2's macros are not thread-safe: report after join
        first_error = "thread " + std::to_string(t) + ": " + e.what();
      }
    });
  }
  for (auto& th : threads) th.join();
  INFO(first_error);
  CHECK(errors.load() == 0);
  std::size_t count = 0;
  for (int t = 0; t < kThreads; ++t) {
    for (const auto& [key, i] : survivors[static_cast<std::size_t>(t)]) {
      ++count;
      S s(store, key, settings);
      CHECK(s.get("thread") == t);
      CHECK(s.get("i") == i);
      CHECK(s.get("round") == 2);
    }
    for (const std::string& key : deleted[static_cast<std::size_t>(t)]) CHECK_FALSE(store.exists(key));
  }
  CHECK(count == static_cast<std::size_t>(kThreads) * static_cast<std::size_t>(iterations - (iterations + 2) / 3));
}

/// 8 threads create() the same key at the same moment: exactly one succeeds, and its payload is
/// the one stored.
template <class Store>
void same_key_create(Store& store, const sessions::ManualClock& clock, int rounds = 10) {
  for (int round = 0; round < rounds; ++round) {
    const std::string key = sessions::generate_session_key();
    std::barrier start(kThreads);
    std::atomic<int> winners{0};
    std::atomic<int> winner{-1};
    std::atomic<int> errors{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        try {
          if (store.create(key, "owner " + std::to_string(t), clock.now() + 1h)) {
            ++winners;
            winner = t;
          }
        } catch (...) {
          ++errors;
        }
      });
    }
    for (auto& th : threads) th.join();
    CHECK(errors.load() == 0);
    REQUIRE(winners.load() == 1);
    const auto record = store.load(key);
    REQUIRE(record);
    CHECK(record->payload == "owner " + std::to_string(winner.load()));
  }
}

/// Threads keep updating one session while another removes it: after the remove no update
/// succeeds and the record stays gone. The remove comes only once every updater has had an update
/// through, and each updater keeps going until an update fails, so every one of them is still
/// updating when the remove lands: the race the test names did happen (asserted, not hoped for).
template <class Store>
void remove_beats_update(Store& store, const sessions::ManualClock& clock) {
  const std::string key = sessions::generate_session_key();
  REQUIRE(store.create(key, "v", clock.now() + 1h));
  constexpr int kUpdaters = kThreads - 1;
  constexpr int kMaxUpdates = 1'000'000;  // a bound against a remove that never lands, never reached
  std::atomic<bool> removed{false};
  std::atomic<int> running{0};  // updaters with at least one update through
  std::atomic<int> stopped{0};  // updaters stopped by a failed update (the remove reached them)
  std::atomic<int> late_successes{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kUpdaters; ++t) {
    threads.emplace_back([&, t] {
      try {
        for (int i = 0; i < kMaxUpdates; ++i) {
          const bool was_removed = removed.load();
          const bool ok = store.update(key, "t" + std::to_string(t) + "i" + std::to_string(i), clock.now() + 1h);
          if (ok && was_removed) ++late_successes;
          if (!ok) {
            ++stopped;
            break;
          }
          if (i == 0) ++running;
        }
      } catch (...) {
        ++errors;
      }
    });
  }
  while (running.load() < kUpdaters && errors.load() == 0 && stopped.load() == 0) std::this_thread::yield();
  store.remove(key);
  removed = true;
  for (auto& th : threads) th.join();
  CHECK(errors.load() == 0);
  CHECK(running.load() == kUpdaters);  // every updater was updating before the remove...
  CHECK(stopped.load() == kUpdaters);  // ...and was stopped by it, not by running out of updates
  CHECK(late_successes.load() == 0);
  CHECK_FALSE(store.exists(key));
  CHECK_FALSE(store.load(key));
}

}  // namespace sql_concurrency
