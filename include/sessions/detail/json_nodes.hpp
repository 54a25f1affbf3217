#pragma once
// The number of values a session holds below its top level, at every depth: each object member
// and each array element counts one (Settings::max_nodes). Settings::max_keys bounds only the
// top level, so one nested object of 60,000 keys, or an array of 300,000 empty arrays (each a
// heap allocation built from three bytes of input), passed it. Counted without allocating, and
// stopping as soon as the count passes the limit.

#include <cstddef>
#include <optional>
#include <string>

#include "../data.hpp"

namespace sessions::detail {

namespace json_nodes_detail {

// Adds the values below `value` to `total`; false as soon as `total` exceeds `limit`.
inline bool add(const Data& value, std::size_t limit, std::size_t& total, int depth) noexcept {
  if (!value.is_structured()) return true;
  if (depth > 512) {  // deeper than any decoder accepts: count it as too large
    total = limit + 1;
    return false;
  }
  total += value.size();
  if (total > limit) return false;
  if (value.is_object()) {
    for (const auto& member : value.get_ref<const Data::object_t&>()) {
      if (!add(member.second, limit, total, depth + 1)) return false;
    }
  } else {
    for (const Data& element : value.get_ref<const Data::array_t&>()) {
      if (!add(element, limit, total, depth + 1)) return false;
    }
  }
  return true;
}

}  // namespace json_nodes_detail

/// The number of values below `value`'s top level, or some number above `limit` once it exceeds it.
[[nodiscard]] inline std::size_t bounded_node_count(const Data& value, std::size_t limit) noexcept {
  std::size_t total = 0;
  (void)json_nodes_detail::add(value, limit, total, 0);
  return total;
}

/// What data over Settings::max_nodes (`limit`) does, for messages.
[[nodiscard]] inline std::string node_limit_text(std::size_t limit) {
  return "holds more than Settings::max_nodes (" + std::to_string(limit) + ") values at all depths";
}

/// Why `data` breaks Settings::max_nodes (`limit`; 0: no limit), or nullopt when it does not.
[[nodiscard]] inline std::optional<std::string> node_limit_violation(const Data& data, std::size_t limit) {
  if (limit == 0 || bounded_node_count(data, limit) <= limit) return std::nullopt;
  return node_limit_text(limit);
}

}  // namespace sessions::detail
