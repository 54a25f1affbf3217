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

  /// Throws EncodeError for data loads() would refuse (invalid UTF-8, nesting deeper than
  /// max_depth): refused here, the caller learns it at the save; written, the next load would
  /// drop the whole session as corrupted.
  [[nodiscard]] std::string dumps(const Data& data) const {
    // Before the dump, whose recursion follows the data however deep it goes.
    if (data_nests_too_deep(data)) throw EncodeError("session data nests deeper than the limit");
    try {
      return data.dump();
    } catch (const nlohmann::json::exception& e) {
      // dump() throws on invalid UTF-8 in strings.
      throw EncodeError(std::string("session data cannot be written as JSON: ") + e.what());
    }
  }

  [[nodiscard]] Data loads(std::string_view bytes) const {
    if (nests_too_deep(bytes)) throw DecodeError("session data nests deeper than the limit");
    Data data;
    try {
      // nlohmann's plain parser: a parse with a callback (which could check the depth as it
      // goes) costs a fifth more on every load, so the depth is checked by the scan above.
      data = Data::parse(bytes.begin(), bytes.end());
    } catch (const nlohmann::json::exception& e) {
      throw DecodeError(std::string("session data is not valid JSON: ") + e.what());
    }
    if (!data.is_object()) throw DecodeError("session data is not a JSON object");
    return data;
  }

  /// True when `value` holds a value inside more than max_depth arrays or objects: the rule of
  /// the text scan below, asked of the data itself. The walk visits containers only (a scalar
  /// can only be too deep inside a container that is), so a typical session of flat members
  /// costs one look per member instead of one per byte of its JSON; it stops at the first
  /// non-empty container max_depth levels down, so it never recurses deeper than max_depth.
  [[nodiscard]] static bool data_nests_too_deep(const Data& value, std::size_t depth = 0) noexcept {
    if (value.is_object()) {
      if (value.empty()) return false;
      if (depth >= max_depth) return true;
      for (const auto& member : value.get_ref<const Data::object_t&>()) {
        if (member.second.is_structured() && data_nests_too_deep(member.second, depth + 1)) return true;
      }
    } else if (value.is_array()) {
      if (value.empty()) return false;
      if (depth >= max_depth) return true;
      for (const Data& element : value.get_ref<const Data::array_t&>()) {
        if (element.is_structured() && data_nests_too_deep(element, depth + 1)) return true;
      }
    }
    return false;
  }

  /// True when JSON text holds a value inside more than max_depth arrays or objects (a key, a
  /// scalar, or an array or object, which must then be empty, may sit directly inside max_depth
  /// of them, and nothing deeper). One pass over the bytes, skipping strings; text that is not
  /// JSON may be counted wrongly, but the parse refuses it anyway.
  [[nodiscard]] static bool nests_too_deep(std::string_view text) noexcept {
    std::size_t open = 0;
    bool in_string = false;
    bool escaped = false;
    for (const char c : text) {
      if (in_string) {
        if (escaped) {
          escaped = false;
        } else if (c == '\\') {
          escaped = true;
        } else if (c == '"') {
          in_string = false;
        }
        continue;
      }
      switch (c) {
        case ' ':
        case '\t':
        case '\n':
        case '\r':
        case ',':
        case ':':
          break;
        case ']':
        case '}':
          if (open > 0) --open;
          break;
        case '[':
        case '{':
          if (open > max_depth) return true;
          ++open;
          break;
        case '"':
          in_string = true;
          [[fallthrough]];
        default:  // a key, a string, a number, true, false, null
          if (open > max_depth) return true;
          break;
      }
    }
    return false;
  }
};

}  // namespace sessions
