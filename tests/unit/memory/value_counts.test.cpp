// MemoryValueStore keeps each saved list's compact JSON size and node count in it, and a
// Session follows them through set() instead of walking the whole data on save: the counts kept
// must always equal a walk of the value they describe, and the limits must hold as before.

#include <cstdint>
#include <optional>
#include <string>

#include "support/catch.hpp"
#include "support/fixtures.hpp"

using sessions::Data;
using SessionT = sessions::Session<sessions::MemoryValueStore>;

namespace {

// The counts the store's record carries, and those a walk of its value gives.
void check_counts_exact(test_support::StoreFixture<sessions::MemoryValueStore>& env, const std::string& key) {
  const auto record = env.store.load(key);
  REQUIRE(record);
  const auto kept = record->payload->counts();
  REQUIRE(kept);
  const auto walked = sessions::detail::walk_counts(env.settings, record->payload->to_data());
  REQUIRE(walked);
  CHECK(kept->size == walked->size);
  CHECK(kept->nodes == walked->nodes);
  CHECK(kept->size == record->payload->to_data().dump().size());  // no floats here: the size is dump()'s
}

}  // namespace

TEST_CASE("value counts: kept beside each saved value and followed exactly through set()", "[memory][counts]") {
  test_support::StoreFixture<sessions::MemoryValueStore> env;
  SessionT created(env.store, env.settings);
  created.set("user", "4217");
  created.set("cart", Data::array({Data{{"sku", "SKU-1"}, {"qty", 2}}, Data{{"sku", "SKU-\"2\""}, {"qty", 1}}}));
  created.save();
  const std::string key = *created.session_key();
  check_counts_exact(env, key);

  // Each step loads the record saved by the last (counts kept), changes it with set() only, saves.
  const Data steps[] = {
      Data(12),                                            // a new key, a scalar
      Data::array({1, 2, Data::object({{"deep", "x"}})}),  // the same key, now nested
      Data("tab\there"),                                   // escapes
      Data::object(),                                      // an empty object
      Data(nullptr),
  };
  std::int64_t i = 0;
  for (const Data& value : steps) {
    SessionT s(env.store, key, env.settings);
    s.set("num_visits", value);
    s.set("cart", Data::array({i++}));  // an existing key replaced
    s.set("user", "4217");              // replaced by an equal value
    s.save();
    check_counts_exact(env, key);
  }
}

TEST_CASE("value counts: a set() that passes a limit is refused, one that shrinks below it saves", "[memory][counts]") {
  test_support::StoreFixture<sessions::MemoryValueStore> env;
  env.settings.max_payload_bytes = 200;
  env.settings.max_nodes = 10;
  SessionT created(env.store, env.settings);
  created.set("a", std::string(100, 'x'));
  created.save();
  const std::string key = *created.session_key();

  SessionT big(env.store, key, env.settings);
  big.set("b", std::string(100, 'y'));  // 2 + 107 + 1 + 107 bytes: over 200
  CHECK_THROWS_AS(big.save(), sessions::LimitExceeded);
  CHECK(SessionT(env.store, key, env.settings).get("b").is_null());  // nothing written

  SessionT replaced(env.store, key, env.settings);
  replaced.set("a", std::string(10, 'x'));
  replaced.set("b", std::string(100, 'y'));  // now within: 2 + 17 + 1 + 107
  CHECK_NOTHROW(replaced.save());

  SessionT nested(env.store, key, env.settings);
  nested.set("c", Data::array({1, 2, 3, 4, 5, 6, 7, 8}));  // 3 + 8 values: over 10 nodes
  CHECK_THROWS_AS(nested.save(), sessions::LimitExceeded);
  check_counts_exact(env, key);
}

TEST_CASE("value counts: a change through at() is walked, not trusted to the counts", "[memory][counts]") {
  test_support::StoreFixture<sessions::MemoryValueStore> env;
  env.settings.max_nodes = 5;
  SessionT created(env.store, env.settings);
  created.set("list", Data::array({1}));
  created.save();
  const std::string key = *created.session_key();

  SessionT s(env.store, key, env.settings);
  Data& list = s.at("list");
  s.save();                                       // walked: 2 nodes, counted
  for (int v = 0; v < 5; ++v) list.push_back(v);  // unseen by the counts: 7 nodes
  CHECK_THROWS_AS(s.save(), sessions::LimitExceeded);
}

TEST_CASE("value counts: a save with a limit of 0 keeps none, and a later save with limits walks", "[memory][counts]") {
  test_support::StoreFixture<sessions::MemoryValueStore> env;
  env.settings.max_payload_bytes = 0;
  SessionT created(env.store, env.settings);
  created.set("a", 1);
  created.save();
  const std::string key = *created.session_key();
  CHECK_FALSE(env.store.load(key)->payload->counts());

  env.settings.max_payload_bytes = 1000;
  SessionT s(env.store, key, env.settings);
  s.set("b", 2);
  s.save();
  check_counts_exact(env, key);
}
