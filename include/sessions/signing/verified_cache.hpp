#pragma once
// VerifiedCache: a bounded memory of signed values that already verified, and what they decoded
// to, so that a request carrying exactly a value seen recently skips the HMAC, the inflate and the
// JSON parse (issue 7: the read path of the signed-cookie store).
//
// Why it is safe:
//  - Only values that verified are inserted, and a lookup hits only on the WHOLE value, compared
//    in constant time: a forged or altered cookie never hits, and timing does not reveal how much
//    of a cached cookie (another visitor's) an attacker's guess shares.
//  - The cache answers "this exact string verified under this store's keys"; the caller still
//    applies max_age to the stored timestamp at every hit. Keys cannot change under a store (key
//    rotation means a new store, with a new, empty cache).
//  - The decoded data is shared immutably (std::shared_ptr<const Data>): callers copy it before
//    changing it, so one request's changes never leak into another's.
// Slots are chosen by a seeded XXH3 of the value (the seed is random per process, so nobody can
// aim cookies at one slot); a new value replaces whatever held its slot (direct-mapped, bounded
// by construction). XXH3 is no MAC and nothing here relies on it as one: it only picks a slot,
// never decides a hit (the constant-time comparison of the whole value above does), so the most
// a collision could cost is an eviction, i.e. one full verification. Thread-safe: the slots are split into shards, each behind its own mutex, held
// only to compare and copy a pointer.

#ifndef XXH_INLINE_ALL
#define XXH_INLINE_ALL
#endif
#include <xxhash.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../crypto/compare.hpp"
#include "../crypto/random.hpp"
#include "../data.hpp"

namespace sessions::signing {

class VerifiedCache {
 public:
  struct Entry {
    std::shared_ptr<const Data> data{};
    /// The signing time written in the value (Unix seconds).
    std::int64_t timestamp = 0;
  };

  /// Room for about `capacity` values (rounded up to a power of two); 0 disables the cache.
  explicit VerifiedCache(std::size_t capacity) {
    if (capacity == 0) return;
    std::size_t slots = 1;
    while (slots < capacity) slots <<= 1;
    const std::size_t shards = slots < kMaxShards ? slots : kMaxShards;
    shards_ = std::vector<Shard>(shards);
    for (Shard& shard : shards_) shard.slots.resize(slots / shards);
    shard_mask_ = shards - 1;
    slot_mask_ = slots / shards - 1;
    std::array<unsigned char, 8> seed{};
    crypto::random_bytes(std::span<unsigned char>(seed));
    for (const unsigned char b : seed) seed_ = (seed_ << 8) | b;
  }

  VerifiedCache(const VerifiedCache&) = delete;
  VerifiedCache& operator=(const VerifiedCache&) = delete;

  [[nodiscard]] bool enabled() const noexcept { return !shards_.empty(); }
  [[nodiscard]] std::size_t capacity() const noexcept { return shards_.size() * (slot_mask_ + 1) * enabled(); }

  /// The entry of exactly `value`, if it verified recently.
  [[nodiscard]] std::optional<Entry> find(std::string_view value) const {
    if (!enabled()) return std::nullopt;
    const std::uint64_t h = hash(value);
    Shard& shard = shards_[h & shard_mask_];
    const std::lock_guard lock(shard.mutex);
    const Slot& slot = shard.slots[(h >> 16) & slot_mask_];
    if (!slot.entry.data || slot.value.size() != value.size() || !crypto::constant_time_equal(slot.value, value)) {
      return std::nullopt;
    }
    return slot.entry;
  }

  /// Remembers that `value` verified and decoded to `entry` (replacing its slot's previous value).
  void insert(std::string_view value, Entry entry) {
    if (!enabled()) return;
    const std::uint64_t h = hash(value);
    std::string copy(value);  // allocate outside the lock
    Shard& shard = shards_[h & shard_mask_];
    const std::lock_guard lock(shard.mutex);
    Slot& slot = shard.slots[(h >> 16) & slot_mask_];
    slot.value.swap(copy);
    slot.entry.data.swap(entry.data);  // the old data is released after the lock, with `entry`
    slot.entry.timestamp = entry.timestamp;
  }

  /// Forgets everything.
  void clear() {
    for (Shard& shard : shards_) {
      const std::lock_guard lock(shard.mutex);
      for (Slot& slot : shard.slots) slot = Slot{};
    }
  }

 private:
  static constexpr std::size_t kMaxShards = 16;

  struct Slot {
    std::string value{};
    Entry entry{};
  };
  struct Shard {
    std::mutex mutex{};
    std::vector<Slot> slots{};
  };

  [[nodiscard]] std::uint64_t hash(std::string_view value) const noexcept {
    return XXH3_64bits_withSeed(value.data(), value.size(), seed_);
  }

  mutable std::vector<Shard> shards_{};
  std::size_t shard_mask_ = 0;
  std::size_t slot_mask_ = 0;
  std::uint64_t seed_ = 0;
};

}  // namespace sessions::signing
