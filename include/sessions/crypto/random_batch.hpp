#pragma once
// Random bytes for session keys, drawn from libcrypto's CSPRNG (RAND_bytes) a batch at a time and
// handed out from a buffer of each thread's own. One RAND_bytes call cost about two thirds of a
// new session's instructions (libcrypto's provider lookup on every call); a 4 KiB batch serves
// about 85 keys, so that cost is paid once per 85 new sessions. The bytes are the CSPRNG's, only
// fetched earlier: keys stay as unpredictable as before.
//
// A forked child must never hand out bytes its parent also holds (two processes would issue the
// same keys): a fork handler moves a generation counter, and a thread whose buffer belongs to an
// older generation drops it and draws a fresh batch. Bytes are wiped once handed out, so the
// buffer never holds a key already issued.

#include <openssl/crypto.h>
#include <pthread.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstring>
#include <span>

#include "random.hpp"

namespace sessions::crypto {

inline std::atomic<unsigned> random_fork_generation{0};

inline void note_random_fork() noexcept { random_fork_generation.fetch_add(1, std::memory_order_relaxed); }

/// Fills `out` with CSPRNG bytes from this thread's batch (requests larger than a quarter batch
/// go to RAND_bytes directly). CryptoError when libcrypto cannot produce them.
inline void batched_random_bytes(std::span<unsigned char> out) {
  constexpr std::size_t kBatch = 4096;
  struct Batch {
    std::array<unsigned char, kBatch> bytes{};
    std::size_t used = kBatch;  // nothing drawn yet
    unsigned generation = 0;
    Batch() = default;
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;
    ~Batch() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
  };
  // Registered once per process; a child inherits the registration.
  static const bool fork_handler = pthread_atfork(nullptr, nullptr, &note_random_fork) == 0;
  if (!fork_handler || out.size() > kBatch / 4) {
    random_bytes(out);  // no way to notice a fork, or too big to be worth buffering
    return;
  }
  thread_local Batch batch;
  const unsigned generation = random_fork_generation.load(std::memory_order_relaxed);
  if (batch.generation != generation) {
    OPENSSL_cleanse(batch.bytes.data(), batch.bytes.size());
    batch.used = kBatch;  // drawn before a fork: the parent holds the same bytes
    batch.generation = generation;
  }
  if (kBatch - batch.used < out.size()) {
    random_bytes(batch.bytes);
    batch.used = 0;
  }
  unsigned char* from = batch.bytes.data() + batch.used;
  std::memcpy(out.data(), from, out.size());
  OPENSSL_cleanse(from, out.size());
  batch.used += out.size();
}

}  // namespace sessions::crypto
