#pragma once
// MessagePackSerializer: session data as MessagePack (msgpack.org), nlohmann_json's binary form of the
// same values, for server-side stores that keep bytes (Redis, memcached, files, memory). On the
// benchmark payloads it is a fifth smaller than JSON text, written in 0.7 and read in 0.6 of
// JSON's time (docs/benchmarks.md, "Serializers"). Its bytes are binary (any byte, NUL
// included), so the SQL stores, whose column is text, refuse it at compile time: wrap it in
// Base64Serializer there.
//
// What loads() accepts is what JsonSerializer's loads() would give for the same data: a map at
// the top, UTF-8 strings and keys, at most JsonSerializer::max_depth levels deep; anything else
// is DecodeError (detail/binary_format.hpp says how, and why not nlohmann's from_msgpack()).
// dumps() writes integers in their shortest form, floats as single precision when that is exact,
// in the data's own key order: the same data always gives the same bytes.

#include <string>
#include <string_view>

#include "../data.hpp"
#include "../detail/binary_format.hpp"
#include "../errors.hpp"

namespace sessions {

class MessagePackSerializer {
 public:
  /// dumps(loads(x)) == x for bytes dumps() wrote: the session layer fingerprints stored bytes.
  static constexpr bool canonical = true;
  static constexpr bool binary = true;

  [[nodiscard]] std::string dumps(const Data& data) const {
    return detail::binary_format::encode(data, "MessagePack",
                                         [](const Data& d, std::string& out) { Data::to_msgpack(d, out); });
  }

  [[nodiscard]] Data loads(std::string_view bytes) const {
    return detail::binary_format::decode(bytes, nlohmann::json::input_format_t::msgpack, "MessagePack");
  }
};

}  // namespace sessions
