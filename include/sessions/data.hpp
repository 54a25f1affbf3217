#pragma once
// Session data is a JSON object whose keys keep their insertion order, as a Python dict does.

#include <nlohmann/json.hpp>

namespace sessions {

/// One session's data: a JSON object, insertion order kept.
using Data = nlohmann::ordered_json;

}  // namespace sessions
