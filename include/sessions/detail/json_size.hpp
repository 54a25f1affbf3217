#pragma once
// The size of a value's compact JSON text, counted without producing it and without allocating,
// stopping as soon as it passes a limit: Settings::max_payload_bytes for stores that keep values
// (MemoryValueStore), which never serialize. Strings count their bytes plus escapes as
// nlohmann::json's dump() writes them; floating-point numbers count at most 24 bytes (dump()'s
// longest form), so the count may exceed dump()'s by a few bytes per float, never fall short.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "../data.hpp"
#include "byte_word.hpp"

namespace sessions::detail {

namespace json_size_detail {

// Bytes dump() writes for each byte of a string: 1, 2 for the short escapes, 6 for \u00XX.
inline constexpr auto kEscapedSize = [] {
  struct Table {
    unsigned char size[256];
  } t{};
  for (std::size_t c = 0; c < 256; ++c) t.size[c] = static_cast<unsigned char>(c < 0x20 ? 6 : 1);
  for (const char c : {'"', '\\', '\b', '\f', '\n', '\r', '\t'}) t.size[static_cast<unsigned char>(c)] = 2;
  return t;
}();

// Eight bytes at a time while none needs an escape (the common case: keys, ids, hashes), a table
// lookup per byte otherwise: this walk runs on every save of a value store.
inline std::size_t string_size(std::string_view s) noexcept {
  std::size_t n = 2;  // quotes
  std::size_t i = 0;
  const std::size_t size = s.size();
  for (; i + 8 <= size; i += 8) {
    const std::uint64_t w = byte_word::load(s.data() + i);
    if (!byte_word::any_below(w, 0x20) && !byte_word::any_equal(w, '"') && !byte_word::any_equal(w, '\\')) {
      n += 8;
      continue;
    }
    for (std::size_t j = i; j < i + 8; ++j) n += kEscapedSize.size[static_cast<unsigned char>(s[j])];
  }
  for (; i < size; ++i) n += kEscapedSize.size[static_cast<unsigned char>(s[i])];
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
      total += 2 + (value.empty() ? 0 : value.size() - 1);                      // braces, commas
      for (const auto& [key, item] : value.get_ref<const Data::object_t&>()) {  // no items() proxies
        total += string_size(key) + 1;                                          // key and colon
        if (total > limit || !add(item, limit, total, depth + 1)) return false;
      }
      break;
    case Data::value_t::array:
      total += 2 + (value.empty() ? 0 : value.size() - 1);
      for (const auto& element : value.get_ref<const Data::array_t&>()) {
        if (total > limit || !add(element, limit, total, depth + 1)) return false;
      }
      break;
    case Data::value_t::string:
      total += string_size(value.get_ref<const std::string&>());
      break;
    case Data::value_t::boolean:
      total += *value.get_ptr<const Data::boolean_t*>() ? std::size_t{4} : std::size_t{5};
      break;
    case Data::value_t::number_integer: {
      const std::int64_t v = *value.get_ptr<const Data::number_integer_t*>();
      total += v < 0 ? 1 + digits(static_cast<std::uint64_t>(-(v + 1)) + 1) : digits(static_cast<std::uint64_t>(v));
      break;
    }
    case Data::value_t::number_unsigned:
      total += digits(*value.get_ptr<const Data::number_unsigned_t*>());
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
