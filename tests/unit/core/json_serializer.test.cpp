// JsonSerializer::loads checks the nesting depth with a scan of the text before nlohmann's plain
// parser runs. It must refuse exactly what a parse with a depth callback (what it replaced, and
// the rule's definition: no value inside more than max_depth arrays or objects) refuses.

#include <algorithm>
#include <random>
#include <sessions/sessions.hpp>
#include <string>

#include "support/catch.hpp"

namespace {

// The rule as nlohmann states it: its parse callback sees every value with the number of arrays
// and objects around it.
bool reference_refuses(const std::string& text) {
  const auto limit = [](int depth, sessions::Data::parse_event_t, sessions::Data&) {
    if (static_cast<std::size_t>(depth) > sessions::JsonSerializer::max_depth) throw std::length_error("deep");
    return true;
  };
  try {
    const sessions::Data parsed = sessions::Data::parse(text, limit);
    (void)parsed;
  } catch (const std::length_error&) {
    return true;
  } catch (const nlohmann::json::exception&) {
    return false;  // not JSON: refused for that, not for its depth
  }
  return false;
}

// `levels` nested containers around `inner`, alternating arrays and objects from the outside.
std::string nested(std::size_t levels, const std::string& inner, bool objects) {
  std::string open;
  std::string close;
  for (std::size_t i = 0; i < levels; ++i) {
    const bool object = objects && i % 2 == 0;
    open += object ? "{\"k[\\\"{\":" : "[";
    close.insert(0, object ? "}" : "]");
  }
  return open + inner + close;
}

// Random JSON whose strings hold brackets, quotes and backslashes, nesting up to `room` deep.
std::string random_json(std::mt19937& rng, std::size_t room) {
  const auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  static const char* const strings[] = {"\"[\"", "\"]}\"", "\"\\\"[\"", "\"\\\\\"", "\"\\\\\\\"{\"", "\"x\""};
  if (room == 0) return strings[pick(6)];
  switch (pick(room > 5 ? 2 : 5)) {  // a chain of containers down to the last few levels
    case 0:
      return "[" + random_json(rng, room - 1) +
             (pick(2) ? "," + random_json(rng, std::min<std::size_t>(room, 3)) : "") + "]";
    case 1:
      return "{" + std::string(strings[pick(6)]) + ":" + random_json(rng, room - 1) + "}";
    case 2:
      return strings[pick(6)];
    case 3:
      return "[]";
    default:
      return "-12.5e3";
  }
}

bool refuses_for_depth(const std::string& text) {
  try {
    (void)sessions::JsonSerializer{}.loads("{\"v\":" + text + "}");
  } catch (const sessions::DecodeError& e) {
    return std::string(e.what()).find("deeper") != std::string::npos;
  }
  return false;
}

}  // namespace

TEST_CASE("JsonSerializer: the depth limit at its boundary, as a parse callback states it", "[serializer][depth]") {
  const std::size_t limit = sessions::JsonSerializer::max_depth;
  for (std::size_t levels = limit - 3; levels <= limit + 3; ++levels) {
    for (const bool objects : {false, true}) {
      for (const std::string inner : {"", "1", "\"s\"", "[]", "{}", "[1]", "{\"a\":1}"}) {
        const std::string value = nested(levels, inner, objects);
        CAPTURE(levels, objects, inner);
        CHECK(refuses_for_depth(value) == reference_refuses("{\"v\":" + value + "}"));
      }
    }
  }
  CHECK_FALSE(refuses_for_depth(nested(limit - 1, "1", false)));  // the data itself is one level
  CHECK(refuses_for_depth(nested(limit + 1, "1", false)));
}

TEST_CASE("JsonSerializer: the depth scan agrees with the parse callback on random JSON", "[serializer][depth]") {
  std::mt19937 rng(20261202);
  for (int i = 0; i < 3000; ++i) {
    const std::string value =
        random_json(rng, static_cast<std::size_t>(std::uniform_int_distribution<int>(110, 140)(rng)));
    CAPTURE(value);
    const bool refused = refuses_for_depth(value);
    CHECK(refused == reference_refuses("{\"v\":" + value + "}"));
    if (!refused)
      CHECK(sessions::JsonSerializer{}.loads("{\"v\":" + value + "}") ==
            sessions::Data::parse("{\"v\":" + value + "}"));
  }
}

TEST_CASE("JsonSerializer: dumps refuses data that loads would refuse for its depth", "[serializer][depth]") {
  // Written, such data would save without complaint and the next load would drop the whole
  // session as corrupted: the save is where the caller can still learn of it.
  const sessions::JsonSerializer serializer;
  const std::size_t limit = sessions::JsonSerializer::max_depth;
  for (std::size_t levels = limit - 2; levels <= limit + 2; ++levels) {
    const sessions::Data data = sessions::Data::parse("{\"v\":" + nested(levels, "1", false) + "}");
    CAPTURE(levels);
    if (refuses_for_depth(nested(levels, "1", false))) {
      CHECK_THROWS_AS((void)serializer.dumps(data), sessions::EncodeError);
    } else {
      CHECK(serializer.loads(serializer.dumps(data)) == data);
    }
  }
}

TEST_CASE("JsonSerializer: dumps' walk of the data refuses what the text scan refuses", "[serializer][depth]") {
  // dumps checks the data before writing it, loads scans the text: one rule, two readings.
  const std::size_t limit = sessions::JsonSerializer::max_depth;
  const auto walk_refuses = [](const std::string& text) {
    return sessions::JsonSerializer::data_nests_too_deep(sessions::Data::parse(text));
  };
  for (std::size_t levels = limit - 2; levels <= limit + 2; ++levels) {
    for (const bool objects : {false, true}) {
      for (const std::string inner : {"1", "\"s\"", "[]", "{}", "[1]", "{\"a\":1}", "[[],{}]"}) {
        const std::string text = "{\"v\":" + nested(levels, inner, objects) + "}";
        CAPTURE(levels, objects, inner);
        CHECK(walk_refuses(text) == sessions::JsonSerializer::nests_too_deep(std::string_view(text)));
      }
    }
  }
  std::mt19937 rng(20261203);
  for (int i = 0; i < 500; ++i) {
    const std::string text =
        "{\"v\":" + random_json(rng, static_cast<std::size_t>(std::uniform_int_distribution<int>(120, 135)(rng))) + "}";
    CAPTURE(text);
    CHECK(walk_refuses(text) == sessions::JsonSerializer::nests_too_deep(std::string_view(text)));
  }
}
