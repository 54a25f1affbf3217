// Eight threads creating, saving, reading and deleting sessions through one RedisStore with fewer
// connections than threads: no session is lost, none is overwritten by another's data.

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "redis_support.hpp"
#include "support/catch.hpp"

using namespace std::chrono_literals;

TEST_CASE("RedisStore: 8 threads, one store, a pool of 3 connections", "[redis][concurrency]") {
  sessions::RedisOptions o = redis_test::options();
  o.pool_size = 3;
  o.pool_timeout = 5s;
  sessions::RedisStore store(o);
  sessions::Settings settings;
  settings.logger = sessions::Logger::silent();

  constexpr int kThreads = 8;
  constexpr int kPerThread = 40;
  std::vector<std::vector<std::string>> keys(kThreads);
  std::vector<std::string> failures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        for (int i = 0; i < kPerThread; ++i) {
          sessions::Session<sessions::RedisStore> s(store, settings);
          s.set("owner", t);
          s.set("n", i);
          s.save();
          const std::string key = *s.session_key();
          sessions::Session<sessions::RedisStore> again(store, key, settings);
          if (again.get("owner") != t || again.get("n") != i) throw std::runtime_error("read back other data");
          again.set("n", i + 1000);
          again.save();
          if (i % 4 == 3) {
            again.flush();
            if (store.exists(key)) throw std::runtime_error("a deleted session still exists");
          } else {
            keys[static_cast<std::size_t>(t)].push_back(key);
          }
        }
      } catch (const std::exception& e) {
        failures[static_cast<std::size_t>(t)] = e.what();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& f : failures) CHECK(f.empty());

  std::size_t checked = 0;
  for (int t = 0; t < kThreads; ++t) {
    for (const std::string& key : keys[static_cast<std::size_t>(t)]) {
      sessions::Session<sessions::RedisStore> s(store, key, settings);
      CHECK(s.get("owner") == t);
      CHECK(s.get("n").get<int>() >= 1000);
      ++checked;
    }
  }
  CHECK(checked == kThreads * kPerThread * 3 / 4);
  CHECK(store.pool_state().open <= 3);
}

TEST_CASE("RedisStore: concurrent create of one key: exactly one wins", "[redis][concurrency]") {
  sessions::RedisStore store(redis_test::options());
  const std::string key = "k0k1k2k3k4k5k6k7k8k9k0k1k2k3k4k5";
  std::atomic<int> wins{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      if (store.create(key, "thread " + std::to_string(t), std::chrono::system_clock::now() + 1h)) ++wins;
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(wins == 1);
}
