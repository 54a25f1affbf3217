#pragma once
// The size of a value's compact JSON text, counted without producing it and without allocating,
// stopping as soon as it passes a limit: Settings::max_payload_bytes for stores that keep values
// (MemoryValueStore), which never serialize. Strings count their bytes plus escapes as
// nlohmann::json's dump() writes them; floating-point numbers count at most 24 bytes (dump()'s
// longest form), so the count may exceed dump()'s by a few bytes per float, never fall short.

#include <cstddef>
#include <cstdint>
#include <string>

#include "../data.hpp"

namespace sessions::detail {

namespace json_size_detail {

inline std::size_t string_size(const std::string& s) noexcept {
  std::size_t n = 2;  // quotes
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t') {
      n += 2;
    } else if (c < 0x20) {
      n += 6;  // \u00XX
    } else {
      n += 1;
    }
  }
  return n;
}

inline std::size_t digits(std::uint64_t v) noexcept {
  std::size_t n = 1;
  while (v >= 10) {
    v /= 10;
    ++n;
  }
  return n;
}

// Adds the size of `value` to `total`; false as soon as `total` exceeds `limit`.
inline bool add(const Data& value, std::size_t limit, std::size_t& total, int depth) noexcept {
  if (depth > 512) {  // deeper than any decoder accepts: count it as too large
    total = limit + 1;
    return false;
  }
  switch (value.type()) {
    case Data::value_t::object:
      total += 2 + (value.empty() ? 0 : value.size() - 1);  // braces, commas
      for (const auto& item : value.items()) {
        total += string_size(item.key()) + 1;  // key and colon
        if (total > limit || !add(item.value(), limit, total, depth + 1)) return false;
      }
      break;
    case Data::value_t::array:
      total += 2 + (value.empty() ? 0 : value.size() - 1);
      for (const auto& element : value) {
        if (total > limit || !add(element, limit, total, depth + 1)) return false;
      }
      break;
    case Data::value_t::string:
      total += string_size(value.get_ref<const std::string&>());
      break;
    case Data::value_t::boolean:
      total += value.get<bool>() ? std::size_t{4} : std::size_t{5};
      break;
    case Data::value_t::number_integer: {
      const auto v = value.get<std::int64_t>();
      total += v < 0 ? 1 + digits(static_cast<std::uint64_t>(-(v + 1)) + 1) : digits(static_cast<std::uint64_t>(v));
      break;
    }
    case Data::value_t::number_unsigned:
      total += digits(value.get<std::uint64_t>());
      break;
    case Data::value_t::number_float:
      total += 24;
      break;
    case Data::value_t::binary:
      total += value.get_binary().size() * 4 + 16;
      break;
    case Data::value_t::null:
    case Data::value_t::discarded:
    default:
      total += 4;
      break;
  }
  return total <= limit;
}

}  // namespace json_size_detail

/// The compact JSON size of `value` (see above), or some number above `limit` once it exceeds it.
[[nodiscard]] inline std::size_t bounded_json_size(const Data& value, std::size_t limit) noexcept {
  std::size_t total = 0;
  (void)json_size_detail::add(value, limit, total, 0);
  return total;
}

}  // namespace sessions::detail
