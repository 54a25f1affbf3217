#pragma once
// The memory a parsed value holds, estimated from its shape, stopping as soon as it passes a
// limit: what bounds the data of a cookie (SignedCookieStore, EncryptedCookieStore:
// Options::max_decoded_bytes) and what the cache of verified cookies counts per entry.
//
// Why not the JSON text's size: the text understates memory by up to ~20 times. `[[],[],...]`
// is 3 bytes of JSON per element, but each element is a node (16 bytes) plus a heap-allocated
// empty array; a 190-byte signed cookie inflating to 63 KB of such JSON parses to about 0.6 MB,
// and a cache of 1,024 of them held most of a gigabyte.
//
// The model (what nlohmann::json keeps): every value is one node of sizeof(Data), held in its
// parent's storage (or by the caller, for the root); an object, array, string or binary value
// owns one heap block for its container plus one for the elements or characters, and an object
// member's key owns a block when it is too long for the small-string buffer. Each block costs
// malloc's rounding and header (16-byte granules, 32 at least). Element storage is counted at
// 1.5 times its size, the average slack of a vector grown by doubling. The estimate depends only
// on the value's shape and the lengths of its strings, never on how the value was built, so
// encoding and decoding the same session measure the same size.

#include <cstddef>
#include <string>

#include "../data.hpp"

namespace sessions::detail {

namespace data_memory_detail {

// One heap block of `n` bytes as malloc keeps it.
[[nodiscard]] constexpr std::size_t block(std::size_t n) noexcept {
  const std::size_t with_header = n + sizeof(void*);
  const std::size_t rounded = (with_header + 15) / 16 * 16;
  return rounded < 32 ? 32 : rounded;
}

// The heap a std::string of this length uses beyond its own bytes (0 within the small buffer).
[[nodiscard]] inline std::size_t string_heap(std::size_t length) noexcept {
  static const std::size_t small = std::string().capacity();
  return length <= small ? 0 : block(length + 1);
}

// Element storage of `n` elements of `size` bytes, with the average growth slack.
[[nodiscard]] constexpr std::size_t elements(std::size_t n, std::size_t size) noexcept {
  return n == 0 ? 0 : block(n * size + n * size / 2);
}

// Adds the heap `value` owns to `total`; false as soon as `total` exceeds `limit`.
inline bool add(const Data& value, std::size_t limit, std::size_t& total, int depth) noexcept {
  if (depth > 512) {  // deeper than any decoder accepts: count it as too large
    total = limit + 1;
    return false;
  }
  switch (value.type()) {
    case Data::value_t::object: {
      const auto& object = value.get_ref<const Data::object_t&>();
      total += block(sizeof(Data::object_t)) + elements(object.size(), sizeof(typename Data::object_t::value_type));
      for (const auto& member : object) {
        total += string_heap(member.first.size());
        if (total > limit || !add(member.second, limit, total, depth + 1)) return false;
      }
      break;
    }
    case Data::value_t::array: {
      const auto& array = value.get_ref<const Data::array_t&>();
      total += block(sizeof(Data::array_t)) + elements(array.size(), sizeof(Data));
      for (const Data& element : array) {
        if (total > limit || !add(element, limit, total, depth + 1)) return false;
      }
      break;
    }
    case Data::value_t::string:
      total += block(sizeof(Data::string_t)) + string_heap(value.get_ref<const Data::string_t&>().size());
      break;
    case Data::value_t::binary:
      total += block(sizeof(Data::binary_t)) + elements(value.get_binary().size(), 1);
      break;
    default:  // numbers, booleans, null: all within the node
      break;
  }
  return total <= limit;
}

}  // namespace data_memory_detail

/// The estimated bytes `value` holds, its own node included (see above), or some number above
/// `limit` once it exceeds it. Stops early, so measuring costs at most what the limit allows.
[[nodiscard]] inline std::size_t bounded_memory_size(const Data& value, std::size_t limit) noexcept {
  std::size_t total = sizeof(Data);
  if (total > limit) return total;
  (void)data_memory_detail::add(value, limit, total, 0);
  return total;
}

}  // namespace sessions::detail
