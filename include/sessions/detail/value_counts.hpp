#pragma once
// The two numbers a save to a value store checks against Settings: the data's compact JSON size
// (max_payload_bytes) and its values below the top level (max_nodes). Walking the whole data for
// them cost about 30% of a MemoryValueStore request, though a request typically changes one key.
// So a save that walked (or knew) them keeps them beside the value it shares, in the deleter of
// its SharedData (std::get_deleter finds them; a SharedData made elsewhere has none and is walked),
// and a Session that loads such a value keeps them up to date through set(): the replaced value
// and the new one are walked, not the rest. Every other change (erase, pop, update, at()...)
// forgets them, and the next save walks the whole data again.

#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

#include "../data.hpp"
#include "../record.hpp"
#include "../settings.hpp"
#include "json_nodes.hpp"
#include "json_size.hpp"

namespace sessions::detail {

/// Exact counts of one session's data (an object); the defaults are those of an empty object.
struct ValueCounts {
  std::size_t size = 2;   // "{}"
  std::size_t nodes = 0;  // values below the top level
};

/// The deleter of a SharedData shared by a save: frees the value, and carries its counts.
struct CountedDelete {
  ValueCounts counts;
  void operator()(const Data* data) const noexcept { delete data; }
};

/// `data` shared immutably, with its counts beside it.
[[nodiscard]] inline SharedData share_counted(Data&& data, const ValueCounts& counts) {
  return SharedData(new Data(std::move(data)), CountedDelete{counts});
}

/// The counts kept beside `value`, if a save put them there.
[[nodiscard]] inline std::optional<ValueCounts> counts_of(const SharedData& value) noexcept {
  if (const auto* deleter = std::get_deleter<CountedDelete>(value)) return deleter->counts;
  return std::nullopt;
}

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

/// The counts of `data` after `data[key] = value`, from `counts` (those of `data`, exact), or
/// nullopt when they cannot be known without a whole walk (a limit passed, data not an object).
/// The values are walked at depth 1, where they will be, so the depth bound applies as in a
/// whole walk.
[[nodiscard]] inline std::optional<ValueCounts> counts_after_set(const Settings& settings, ValueCounts counts,
                                                                 const Data& data, std::string_view key,
                                                                 const Data& value) {
  const std::size_t size_limit = settings.max_payload_bytes;
  const std::size_t node_limit = settings.max_nodes;
  // Counts over a limit (kept under other Settings) would make the bounded walks below inexact.
  if (!data.is_object() || counts.size > size_limit || counts.nodes > node_limit) return std::nullopt;
  std::size_t value_size = 0;
  std::size_t value_nodes = 0;
  if (!json_size_detail::add(value, size_limit, value_size, 1) ||
      !json_nodes_detail::add(value, node_limit, value_nodes, 1)) {
    return std::nullopt;
  }
  const auto it = data.find(key);
  if (it != data.end()) {
    // Exact: the replaced value is part of data within the limits.
    std::size_t old_size = 0;
    std::size_t old_nodes = 0;
    (void)json_size_detail::add(*it, size_limit, old_size, 1);
    (void)json_nodes_detail::add(*it, node_limit, old_nodes, 1);
    counts.size = counts.size - old_size + value_size;
    counts.nodes = counts.nodes - old_nodes + value_nodes;
  } else {
    counts.size += (data.empty() ? 0 : 1) + json_size_detail::string_size(key) + 1 + value_size;  // comma, key, colon
    counts.nodes += 1 + value_nodes;
  }
  return counts;
}

}  // namespace sessions::detail
