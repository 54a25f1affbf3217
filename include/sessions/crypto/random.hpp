#pragma once
// Cryptographically secure random bytes from libcrypto (RAND_bytes, seeded by the OS).

#include <openssl/rand.h>

#include <climits>
#include <cstddef>
#include <span>

#include "../errors.hpp"

namespace sessions::crypto {

/// Fills `out` with random bytes from libcrypto's CSPRNG; throws CryptoError if it cannot.
inline void random_bytes(std::span<unsigned char> out) {
  while (!out.empty()) {
    const std::size_t chunk = out.size() < static_cast<std::size_t>(INT_MAX) ? out.size() : INT_MAX;
    if (RAND_bytes(out.data(), static_cast<int>(chunk)) != 1) {
      throw CryptoError("RAND_bytes failed: libcrypto could not produce random bytes");
    }
    out = out.subspan(chunk);
  }
}

}  // namespace sessions::crypto
