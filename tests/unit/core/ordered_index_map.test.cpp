// sessions::Data's object type (detail/ordered_index_map.hpp): insertion order as
// nlohmann::ordered_json, lookup O(log n) in large objects, and the same text and equality as
// ordered_json wherever the library relied on them.

#include <sessions/sessions.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/catch.hpp"

using sessions::Data;
using sessions::detail::ordered_index_map;

namespace {

// A byte-wise less that counts its calls: the index's work, deterministically.
struct CountingLess {
  using is_transparent = void;
  static inline std::size_t calls = 0;
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    ++calls;
    return std::string_view(a) < std::string_view(b);
  }
};

using Map = ordered_index_map<std::string, int, CountingLess>;
using Model = std::vector<std::pair<std::string, int>>;

void check_same(const Map& map, const Model& model) {
  REQUIRE(map.size() == model.size());
  std::size_t i = 0;
  for (const auto& [key, value] : map) {  // iteration order is insertion order
    CHECK(key == model[i].first);
    CHECK(value == model[i].second);
    ++i;
  }
  for (const auto& [key, value] : model) {  // every key found, at its place
    const auto it = map.find(key);
    REQUIRE(it != map.end());
    CHECK(it->second == value);
    CHECK(map.count(key) == 1);
  }
}

std::string random_key(std::mt19937& rng, std::size_t universe) {
  return "k" + std::to_string(std::uniform_int_distribution<std::size_t>(0, universe - 1)(rng));
}

// Random JSON with nested objects, arrays, duplicate keys and escapes.
std::string random_json(std::mt19937& rng, int depth) {
  const auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  if (depth > 3) return std::to_string(pick(1000));
  switch (pick(depth == 0 ? 1 : depth == 1 ? 6 : 3)) {
    case 0: {
      std::string out = "{";
      const int n = depth <= 1 && pick(3) == 0 ? 40 + pick(60) : pick(6);  // both sides of linear_max
      for (int i = 0; i < n; ++i) {
        if (i) out += ",";
        out += "\"" + random_key(rng, static_cast<std::size_t>(n) + 2) + (pick(5) == 0 ? "\\n\\u00e9" : "") +
               "\":" + random_json(rng, depth + 1);
      }
      return out + "}";
    }
    case 1: {
      std::string out = "[";
      const int n = pick(5);
      for (int i = 0; i < n; ++i) out += (i ? "," : "") + random_json(rng, depth + 1);
      return out + "]";
    }
    case 2:
      return "\"s" + std::to_string(pick(100)) + "\"";
    case 3:
      return pick(2) ? "true" : "null";
    case 4:
      return std::to_string(pick(100)) + ".5";
    default:
      return "-" + std::to_string(pick(100000));
  }
}

}  // namespace

TEST_CASE("ordered_index_map: order kept and every key found across insert, erase and re-insert", "[data]") {
  std::mt19937 rng(20261202);
  for (const std::size_t universe : {std::size_t{8}, std::size_t{40}, std::size_t{300}}) {
    Map map;
    Model model;
    for (int step = 0; step < 3000; ++step) {
      const std::string key = random_key(rng, universe);
      const int op = std::uniform_int_distribution<int>(0, 9)(rng);
      auto in_model = std::find_if(model.begin(), model.end(), [&](const auto& p) { return p.first == key; });
      if (op < 5) {  // insert: an existing key keeps its place and value
        const auto [it, inserted] = map.emplace(key, step);
        CHECK(inserted == (in_model == model.end()));
        if (in_model == model.end()) model.emplace_back(key, step);
        CHECK(it->first == key);
      } else if (op < 7) {  // operator[] assigns in place
        map[key] = step;
        if (in_model == model.end()) {
          model.emplace_back(key, step);
        } else {
          in_model->second = step;
        }
      } else if (op < 9) {
        CHECK(map.erase(key) == (in_model == model.end() ? 0u : 1u));
        if (in_model != model.end()) model.erase(in_model);
      } else if (!model.empty()) {  // erase a range by iterators
        const std::size_t from = std::uniform_int_distribution<std::size_t>(0, model.size() - 1)(rng);
        const std::size_t n = std::min<std::size_t>(3, model.size() - from);
        const auto next = map.erase(map.begin() + static_cast<std::ptrdiff_t>(from),
                                    map.begin() + static_cast<std::ptrdiff_t>(from + n));
        CHECK(next == map.begin() + static_cast<std::ptrdiff_t>(from));
        model.erase(model.begin() + static_cast<std::ptrdiff_t>(from),
                    model.begin() + static_cast<std::ptrdiff_t>(from + n));
      }
      if (step % 97 == 0) check_same(map, model);
    }
    check_same(map, model);
    if (map.size() > Map::linear_max) CHECK(map.indexed());
    for (const auto& [key, value] : model) CHECK(map.find(key + "x") == map.end());
  }
}

TEST_CASE("ordered_index_map: lookups and inserts stay O(log n) comparisons in a 60000-key object", "[data]") {
  constexpr std::size_t n = 60'000;
  const double log_n = std::log2(static_cast<double>(n));
  Map map;
  CountingLess::calls = 0;
  for (std::size_t i = 0; i < n; ++i) map[std::to_string(i * 7919 % n)] = static_cast<int>(i);
  // Each insert is one search and one tree insertion: about 2 log2(n) comparisons. A linear search
  // (ordered_map) makes n^2/2 = 1.8e9 key comparisons here.
  CHECK(CountingLess::calls < static_cast<std::size_t>(3 * log_n * n));
  REQUIRE(map.indexed());
  for (const std::size_t probe : {std::size_t{0}, n / 2, n - 1}) {
    CountingLess::calls = 0;
    CHECK(map.find(std::to_string(probe)) != map.end());
    CHECK(map.find(std::string_view("absent")) == map.end());
    CHECK(CountingLess::calls <= static_cast<std::size_t>(2 * (2 * log_n + 2)));
  }
  // Order: insertion order, not key order.
  CHECK(map.begin()->first == "0");
  CHECK(std::next(map.begin())->first == std::to_string(7919 % n));
}

TEST_CASE("ordered_index_map: copies and moves keep order and index; the moved-from map is empty", "[data]") {
  for (const int n : {5, 100}) {
    Map map;
    Model model;
    for (int i = 0; i < n; ++i) {
      map.emplace("key" + std::to_string(n - i), i);
      model.emplace_back("key" + std::to_string(n - i), i);
    }
    Map copy(map);
    check_same(copy, model);
    CHECK(copy == map);
    copy.erase("key1");
    CHECK(map.count("key1") == 1);  // the copy is independent
    CHECK_FALSE(copy == map);
    Map assigned;
    assigned = map;
    check_same(assigned, model);
    Map moved(std::move(assigned));
    check_same(moved, model);
    CHECK(assigned.empty());  // NOLINT(bugprone-use-after-move): documented state
    assigned.emplace("again", 1);
    CHECK(assigned.count("again") == 1);
    Map target;
    target.emplace("old", 0);
    target = std::move(moved);
    check_same(target, model);
    moved = target;  // a moved-from map takes a new value
    check_same(moved, model);
    Map other;
    other.emplace("z", 26);
    swap(other, target);
    check_same(other, model);
    CHECK(target.size() == 1);
    CHECK(target.at("z") == 26);
    CHECK_THROWS_AS(target.at("y"), std::out_of_range);
    target = std::as_const(target);  // self-assignment keeps it
    CHECK(target.at("z") == 26);
    other.clear();
    CHECK(other.empty());
    CHECK_FALSE(other.indexed());
    other["k"] = 1;
    CHECK(other.at("k") == 1);
  }
}

TEST_CASE("Data: equality compares members in order, as ordered_json's", "[data]") {
  const char* const ab = R"({"a":1,"b":{"x":[1,2],"y":null}})";
  const char* const ba = R"({"b":{"x":[1,2],"y":null},"a":1})";
  CHECK(Data::parse(ab) == Data::parse(ab));
  CHECK((Data::parse(ab) == Data::parse(ba)) ==
        (nlohmann::ordered_json::parse(ab) == nlohmann::ordered_json::parse(ba)));
  CHECK(Data::parse(ab) != Data::parse(ba));
  CHECK((Data::parse(ab) < Data::parse(ba)) == (nlohmann::ordered_json::parse(ab) < nlohmann::ordered_json::parse(ba)));
}

TEST_CASE("Data: dump() is byte-identical to ordered_json's for random objects, after edits too", "[data]") {
  std::mt19937 rng(7);
  for (int round = 0; round < 100; ++round) {
    const std::string text = random_json(rng, 0);
    Data data = Data::parse(text);
    nlohmann::ordered_json reference = nlohmann::ordered_json::parse(text);
    REQUIRE(data.dump() == reference.dump());
    CHECK(sessions::signing::dump_python_json(data) ==
          sessions::signing::dump_python_json(Data::parse(reference.dump())));
    // The same edits through basic_json's API.
    for (int i = 0; i < 10; ++i) {
      const std::string key = random_key(rng, 60);
      if (i % 3 == 0) {
        CHECK(data.erase(key) == reference.erase(key));
      } else {
        data[key] = i;
        reference[key] = i;
      }
      CHECK(data.contains(key) == reference.contains(key));
    }
    if (!data.empty()) {
      data.erase(data.begin());
      reference.erase(reference.begin());
    }
    CHECK(data.dump() == reference.dump());
    const Data copy = data;
    CHECK(copy.dump() == reference.dump());
    CHECK(copy == data);
  }
}

TEST_CASE("Data: a decoded 60000-key object is indexed and every key found", "[data]") {
  std::string text = R"({"a":{)";
  for (int i = 0; i < 60'000; ++i) text += (i ? ",\"" : "\"") + std::to_string(i) + "\":" + std::to_string(i);
  text += "}}";
  const Data data = sessions::JsonSerializer().loads(text);
  const auto& inner = data.at("a").get_ref<const Data::object_t&>();
  CHECK(inner.indexed());
  CHECK(inner.size() == 60'000);
  CHECK(inner.begin()->first == "0");
  CHECK(std::prev(inner.end())->first == "59999");
  CHECK(data.at("a").at("31337") == 31337);
  CHECK(data.dump() == text);
}
