#pragma once
// VerifiedCache: a bounded memory of signed values that already verified, and what they decoded
// to, so that a request carrying exactly a value seen recently skips the HMAC, the inflate and the
// JSON parse (the read path of the signed-cookie store).
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
// a collision could cost is an eviction, i.e. one full verification. Thread-safe: the slots are
// split into shards, each behind its own mutex, held only to compare and copy a pointer.
//
// Bounded by bytes, not only by entries: a short cookie can inflate to a large value (a 190-byte
// cookie parsed to ~0.6 MB), and only the site can sign one, but anyone can collect many that the
// site issued. Each entry is measured (its value plus detail::bounded_memory_size of its data); an
// entry over `max_entry_bytes` is not kept at all, and each shard keeps at most its share of
// `max_bytes`, evicting other slots round-robin to make room. Whatever the values, the cache
// holds at most max_bytes (as measured) plus a fixed cost per slot.

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
#include "../detail/data_memory.hpp"

namespace sessions::signing {

class VerifiedCache {
 public:
  struct Entry {
    std::shared_ptr<const Data> data{};
    /// The signing time written in the value (Unix seconds).
    std::int64_t timestamp = 0;
  };

  /// The defaults of SignedCookieStore::Options: 8 MiB in all, 64 KiB per entry.
  static constexpr std::size_t kDefaultMaxBytes = std::size_t{8} << 20;
  static constexpr std::size_t kDefaultMaxEntryBytes = std::size_t{64} << 10;

  /// Room for about `capacity` values (rounded up to a power of two; 0 disables the cache),
  /// holding at most `max_bytes` in all and no entry over `max_entry_bytes` (as measured).
  explicit VerifiedCache(std::size_t capacity, std::size_t max_bytes = kDefaultMaxBytes,
                         std::size_t max_entry_bytes = kDefaultMaxEntryBytes) {
    if (capacity == 0 || max_bytes == 0 || max_entry_bytes == 0) return;
    std::size_t slots = 1;
    while (slots < capacity) slots <<= 1;
    // Fewer shards when the budget is small, so that each shard's share still holds an entry of
    // the largest size kept.
    std::size_t shards = slots < kMaxShards ? slots : kMaxShards;
    while (shards > 1 && max_bytes / shards < max_entry_bytes) shards >>= 1;
    shards_ = std::vector<Shard>(shards);
    for (Shard& shard : shards_) shard.slots.resize(slots / shards);
    shard_mask_ = shards - 1;
    slot_mask_ = slots / shards - 1;
    shard_budget_ = max_bytes / shards;
    max_entry_bytes_ = max_entry_bytes < shard_budget_ ? max_entry_bytes : shard_budget_;
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

  /// The size an entry for `value` counts (its value, its slot, its data as measured), or some
  /// number above `limit` once it exceeds it.
  [[nodiscard]] static std::size_t entry_size(std::string_view value, const Data& data, std::size_t limit) noexcept {
    const std::size_t fixed = value.size() + kEntryOverhead;
    if (fixed > limit) return fixed;
    return fixed + sessions::detail::bounded_memory_size(data, limit - fixed);
  }

  /// Remembers that `value` verified and decoded to `entry` (replacing its slot's previous value,
  /// and others of its shard while the shard is over its share of the bytes). False, and nothing
  /// kept, when the entry is larger than max_entry_bytes. `data_bytes`, when known, is
  /// detail::bounded_memory_size of the entry's data (saves measuring it again).
  bool insert(std::string_view value, Entry entry, std::optional<std::size_t> data_bytes = std::nullopt) {
    if (!enabled() || !entry.data) return false;
    const std::size_t size =
        data_bytes ? value.size() + kEntryOverhead + *data_bytes : entry_size(value, *entry.data, max_entry_bytes_);
    if (size > max_entry_bytes_) return false;
    const std::uint64_t h = hash(value);
    std::string copy(value);                            // allocate outside the lock
    std::vector<std::shared_ptr<const Data>> released;  // freed after the lock
    Shard& shard = shards_[h & shard_mask_];
    released.reserve(shard.slots.size());
    const std::lock_guard lock(shard.mutex);
    const std::size_t index = (h >> 16) & slot_mask_;
    Slot& slot = shard.slots[index];
    shard.bytes -= slot.bytes;
    slot.value.swap(copy);
    slot.entry.data.swap(entry.data);  // the old data is released after the lock, with `entry`
    slot.entry.timestamp = entry.timestamp;
    slot.bytes = size;
    shard.bytes += size;
    // Over the shard's share: evict the others in turn (size <= the share, so this ends).
    while (shard.bytes > shard_budget_) {
      const std::size_t victim = shard.hand;
      shard.hand = (shard.hand + 1) & slot_mask_;
      if (victim == index || !shard.slots[victim].entry.data) continue;
      Slot& evicted = shard.slots[victim];
      shard.bytes -= evicted.bytes;
      released.push_back(std::move(evicted.entry.data));
      evicted = Slot{};
    }
    return true;
  }

  /// The bytes held, as measured (tests, monitoring).
  [[nodiscard]] std::size_t bytes() const {
    std::size_t total = 0;
    for (Shard& shard : shards_) {
      const std::lock_guard lock(shard.mutex);
      total += shard.bytes;
    }
    return total;
  }

  /// The largest entry kept, in bytes as measured.
  [[nodiscard]] std::size_t max_entry_bytes() const noexcept { return max_entry_bytes_; }

  /// Forgets everything.
  void clear() {
    for (Shard& shard : shards_) {
      const std::lock_guard lock(shard.mutex);
      for (Slot& slot : shard.slots) slot = Slot{};
      shard.bytes = 0;
    }
  }

 private:
  static constexpr std::size_t kMaxShards = 16;

  struct Slot {
    std::string value{};
    Entry entry{};
    std::size_t bytes = 0;
  };
  struct Shard {
    std::mutex mutex{};
    std::vector<Slot> slots{};
    std::size_t bytes = 0;
    std::size_t hand = 0;  // the next slot to evict
  };
  // What an entry costs beyond its value's characters and its data: the string's heap block
  // header, the shared_ptr's control block and the Data node in it.
  static constexpr std::size_t kEntryOverhead = 64;

  [[nodiscard]] std::uint64_t hash(std::string_view value) const noexcept {
    return XXH3_64bits_withSeed(value.data(), value.size(), seed_);
  }

  mutable std::vector<Shard> shards_{};
  std::size_t shard_mask_ = 0;
  std::size_t slot_mask_ = 0;
  std::size_t shard_budget_ = 0;
  std::size_t max_entry_bytes_ = 0;
  std::uint64_t seed_ = 0;
};

}  // namespace sessions::signing
