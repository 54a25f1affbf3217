// The reader of python_json.hpp against an independent one, nlohmann's parser, on random JSON
// inside the grammar both share (no NaN/Infinity, no integers beyond 64 bits, ASCII only):
// valid documents must decode to equal Data (duplicate keys included: both keep the first
// position and the last value), and mutated ones must be refused by both or decoded equally.
// The reader builds objects and arrays from a stack of pending members; this is what shows that
// nesting, duplicates and large objects come out as member-by-member insertion gives them.

#include <sessions/data.hpp>
#include <sessions/errors.hpp>
#include <sessions/signing/python_json.hpp>
#include <cmath>
#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include "support/catch.hpp"

namespace {

class RandomJson {
 public:
  explicit RandomJson(std::uint32_t seed) : rng_(seed) {}

  std::string document() {
    std::string out;
    value(out, 0);
    return out;
  }

  std::uint32_t below(std::uint32_t n) { return std::uniform_int_distribution<std::uint32_t>(0, n - 1)(rng_); }

 private:
  void ws(std::string& out) {
    static constexpr char kWs[] = {' ', '\t', '\n', '\r'};
    if (below(6) == 0) out += kWs[below(4)];
  }

  void string(std::string& out) {
    // Few distinct keys, so that objects often repeat one.
    static constexpr const char* kPieces[] = {"a",
                                              "b",
                                              "key",
                                              "sku",
                                              "\\n",
                                              "\\\"",
                                              "\\\\",
                                              "\\/",
                                              "\\u00e9",
                                              "\\ud83d\\ude00",
                                              "\\u0041",
                                              "x y",
                                              "2026-11-01T00:00:00Z",
                                              "\\t"};
    out += '"';
    const std::uint32_t n = below(4);
    for (std::uint32_t i = 0; i < n; ++i) out += kPieces[below(sizeof kPieces / sizeof kPieces[0])];
    out += '"';
  }

  void number(std::string& out) {
    switch (below(5)) {
      case 0:
        out += std::to_string(static_cast<std::int64_t>(rng_()) - (std::int64_t{1} << 31));
        break;
      case 1:
        out += std::to_string(rng_() % 1000);
        break;
      case 2:
        out += "-0";
        break;
      case 3:
        out += std::to_string(rng_() % 100) + "." + std::to_string(rng_() % 1000);
        break;
      default:
        out += std::to_string(rng_() % 10) + "e" + (below(2) ? "-" : "+") + std::to_string(rng_() % 30);
        break;
    }
  }

  void value(std::string& out, int depth) {
    ws(out);
    const std::uint32_t kind = depth > 5 ? below(5) : below(7);
    switch (kind) {
      case 0:
        out += "null";
        break;
      case 1:
        out += below(2) ? "true" : "false";
        break;
      case 2:
        number(out);
        break;
      case 3:
      case 4:
        string(out);
        break;
      case 5: {
        out += '{';
        // Now and then an object past the linear search (and its index) of ordered_index_map.
        const std::uint32_t n = below(8) == 0 ? 40 + below(30) : below(5);
        for (std::uint32_t i = 0; i < n; ++i) {
          if (i) out += ',';
          ws(out);
          if (n > 10) {
            out += "\"k" + std::to_string(below(n)) + "\"";
          } else {
            string(out);
          }
          ws(out);
          out += ':';
          value(out, depth + 1);
        }
        ws(out);
        out += '}';
        break;
      }
      default: {
        out += '[';
        const std::uint32_t n = below(5);
        for (std::uint32_t i = 0; i < n; ++i) {
          if (i) out += ',';
          value(out, depth + 1);
        }
        ws(out);
        out += ']';
        break;
      }
    }
    ws(out);
  }

  std::mt19937 rng_;
};

std::optional<sessions::Data> ours(const std::string& text) {
  try {
    return sessions::signing::parse_python_json(text);
  } catch (const sessions::DecodeError&) {
    return std::nullopt;
  }
}

// Python reads an exponent past the double range as an infinity (so does our reader); nlohmann
// refuses it ("number overflow"). The one difference allowed.
bool has_infinity(const sessions::Data& d) {
  if (d.is_number_float()) return std::isinf(d.get<double>());
  if (d.is_structured()) {
    for (const auto& item : d) {
      if (has_infinity(item)) return true;
    }
  }
  return false;
}

std::optional<sessions::Data> theirs(const std::string& text) {
  sessions::Data d = sessions::Data::parse(text, nullptr, false);
  if (d.is_discarded()) return std::nullopt;
  return d;
}

}  // namespace

TEST_CASE("python_json's reader decodes random JSON as nlohmann's parser does", "[python_json][differential]") {
  RandomJson gen(20261202);
  int compared = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string text = gen.document();
    const auto a = ours(text);
    const auto b = theirs(text);
    INFO(text);
    REQUIRE(b.has_value());
    REQUIRE(a.has_value());
    REQUIRE(*a == *b);
    // Equality of Data compares objects in member order, so the order is checked too; and the
    // text written back is the same (it is what gets signed).
    REQUIRE(sessions::signing::dump_python_json(*a) == sessions::signing::dump_python_json(*b));
    ++compared;
  }
  CHECK(compared == 3000);
}

TEST_CASE("python_json's reader refuses mutated JSON when nlohmann's parser does, and agrees otherwise",
          "[python_json][differential]") {
  RandomJson gen(7);
  static constexpr char kBytes[] = "{}[],:\"\\ 0123456789.-+eEtrufalsn\x01";
  int refused = 0, accepted = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string text = gen.document();
    const std::uint32_t edits = 1 + gen.below(3);
    for (std::uint32_t e = 0; e < edits && !text.empty(); ++e) {
      const std::size_t at = gen.below(static_cast<std::uint32_t>(text.size()));
      switch (gen.below(3)) {
        case 0:
          text.erase(at, 1);
          break;
        case 1:
          text.insert(at, 1, kBytes[gen.below(sizeof kBytes - 1)]);
          break;
        default:
          text[at] = kBytes[gen.below(sizeof kBytes - 1)];
          break;
      }
    }
    const auto a = ours(text);
    const auto b = theirs(text);
    INFO(text);
    if (a && !b && has_infinity(*a)) continue;
    REQUIRE(a.has_value() == b.has_value());
    if (a) {
      REQUIRE(*a == *b);
      ++accepted;
    } else {
      ++refused;
    }
  }
  // Both outcomes occur, so both halves of the comparison ran.
  CHECK(refused > 100);
  CHECK(accepted > 100);
}
