#pragma once
// Constant-time equality for secrets (signatures, MACs, tokens). A plain == stops at the first
// differing byte, so its running time tells an attacker how many leading bytes of a forged
// signature were right; CRYPTO_memcmp always reads every byte.

#include <openssl/crypto.h>

#include <string_view>

#include "bytes.hpp"

namespace sessions::crypto {

/// True iff `a` and `b` hold the same bytes. The time depends only on the lengths, never on the
/// content. Different lengths give false; the length itself is not treated as secret (as in
/// Django's constant_time_compare / Python's hmac.compare_digest).
[[nodiscard]] inline bool constant_time_equal(ByteView a, ByteView b) noexcept {
  if (a.size() != b.size()) {
    // Still walk one input so that the early return does not skip all the work.
    (void)CRYPTO_memcmp(a.data(), a.data(), a.size());
    return false;
  }
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

[[nodiscard]] inline bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  return constant_time_equal(as_bytes(a), as_bytes(b));
}

}  // namespace sessions::crypto
