// FileStore: one instance shared by many threads (and processes), no lock anywhere. Readers see
// one complete payload, never a mix; of racing creates exactly one wins; an update racing a
// remove never brings the session back.

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <exception>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "file_store_support.hpp"
#include "sessions/storage/file.hpp"
#include "support/catch.hpp"

using namespace file_store_test;
using sessions::FileStore;

namespace {

// Writer t's i-th payload: a header naming it, then a body whose length and character depend on
// (t, i), so a payload stitched from two writes cannot pass well_formed().
std::string make_payload(int t, int i) {
  const char mark = static_cast<char>('a' + (t * 7 + i) % 26);
  const auto length = static_cast<std::size_t>(500 + (t * 131 + i * 17) % 7000);
  return std::to_string(t) + ":" + std::to_string(i) + ":" + std::string(length, mark);
}

bool well_formed(const std::string& payload) {
  if (payload == "initial") return true;
  const std::size_t a = payload.find(':');
  if (a == std::string::npos) return false;
  const std::size_t b = payload.find(':', a + 1);
  if (b == std::string::npos) return false;
  try {
    const int t = std::stoi(payload.substr(0, a));
    const int i = std::stoi(payload.substr(a + 1, b - a - 1));
    return payload == make_payload(t, i);
  } catch (const std::exception&) {
    return false;
  }
}

std::string numbered_key(std::string_view stem, int n) {
  std::string key(stem);
  key += std::to_string(n);
  key.resize(32, 'x');
  return key;
}

void hammer_one_key(bool exchange) {
  Fixture f;
  FileStore::Options options;
  options.use_rename_exchange = exchange;
  const FileStore store = f.store(options);
  REQUIRE(store.create(kKey, "initial", f.now() + 1h));

  constexpr int kWriters = 8;
  constexpr int kUpdates = 120;
  std::atomic<int> refused{0};
  std::atomic<int> errors{0};
  std::atomic<int> torn{0};
  std::atomic<int> missing{0};
  std::atomic<long> reads{0};
  std::atomic<bool> done{false};

  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&, r] {
      try {
        while (!done.load()) {
          if (r == 2) {  // a toucher: the file is always there to be touched
            if (!store.touch(kKey, f.now() + 2h)) missing.fetch_add(1);
            continue;
          }
          const auto record = store.load(kKey);
          if (!record) {
            missing.fetch_add(1);
          } else if (!well_formed(record->payload)) {
            torn.fetch_add(1);
          }
          if (!store.exists(kKey)) missing.fetch_add(1);
          reads.fetch_add(1);
        }
      } catch (...) {
        errors.fetch_add(1);
      }
    });
  }
  std::vector<std::thread> writers;
  for (int t = 0; t < kWriters; ++t) {
    writers.emplace_back([&, t] {
      try {
        for (int i = 0; i < kUpdates; ++i) {
          if (!store.update(kKey, make_payload(t, i), f.now() + 1h)) refused.fetch_add(1);
        }
      } catch (...) {
        errors.fetch_add(1);
      }
    });
  }
  for (auto& w : writers) w.join();
  done.store(true);
  for (auto& r : readers) r.join();

  CHECK(errors.load() == 0);
  CHECK(refused.load() == 0);
  CHECK(torn.load() == 0);
  CHECK(missing.load() == 0);
  CHECK(reads.load() > 0);
  const auto final_record = store.load(kKey);
  REQUIRE(final_record.has_value());
  CHECK(well_formed(final_record->payload));
  CHECK(final_record->payload != "initial");
  CHECK(f.listing() == std::vector<std::string>{name_of(kKey)});  // every temporary file is gone
}

// `threads` creates of `key` at once; returns the number that won and checks the file holds the
// winner's payload.
int race_creates(const FileStore& store, const Fixture& f, const std::string& key, int threads) {
  std::latch start(threads);
  std::atomic<int> wins{0};
  std::atomic<int> winner{-1};
  std::atomic<int> errors{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      start.arrive_and_wait();
      try {
        if (store.create(key, "created by " + std::to_string(t), f.now() + 1h)) {
          wins.fetch_add(1);
          winner.store(t);
        }
      } catch (...) {
        errors.fetch_add(1);
      }
    });
  }
  for (auto& th : pool) th.join();
  CHECK(errors.load() == 0);
  if (wins.load() == 1) CHECK(slurp(f.file(key)) == "created by " + std::to_string(winner.load()));
  return wins.load();
}

}  // namespace

TEST_CASE("FileStore: concurrent updates of one key never show a mixed payload", "[file_store][concurrency]") {
  // One variant per run (not SECTIONs: a SECTION holding no assertion fails under --warn NoAssertions).
  const std::string variant =
      GENERATE(as<std::string>{}, "with renameat2(RENAME_EXCHANGE)", "with the check-then-rename fallback");
  CAPTURE(variant);
  if (variant == "with renameat2(RENAME_EXCHANGE)") {
    hammer_one_key(true);
  }
  if (variant == "with the check-then-rename fallback") {
    hammer_one_key(false);
  }
}

TEST_CASE("FileStore: of concurrent creates of one key exactly one wins", "[file_store][concurrency]") {
  Fixture f;
  const FileStore store = f.store();
  for (int round = 0; round < 25; ++round) {
    const std::string key = numbered_key("fresh", round);
    CHECK(race_creates(store, f, key, 8) == 1);
  }
  CHECK(f.listing().size() == 25u);  // no temporary file left
}

TEST_CASE("FileStore: of concurrent creates over an expired file exactly one wins", "[file_store][concurrency]") {
  Fixture f;
  const FileStore store = f.store();
  for (int round = 0; round < 25; ++round) {
    const std::string key = numbered_key("stale", round);
    REQUIRE(store.create(key, "expired", f.now() - 1s));
    CHECK(race_creates(store, f, key, 8) == 1);
  }
  CHECK(f.listing().size() == 25u);
}

TEST_CASE("FileStore: an update racing a remove never brings the session back", "[file_store][concurrency]") {
  Fixture f;
  const FileStore store = f.store();
  for (int round = 0; round < 20; ++round) {
    REQUIRE(store.create(kKey, "initial", f.now() + 1h));
    std::atomic<int> updates{0};
    std::atomic<int> errors{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < 4; ++t) {
      pool.emplace_back([&, t] {
        try {
          for (int i = 0; i < 100'000; ++i) {
            if (!store.update(kKey, make_payload(t, i), f.now() + 1h)) break;
            updates.fetch_add(1);
          }
        } catch (...) {
          errors.fetch_add(1);
        }
      });
    }
    while (updates.load() < 10) std::this_thread::yield();
    store.remove(kKey);  // a logout in the middle of the updates
    for (auto& th : pool) th.join();
    CHECK(errors.load() == 0);
    CHECK(!store.exists(kKey));
    CHECK(f.listing().empty());
  }
}

TEST_CASE("FileStore: of creates of one key in several processes exactly one wins", "[file_store][concurrency]") {
  Fixture f;
  const FileStore store = f.store();
  constexpr int kProcesses = 6;
  int gate[2];
  REQUIRE(::pipe(gate) == 0);
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(gate[1]);
      char byte = 0;
      const bool released = ::read(gate[0], &byte, 1) == 1;
      int code = 3;
      if (released) {
        try {
          code = store.create(kKey, "process " + std::to_string(p), f.now() + 1h) ? 0 : 1;
        } catch (...) {
          code = 2;
        }
      }
      ::_exit(code);
    }
    children.push_back(pid);
  }
  ::close(gate[0]);
  const std::string release(kProcesses, 'g');
  CHECK(::write(gate[1], release.data(), release.size()) == static_cast<ssize_t>(release.size()));
  ::close(gate[1]);
  int wins = 0;
  int losses = 0;
  for (const pid_t pid : children) {
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    if (WEXITSTATUS(status) == 0) ++wins;
    if (WEXITSTATUS(status) == 1) ++losses;
  }
  CHECK(wins == 1);
  CHECK(losses == kProcesses - 1);
  CHECK(slurp(f.file(kKey)).starts_with("process "));
  CHECK(f.listing() == std::vector<std::string>{name_of(kKey)});
}
