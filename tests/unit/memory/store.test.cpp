// MemoryStore beyond the shared suite: concurrency, reclamation, and the value-keeping variant.

#include <sessions/sessions.hpp>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "support/catch.hpp"
#include "support/fixtures.hpp"

using namespace std::chrono_literals;

TEST_CASE("MemoryStore: many threads create, save, read and delete without losing a session", "[memory]") {
  sessions::MemoryStore store;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 500;
  std::vector<std::vector<std::string>> keys(kThreads);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        sessions::Session<sessions::MemoryStore> s{store};
        s.set("thread", t);
        s.set("i", i);
        s.save();
        keys[static_cast<std::size_t>(t)].push_back(*s.session_key());
        sessions::Session<sessions::MemoryStore> again{store, *s.session_key()};
        if (again.get("i", -1) != i || again.get("thread", -1) != t) ++failures;
        again.set("i", i + 1);
        again.save();
        if (i % 3 == 0) {
          again.destroy();
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
  std::set<std::string> all;
  for (const auto& ks : keys) all.insert(ks.begin(), ks.end());
  CHECK(all.size() == kThreads * kPerThread);  // no key handed out twice
  std::size_t live = 0;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      const auto& key = keys[static_cast<std::size_t>(t)][static_cast<std::size_t>(i)];
      sessions::Session<sessions::MemoryStore> check{store, key};
      if (i % 3 == 0) {
        CHECK_FALSE(store.exists(key));
      } else {
        ++live;
        CHECK(check.get("i", -1) == i + 1);
      }
    }
  }
  CHECK(store.size() == live);
}

TEST_CASE("MemoryStore: concurrent creates of one key, exactly one wins", "[memory]") {
  sessions::MemoryStore store;
  const std::string key = sessions::generate_session_key();
  std::atomic<int> wins{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      if (store.create(key, std::to_string(t), sessions::TimePoint::max())) ++wins;
    });
  }
  for (auto& th : threads) th.join();
  CHECK(wins == 1);
}

TEST_CASE("MemoryStore: expired records are never returned and are reclaimed by writes", "[memory]") {
  sessions::ManualClock clock;
  sessions::MemoryStore store{sessions::MemoryStore::Options{.shards = 1, .clock = sessions::Clock(clock)}};
  for (int i = 0; i < 1000; ++i) {
    REQUIRE(store.create(sessions::generate_session_key(), "{}", clock.now() + 10s));
  }
  CHECK(store.size() == 1000);
  clock.advance(10s);
  // Writes of other sessions sweep one bucket each: enough writes reclaim everything expired,
  // without any request scanning the whole store.
  for (int i = 0; i < 4000; ++i) {
    REQUIRE(store.create(sessions::generate_session_key(), "{}", clock.now() + 1h));
  }
  CHECK(store.size() < 4000 + 500);
  clock.advance(2h);
  const std::size_t before = store.size();
  CHECK(store.clear_expired() == before);
  CHECK(store.size() == 0);
}

TEST_CASE("MemoryStore: create replaces an expired record, update and touch do not revive it", "[memory]") {
  sessions::ManualClock clock;
  sessions::MemoryStore store{sessions::Clock(clock)};
  const std::string key = sessions::generate_session_key();
  REQUIRE(store.create(key, "old", clock.now() + 1s));
  CHECK_FALSE(store.create(key, "new", clock.now() + 1h));
  clock.advance(1s);
  CHECK_FALSE(store.update(key, "new", clock.now() + 1h));
  CHECK_FALSE(store.touch(key, clock.now() + 1h));
  CHECK_FALSE(store.exists(key));
  CHECK(store.create(key, "new", clock.now() + 1h));
  CHECK(store.load(key)->payload == "new");
}

TEST_CASE("MemoryValueStore keeps values without serializing them", "[memory]") {
  sessions::MemoryValueStore store;
  sessions::Session<sessions::MemoryValueStore> s{store};
  s.set("cart", sessions::Data::array({1, 2}));
  s.save();
  const auto record = store.load(*s.session_key());
  REQUIRE(record);
  REQUIRE(record->payload);
  CHECK(record->payload->to_data() == sessions::Data{{"cart", {1, 2}}});
}

namespace {
// The stored member under `name` (the shared pointer itself: equal pointers are one value).
sessions::MemberList::MemberPtr member_of(const sessions::SharedMembers& list, std::string_view name) {
  const auto* member = list->find_member(name);
  REQUIRE(member != nullptr);
  return *member;
}
}  // namespace

TEST_CASE("MemoryValueStore shares members copy-on-write: reads and unchanged saves never copy", "[memory][cow]") {
  sessions::MemoryValueStore store;
  std::string key;
  {
    sessions::Session<sessions::MemoryValueStore> s{store};
    s.set("cart", sessions::Data::array({1, 2}));
    s.set("lang", "en");
    s.save();
    key = *s.session_key();
  }
  const sessions::SharedMembers stored = store.load(key)->payload;
  REQUIRE(stored);

  SECTION("a session that only reads (and saves unchanged) writes the stored list itself back") {
    sessions::Session<sessions::MemoryValueStore> s{store, key};
    CHECK(s.get("cart") == sessions::Data::array({1, 2}));
    CHECK(s.keys() == std::vector<std::string>{"cart", "lang"});
    CHECK(s.data() == sessions::Data{{"cart", {1, 2}}, {"lang", "en"}});
    s.save();
    CHECK(store.load(key)->payload == stored);  // the same pointer went back
  }

  SECTION("the first change copies the list, not the values it did not change") {
    sessions::Session<sessions::MemoryValueStore> writer{store, key};
    sessions::Session<sessions::MemoryValueStore> reader{store, key};
    CHECK(reader.get("cart") == sessions::Data::array({1, 2}));
    writer.set("user", 7);
    writer.set("lang", "fr");
    CHECK(stored->to_data() == sessions::Data{{"cart", {1, 2}}, {"lang", "en"}});
    writer.save();
    const sessions::SharedMembers written = store.load(key)->payload;
    CHECK(written != stored);
    CHECK(written->to_data() == sessions::Data{{"cart", {1, 2}}, {"lang", "fr"}, {"user", 7}});
    CHECK(member_of(written, "cart") == member_of(stored, "cart"));  // shared, not copied
    CHECK(member_of(written, "lang") != member_of(stored, "lang"));
    CHECK(stored->to_data() == sessions::Data{{"cart", {1, 2}}, {"lang", "en"}});  // what the reader loaded stays
    CHECK(reader.data() == sessions::Data{{"cart", {1, 2}}, {"lang", "en"}});
    writer.set("user", 8);  // a change after the save copies again: the store keeps what was saved
    CHECK(written->to_data() == sessions::Data{{"cart", {1, 2}}, {"lang", "fr"}, {"user", 7}});
    writer.save();
    CHECK(store.load(key)->payload->to_data() == sessions::Data{{"cart", {1, 2}}, {"lang", "fr"}, {"user", 8}});
    CHECK(member_of(store.load(key)->payload, "cart") == member_of(stored, "cart"));
  }

  SECTION("erase removes the member and shares the rest") {
    sessions::Session<sessions::MemoryValueStore> s{store, key};
    s.erase("lang");
    s.save();
    const sessions::SharedMembers written = store.load(key)->payload;
    CHECK(written->to_data() == sessions::Data{{"cart", {1, 2}}});
    CHECK(member_of(written, "cart") == member_of(stored, "cart"));
  }

  SECTION("a reference from at() stays the session's own across saves") {
    sessions::Session<sessions::MemoryValueStore> s{store, key};
    sessions::Data& cart = s.at("cart");
    cart.push_back(3);
    CHECK(stored->to_data() == sessions::Data{{"cart", {1, 2}}, {"lang", "en"}});
    CHECK(s.needs_save());
    s.save();
    cart.push_back(4);  // still a valid reference into the session's data
    CHECK(store.load(key)->payload->to_data() == sessions::Data{{"cart", {1, 2, 3}}, {"lang", "en"}});
    s.save();
    CHECK(store.load(key)->payload->to_data() == sessions::Data{{"cart", {1, 2, 3, 4}}, {"lang", "en"}});
  }

  SECTION("after at(), clear() and set(), the saved data is what the session then reads") {
    // at() hands out a reference (the data is held whole), clear() starts a list of the session's
    // own: the save must share that list and go on reading it, not the whole data at() saw.
    sessions::Session<sessions::MemoryValueStore> s{store, key};
    sessions::Data& cart = s.at("cart");
    cart.push_back(3);
    s.clear();
    s.set("user", 9);
    s.save();
    CHECK(store.load(key)->payload->to_data() == sessions::Data{{"user", 9}});
    CHECK(s.get("user") == 9);
    CHECK(s.data() == sessions::Data{{"user", 9}});
    CHECK_FALSE(s.contains("cart"));
    s.set("lang", "de");
    s.save();
    CHECK(store.load(key)->payload->to_data() == sessions::Data{{"user", 9}, {"lang", "de"}});
  }

  SECTION("reads and failed changes do not copy; pop and erase of a missing key change nothing") {
    sessions::Session<sessions::MemoryValueStore> s{store, key};
    CHECK(s.pop("absent", 5) == 5);
    CHECK_THROWS_AS(s.erase("absent"), sessions::KeyError);
    CHECK(s.setdefault("cart", 0) == sessions::Data::array({1, 2}));
    s.set_expiry(std::nullopt);
    CHECK_FALSE(s.modified());
    s.save();
    CHECK(store.load(key)->payload == stored);
  }
}

TEST_CASE("MemoryStore: Options from a memory: URL, validated as every store's", "[memory][url]") {
  CHECK(sessions::MemoryStore::options_from_url("memory:").shards == 64);
  CHECK(sessions::MemoryStore::options_from_url("memory://").shards == 64);
  CHECK(sessions::MemoryStore::options_from_url("memory:?shards=8").shards == 8);
  CHECK(sessions::MemoryValueStore::options_from_url("memory:?shards=1").shards == 1);
  sessions::MemoryStore::Options base;
  base.shards = 4;
  CHECK(sessions::MemoryStore::options_from_url("memory:", base).shards == 4);
  for (const char* bad : {"memory://host", "memory:/tmp/x", "memory:?shards=0", "memory:?shards=65537",
                          "memory:?shard=8", "redis://127.0.0.1", "memory:?shards=x"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(sessions::MemoryStore::options_from_url(bad), sessions::ConfigurationError);
  }
  CHECK_THROWS_WITH(sessions::MemoryValueStore::options_from_url("memory://host"),
                    Catch::Contains("MemoryValueStore: the URL memory://host"));
  CHECK_THROWS_AS(sessions::MemoryStore(sessions::MemoryStore::Options{.shards = 0}), sessions::ConfigurationError);

  sessions::ManualClock clock;
  sessions::MemoryStore store("memory:?shards=2", sessions::Clock(clock));
  const std::string key = sessions::generate_session_key();
  REQUIRE(store.create(key, "v", clock.now() + 1s));
  CHECK(store.load(key)->payload == "v");
  clock.advance(1s);
  CHECK_FALSE(store.load(key));  // the clock given with the URL is the store's
}
