#pragma once
// Session data is a JSON object whose keys keep their insertion order, as a Python dict does, and
// whose lookup stays O(log n) however many keys a client sends (detail/ordered_index_map.hpp).

#include <nlohmann/json.hpp>

#include "detail/ordered_index_map.hpp"

namespace sessions {

/// One session's data: a JSON object, insertion order kept (nlohmann::basic_json over an ordered
/// map with an index; otherwise the same as nlohmann::ordered_json).
using Data = nlohmann::basic_json<detail::ordered_index_map>;

}  // namespace sessions
