#pragma once
// Fast non-cryptographic hashing (xxHash3) for change detection and shard selection. Never used
// for anything an attacker must not forge: keys come from the CSPRNG and signatures from HMAC.

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <cstdint>
#include <string_view>

namespace sessions::detail {

[[nodiscard]] inline std::uint64_t fingerprint(std::string_view bytes) noexcept {
  return XXH3_64bits(bytes.data(), bytes.size());
}

}  // namespace sessions::detail
