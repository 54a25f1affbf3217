#pragma once
// Settings::max_keys, max_nodes and max_payload_bytes at the two places they apply: a save over a limit
// throws LimitExceeded and writes nothing; a loaded record over a limit is logged on the security
// logger (as corrupt data is) and the session goes on empty.

#include <cstddef>
#include <string>
#include <string_view>

#include "../data.hpp"
#include "../errors.hpp"
#include "../log.hpp"
#include "../session_key.hpp"
#include "../settings.hpp"
#include "json_nodes.hpp"

namespace sessions::detail {

/// Logs a record the session refuses to load; `key` may be empty (never logged whole).
inline void log_suspicious(const Settings& settings, std::string_view key, std::string_view what) {
  settings.logger(LogLevel::warning, "sessions.security.SuspiciousSession",
                  std::string("Session data rejected (key ") + std::string(loggable_key_prefix(key)) +
                      "...): " + std::string(what));
}

/// A loaded record with `keys` top-level keys, more than Settings::max_keys (logged).
[[nodiscard]] inline bool over_key_limit(const Settings& settings, std::string_view key, std::size_t keys) {
  const std::size_t limit = settings.max_keys;
  if (limit == 0 || keys <= limit) return false;
  log_suspicious(settings, key,
                 "the stored session holds " + std::to_string(keys) + " keys, more than Settings::max_keys (" +
                     std::to_string(limit) + ")");
  return true;
}

/// Loaded data with more top-level keys than Settings::max_keys (logged).
[[nodiscard]] inline bool over_key_limit(const Settings& settings, std::string_view key, const Data& data) {
  return data.is_object() && over_key_limit(settings, key, data.size());
}

/// Loaded data with more values at all depths than Settings::max_nodes (logged).
[[nodiscard]] inline bool over_node_limit(const Settings& settings, std::string_view key, const Data& data) {
  const auto why = node_limit_violation(data, settings.max_nodes);
  if (why) log_suspicious(settings, key, "the stored session " + *why);
  return why.has_value();
}

/// A loaded payload of `size` bytes over Settings::max_payload_bytes (logged).
[[nodiscard]] inline bool over_size_limit(const Settings& settings, std::string_view key, std::size_t size) {
  const std::size_t limit = settings.max_payload_bytes;
  if (limit == 0 || size <= limit) return false;
  log_suspicious(settings, key,
                 "the stored session is larger than Settings::max_payload_bytes (" + std::to_string(limit) + ")");
  return true;
}

/// Before a save: LimitExceeded when `keys` (the session's top-level keys) exceed Settings::max_keys.
inline void check_key_count(const Settings& settings, std::size_t keys) {
  const std::size_t limit = settings.max_keys;
  if (limit != 0 && keys > limit) {
    throw LimitExceeded("the session holds " + std::to_string(keys) + " keys, more than Settings::max_keys (" +
                        std::to_string(limit) + "); nothing was saved");
  }
}

/// Before a save: LimitExceeded when `data` has more top-level keys than Settings::max_keys.
inline void check_key_limit(const Settings& settings, const Data& data) {
  if (data.is_object()) check_key_count(settings, data.size());
}

/// Before a save: LimitExceeded when `data` holds more values at all depths than Settings::max_nodes.
inline void check_node_limit(const Settings& settings, const Data& data) {
  if (const auto why = node_limit_violation(data, settings.max_nodes)) {
    throw LimitExceeded("the session " + *why + "; nothing was saved");
  }
}

/// Before a save: LimitExceeded when `nodes` (values at all depths, counted) exceed Settings::max_nodes.
inline void check_node_count(const Settings& settings, std::size_t nodes) {
  if (settings.max_nodes != 0 && nodes > settings.max_nodes) {
    throw LimitExceeded("the session " + node_limit_text(settings.max_nodes) + "; nothing was saved");
  }
}

/// Before a save: LimitExceeded when the payload's `size` exceeds Settings::max_payload_bytes.
inline void check_size_limit(const Settings& settings, std::size_t size) {
  const std::size_t limit = settings.max_payload_bytes;
  if (limit != 0 && size > limit) {
    throw LimitExceeded("the serialized session is larger than Settings::max_payload_bytes (" + std::to_string(limit) +
                        " bytes); nothing was saved");
  }
}

}  // namespace sessions::detail
