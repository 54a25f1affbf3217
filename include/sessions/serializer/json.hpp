#pragma once
// JsonSerializer: session data as compact JSON text (nlohmann_json). The default serializer for
// server-side stores. Layered serializers (Django's signed format, encryption) wrap a serializer.

#include <cstddef>
#include <string>
#include <string_view>

#include "../data.hpp"
#include "../errors.hpp"

namespace sessions {

class JsonSerializer {
 public:
  /// dumps(loads(x)) == x whenever x came from dumps: the session layer may then fingerprint the
  /// stored bytes directly instead of serializing the data again.
  static constexpr bool canonical = true;

  /// Nesting deeper than this is refused on decode: it is never legitimate session data, and
  /// unbounded depth would let a corrupted record exhaust the stack of recursive consumers.
  static constexpr std::size_t max_depth = 128;

  [[nodiscard]] std::string dumps(const Data& data) const {
    try {
      return data.dump();
    } catch (const nlohmann::json::exception& e) {
      // dump() throws on invalid UTF-8 in strings.
      throw EncodeError(std::string("session data cannot be written as JSON: ") + e.what());
    }
  }

  [[nodiscard]] Data loads(std::string_view bytes) const {
    const auto limit_depth = [](int depth, Data::parse_event_t, Data&) {
      if (static_cast<std::size_t>(depth) > max_depth) throw DecodeError("session data nests deeper than the limit");
      return true;
    };
    Data data;
    try {
      data = Data::parse(bytes.begin(), bytes.end(), limit_depth);
    } catch (const nlohmann::json::exception& e) {
      throw DecodeError(std::string("session data is not valid JSON: ") + e.what());
    }
    if (!data.is_object()) throw DecodeError("session data is not a JSON object");
    return data;
  }
};

}  // namespace sessions
