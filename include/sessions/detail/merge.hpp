#pragma once
// Lost-update protection (Settings::lost_update, off by default as in Django): with `fail` or
// `merge`, the load keeps the payload it read (and, for merge, a fingerprint of each top-level
// value), and save() writes through the store's update_if(), a compare-and-set against that
// payload. When another request saved the session in between: `fail` throws ConflictError;
// `merge` reloads the record, applies this request's changes on top of it (the keys whose value
// changed or that are new are set, the keys it erased are erased; clear() or flush() replaces
// everything) and tries again, up to Settings::merge_attempts times. A key changed by both
// requests is a ConflictError even with merge: the value this request computed from what it read
// would overwrite the other's change. A record deleted meanwhile
// (logout, cycle_key) is `missing`: UpdateError as always, never re-created. Off, none of this
// runs: no copy kept, no fingerprint computed, no extra round trip. The guarantee holds between
// requests that all use update_if (every store of the library implements it atomically); a request
// saving with protection off still overwrites. A session that never read its record (clear() on a
// session never loaded, then save) has no version to compare with: it replaces the record with a
// plain update, as the clear() asked.
//

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "../data.hpp"
#include "../errors.hpp"
#include "../log.hpp"
#include "../settings.hpp"
#include "fingerprint.hpp"

namespace sessions::detail {

/// Empty unless Settings::lost_update asks for protection: the payload the record held when this
/// request loaded (or last wrote) it, a fingerprint per top-level key of that data (merge), and
/// whether clear()/flush() asked to replace the data whole.
template <class Payload>
struct LoadedVersion {
  std::optional<Payload> expected{};
  std::vector<KeyFingerprint> keys{};
  bool whole_change = false;

  /// `payload` holding `data` is now the version the next save compares with. `data` may be a
  /// function that gives it, called only for merge (the only use of it).
  template <class DataOrSource>
  void remember(const Settings& settings, Payload payload, const DataOrSource& data) {
    expected = std::move(payload);
    if (settings.lost_update == LostUpdate::merge) {
      if constexpr (std::is_invocable_v<const DataOrSource&>) {
        keys = key_fingerprints(data());
      } else {
        keys = key_fingerprints(data);
      }
    }
    whole_change = false;
  }
};

[[noreturn]] inline void same_key_conflict(std::string_view session_key, std::string_view name) {
  throw ConflictError("session " + std::string(loggable_key_prefix(session_key)) + "...: key '" + std::string(name) +
                      "' was changed by this request and by another one since this one loaded it; nothing was "
                      "written (Settings::lost_update = merge merges only changes to different keys)");
}

[[noreturn]] inline void conflict(const Settings& settings, std::string_view key, int attempts) {
  if (settings.lost_update == LostUpdate::fail) {
    throw ConflictError("session " + std::string(loggable_key_prefix(key)) +
                        "...: another request saved it since this one loaded it (Settings::lost_update = fail); "
                        "nothing was written");
  }
  throw ConflictError("session " + std::string(loggable_key_prefix(key)) +
                      "...: still changed by other requests after " + std::to_string(attempts) +
                      " merge attempts (Settings::merge_attempts); nothing was written");
}

/// The record's current data `theirs` with this request's changes (`mine` against the keys it
/// loaded) applied: the keys whose value differs from what was loaded (or that are new) set, the
/// keys loaded and since erased removed. After clear() or flush(), `mine` replaces theirs whole.
/// A key that both this request and the other one changed is a real conflict, even when both
/// wrote the same value: this request's value was computed from what it loaded (two increments
/// of one counter write equal values), so writing it over theirs could lose their change.
template <class Payload>
[[nodiscard]] Data merged_onto(const Data& mine, const LoadedVersion<Payload>& version, Data theirs,
                               std::string_view session_key) {
  if (version.whole_change) return mine;
  if (!theirs.is_object()) theirs = Data::object();
  std::unordered_map<std::string_view, std::uint64_t> loaded;
  loaded.reserve(version.keys.size());
  for (const auto& k : version.keys) loaded.emplace(k.key, k.value);
  const auto changed_by_them = [&](const std::string& name) {
    const auto was = loaded.find(name);
    const auto now = theirs.find(name);
    if (was == loaded.end()) return now != theirs.end();  // they added it
    return now == theirs.end() || value_fingerprint(*now) != was->second;
  };
  for (const auto& item : mine.items()) {
    const auto was = loaded.find(item.key());
    if (was != loaded.end() && was->second == value_fingerprint(item.value())) continue;  // not ours
    if (changed_by_them(item.key())) same_key_conflict(session_key, item.key());
    theirs[item.key()] = item.value();
  }
  for (const auto& k : version.keys) {
    if (mine.contains(k.key)) continue;
    if (changed_by_them(k.key) && theirs.contains(k.key)) same_key_conflict(session_key, k.key);
    theirs.erase(k.key);
  }
  return theirs;
}

}  // namespace sessions::detail
