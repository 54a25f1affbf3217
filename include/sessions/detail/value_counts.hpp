#pragma once
// The two numbers a save to a value store checks against Settings: the data's compact JSON size
// (max_payload_bytes) and its values below the top level (max_nodes). Walking the whole data for
// them cost about 30% of a MemoryValueStore request, though a request typically changes one key.
// So a save that walked (or knew) them keeps them in the MemberList it shares, and a Session that
// loads such a list keeps them up to date through set(): the replaced value and the new one are
// walked, not the rest. Every other change (erase, pop, update, at()...) forgets them, and the
// next save walks the whole data again.

#include <cstddef>
#include <optional>
#include <string_view>

#include "../data.hpp"
#include "../settings.hpp"
#include "json_nodes.hpp"
#include "json_size.hpp"

namespace sessions::detail {

/// Exact counts of one session's data (an object); the defaults are those of an empty object.
struct ValueCounts {
  std::size_t size = 2;   // "{}"
  std::size_t nodes = 0;  // values below the top level
};

/// Counts are kept only while both limits are on (a limit of 0 is never walked for).
[[nodiscard]] inline bool counts_wanted(const Settings& settings) noexcept {
  return settings.max_payload_bytes != 0 && settings.max_nodes != 0;
}

/// The counts of `data` by walking it; nullopt once either passes its limit (then the counts are
/// not exact, and the limit check rejects the data).
[[nodiscard]] inline std::optional<ValueCounts> walk_counts(const Settings& settings, const Data& data) {
  const ValueCounts counts{bounded_json_size(data, settings.max_payload_bytes),
                           bounded_node_count(data, settings.max_nodes)};
  if (counts.size > settings.max_payload_bytes || counts.nodes > settings.max_nodes) return std::nullopt;
  return counts;
}

/// The counts of an object's members (pointers to `key` and `value`, as MemberList holds them) by
/// walking them; nullopt once either passes its limit.
template <class Members>
[[nodiscard]] std::optional<ValueCounts> walk_member_counts(const Settings& settings, const Members& members) {
  const std::size_t size_limit = settings.max_payload_bytes;
  const std::size_t node_limit = settings.max_nodes;
  ValueCounts counts{};
  bool first = true;
  for (const auto& member : members) {
    counts.size += (first ? 0 : 1) + json_size_detail::string_size(member->key) + 1;  // comma, key, colon
    counts.nodes += 1;
    first = false;
    if (!json_size_detail::add(member->value, size_limit, counts.size, 1) ||
        !json_nodes_detail::add(member->value, node_limit, counts.nodes, 1) || counts.size > size_limit ||
        counts.nodes > node_limit) {
      return std::nullopt;
    }
  }
  return counts;
}

/// The counts of an object after `object[key] = value`, from `counts` (those of the object, exact):
/// `replaced` is the value under `key` before (null when new), `was_empty` whether the object had
/// no member. nullopt when they cannot be known without a whole walk (a limit passed). The values
/// are walked at depth 1, where they will be, so the depth bound applies as in a whole walk.
[[nodiscard]] inline std::optional<ValueCounts> counts_after_set(const Settings& settings, ValueCounts counts,
                                                                 const Data* replaced, bool was_empty,
                                                                 std::string_view key, const Data& value) {
  const std::size_t size_limit = settings.max_payload_bytes;
  const std::size_t node_limit = settings.max_nodes;
  // Counts over a limit (kept under other Settings) would make the bounded walks below inexact.
  if (counts.size > size_limit || counts.nodes > node_limit) return std::nullopt;
  std::size_t value_size = 0;
  std::size_t value_nodes = 0;
  if (!json_size_detail::add(value, size_limit, value_size, 1) ||
      !json_nodes_detail::add(value, node_limit, value_nodes, 1)) {
    return std::nullopt;
  }
  if (replaced != nullptr) {
    // Exact: the replaced value is part of data within the limits.
    std::size_t old_size = 0;
    std::size_t old_nodes = 0;
    (void)json_size_detail::add(*replaced, size_limit, old_size, 1);
    (void)json_nodes_detail::add(*replaced, node_limit, old_nodes, 1);
    counts.size = counts.size - old_size + value_size;
    counts.nodes = counts.nodes - old_nodes + value_nodes;
  } else {
    counts.size += (was_empty ? 0 : 1) + json_size_detail::string_size(key) + 1 + value_size;  // comma, key, colon
    counts.nodes += 1 + value_nodes;
  }
  return counts;
}

}  // namespace sessions::detail
