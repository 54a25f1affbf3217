#pragma once
// Fast non-cryptographic hashing (xxHash3) for change detection and shard selection. Never used
// for anything an attacker must not forge: keys come from the CSPRNG and signatures from HMAC.

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "../data.hpp"

namespace sessions::detail {

[[nodiscard]] inline std::uint64_t fingerprint(std::string_view bytes) noexcept {
  return XXH3_64bits(bytes.data(), bytes.size());
}

/// One top-level key of a session and the fingerprint of its value as loaded: what the merge of
/// Settings::lost_update = merge compares with to tell the keys a request changed.
struct KeyFingerprint {
  std::string key{};
  std::uint64_t value = 0;
};

/// The fingerprint of one value (of its compact JSON text, which is deterministic for equal values
/// with the same key order).
[[nodiscard]] inline std::uint64_t value_fingerprint(const Data& value) { return fingerprint(value.dump()); }

/// A fingerprint per top-level key of `data`, in its order.
[[nodiscard]] inline std::vector<KeyFingerprint> key_fingerprints(const Data& data) {
  std::vector<KeyFingerprint> out;
  if (!data.is_object()) return out;
  out.reserve(data.size());
  for (const auto& item : data.items()) out.push_back(KeyFingerprint{item.key(), value_fingerprint(item.value())});
  return out;
}

}  // namespace sessions::detail
