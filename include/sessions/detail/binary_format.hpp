#pragma once
// The mechanics the binary serializers (CBOR, MessagePack) share: a decoder that keeps the
// promises of the JSON one, and the check their encoders make first.
//
// Decoding goes through nlohmann's SAX interface with a builder of our own, rather than
// from_cbor()/from_msgpack(), because those take whatever the format can say:
//   - depth: nlohmann's binary reader recurses once per nested array or map, so a few hundred
//     kilobytes of 0x81 bytes would exhaust the stack. The builder refuses a value inside more
//     than JsonSerializer::max_depth containers as it opens them, which stops the reader there.
//   - text: the formats carry strings as bytes and nlohmann does not check them; a string that
//     is not UTF-8 would decode, then make every later dump() of the data throw (a fingerprint,
//     a merge, the application's own logging). The builder refuses it.
//   - the top level must be an object (a map), as for JSON.
// Nothing is reserved from a length the input claims (an array header saying 2^32 elements
// allocates nothing before the elements arrive), duplicate map keys keep the first position and
// the last value as JSON's parse does, and every step is O(1) or O(log n) (the key index), so
// decoding is linear in the input. Session data holds JSON values only, whatever the format:
// byte strings (CBOR major type 2, MessagePack bin and ext) and CBOR tags are refused, and the
// encoders refuse an nlohmann binary value (which JSON text cannot hold either).

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../data.hpp"
#include "../errors.hpp"
#include "../serializer/json.hpp"
#include "byte_word.hpp"

namespace sessions::detail::binary_format {

/// True when `s` is well-formed UTF-8 (no overlong form, no surrogate, nothing above U+10FFFF).
[[nodiscard]] inline bool valid_utf8(std::string_view s) noexcept {
  const std::size_t size = s.size();
  std::size_t i = 0;
  while (i < size) {
    // ASCII eight bytes at a time: keys and most values are.
    if (i + 8 <= size && (byte_word::load(s.data() + i) & byte_word::kHighs) == 0) {
      i += 8;
      continue;
    }
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the second byte's range
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      len = 3;
      if (b0 == 0xE0) lo = 0xA0;
      if (b0 == 0xED) hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      len = 4;
      if (b0 == 0xF0) lo = 0x90;
      if (b0 == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (size - i < len) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return false;
    }
    i += len;
  }
  return true;
}

/// The first problem that keeps `value` from being written as session data the binary decoders
/// accept back (a string or key that is not UTF-8), or empty. The encoders check first, as
/// JsonSerializer's dump() does, so that a save fails loudly (EncodeError) rather than writing a
/// record that would load as an empty session.
// A container `depth` levels down (inside `depth` others) may hold values only above the limit.
[[nodiscard]] inline const char* unwritable(const Data& value, int depth = 0) {
  constexpr const char* kTooDeep = "the data nests deeper than the limit";
  switch (value.type()) {
    case Data::value_t::string:
      return valid_utf8(value.get_ref<const std::string&>()) ? nullptr : "a string is not valid UTF-8";
    case Data::value_t::binary:
      return "a binary value (session data holds JSON values only)";
    case Data::value_t::object:
      if (!value.empty() && static_cast<std::size_t>(depth) >= JsonSerializer::max_depth) return kTooDeep;
      for (const auto& member : value.get_ref<const Data::object_t&>()) {
        if (!valid_utf8(member.first)) return "a key is not valid UTF-8";
        if (const char* why = unwritable(member.second, depth + 1)) return why;
      }
      return nullptr;
    case Data::value_t::array:
      if (!value.empty() && static_cast<std::size_t>(depth) >= JsonSerializer::max_depth) return kTooDeep;
      for (const Data& element : value.get_ref<const Data::array_t&>()) {
        if (const char* why = unwritable(element, depth + 1)) return why;
      }
      return nullptr;
    default:
      return nullptr;
  }
}

/// Builds session data from nlohmann's SAX events, with the checks above. Each event returns
/// false to stop the reader at the first problem, which why() then names.
class Builder {
 public:
  using number_integer_t = Data::number_integer_t;
  using number_unsigned_t = Data::number_unsigned_t;
  using number_float_t = Data::number_float_t;
  using string_t = Data::string_t;
  using binary_t = Data::binary_t;

  bool null() { return put(Data(nullptr)); }
  bool boolean(bool v) { return put(Data(v)); }
  bool number_integer(number_integer_t v) { return put(Data(v)); }
  bool number_unsigned(number_unsigned_t v) { return put(Data(v)); }
  bool number_float(number_float_t v, const string_t& /*text*/) { return put(Data(v)); }
  bool string(string_t& v) {
    if (!valid_utf8(v)) return fail("a string is not valid UTF-8");
    return put(Data(std::move(v)));
  }
  bool binary(binary_t& /*bytes*/) { return fail("a byte string (session data holds JSON values only)"); }

  bool start_object(std::size_t /*claimed*/) { return open(Data::object()); }
  bool key(string_t& k) {
    if (stack_.size() > JsonSerializer::max_depth) return fail("the data nests deeper than the limit");
    if (!valid_utf8(k)) return fail("a key is not valid UTF-8");
    pending_key_ = std::move(k);
    return true;
  }
  bool end_object() { return close(); }
  bool start_array(std::size_t /*claimed*/) { return open(Data::array()); }
  bool end_array() { return close(); }

  bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/, const Data::exception& e) {
    reader_error_ = e.what();
    return fail(nullptr);
  }

  /// What stopped the reader (empty when it did not stop).
  [[nodiscard]] std::string why() const {
    if (!reader_error_.empty()) return reader_error_;
    return why_ != nullptr ? why_ : "";
  }

  /// The decoded data: an object, else DecodeError.
  [[nodiscard]] Data take(std::string_view format) {
    if (!root_.is_object()) throw DecodeError(std::string("session data in ") + std::string(format) + " is not a map");
    return std::move(root_);
  }

 private:
  bool fail(const char* why) {
    why_ = why;
    return false;
  }

  // A scalar, or a container just opened, goes where the reader is: the top level, the next
  // array element, or the member under the key just read. Returns where it went.
  Data* place(Data&& value) {
    if (stack_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    Data& parent = *stack_.back();
    if (parent.is_array()) {
      auto& elements = parent.get_ref<Data::array_t&>();
      elements.push_back(std::move(value));
      return &elements.back();
    }
    Data& slot = parent[pending_key_];  // a repeated key: first position, last value
    slot = std::move(value);
    return &slot;
  }

  bool put(Data&& value) {
    if (stack_.size() > JsonSerializer::max_depth) return fail("the data nests deeper than the limit");
    (void)place(std::move(value));
    return true;
  }

  bool open(Data&& container) {
    if (stack_.size() > JsonSerializer::max_depth) return fail("the data nests deeper than the limit");
    stack_.push_back(place(std::move(container)));
    return true;
  }

  bool close() {
    stack_.pop_back();
    return true;
  }

  Data root_;
  std::vector<Data*> stack_;  // the open containers; each pointer stays valid while it is open
  string_t pending_key_;
  const char* why_ = nullptr;
  std::string reader_error_;
};

/// `data` written by `write(data, out)` (nlohmann's to_cbor or to_msgpack) once unwritable() finds
/// nothing; EncodeError naming `format_name` otherwise.
template <class Write>
[[nodiscard]] std::string encode(const Data& data, std::string_view format_name, Write write) {
  if (const char* why = unwritable(data)) {
    throw EncodeError("session data cannot be written as " + std::string(format_name) + ": " + why);
  }
  std::string out;
  write(data, out);
  return out;
}

/// Decodes `bytes` in `format` as session data: DecodeError for anything but a map whose
/// strings are UTF-8, nested at most JsonSerializer::max_depth deep, with no byte left over.
[[nodiscard]] inline Data decode(std::string_view bytes, nlohmann::json::input_format_t format,
                                 std::string_view format_name) {
  Builder builder;
  bool ok = false;
  try {
    ok = Data::sax_parse(bytes.begin(), bytes.end(), &builder, format, /*strict=*/true);
  } catch (const nlohmann::json::exception& e) {
    throw DecodeError(std::string("session data is not valid ") + std::string(format_name) + ": " + e.what());
  }
  if (!ok) {
    throw DecodeError(std::string("session data is not valid ") + std::string(format_name) + ": " + builder.why());
  }
  return builder.take(format_name);
}

}  // namespace sessions::detail::binary_format
