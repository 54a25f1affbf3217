#pragma once
// What a server-side store keeps under a session key: the payload and when it stops being valid.

#include <memory>
#include <utility>

#include "clock.hpp"
#include "data.hpp"

namespace sessions {

template <class Payload>
struct Record {
  Payload payload;
  /// The instant the record expires; a store never returns a record at or after this instant.
  TimePoint expires_at;
};

/// Session data shared immutably (copy-on-write): MemoryValueStore's payload, and what a cookie
/// store's cache of verified values hands out. Holders never change the pointee: a Session copies
/// it into data of its own on its first change, so reading or saving an unchanged session costs a
/// reference count, not a deep copy.
using SharedData = std::shared_ptr<const Data>;

/// What a compare-and-set write (a store's optional update_if()) found: the record still held the
/// payload the caller expected and was replaced (`written`); it held something else, i.e. another
/// request saved the session meanwhile (`conflict`); or there was no live record (`missing`: never
/// created, expired, or deleted by a logout, and not brought back).
enum class CasResult { written, conflict, missing };

/// What a client-side store reads out of a cookie: the data and when the cookie was issued (its
/// signing time), from which the session's expiry policy decides whether it is still alive.
/// A store may hand the data over shared (`shared`, e.g. from its cache of verified values, with
/// `data` then left empty) instead of as a copy of its own: value() is the data either way.
struct ClientRecord {
  Data data{};
  TimePoint issued_at{};
  SharedData shared{};

  [[nodiscard]] const Data& value() const noexcept { return shared ? *shared : data; }
};

}  // namespace sessions
