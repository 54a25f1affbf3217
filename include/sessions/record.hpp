#pragma once
// What a server-side store keeps under a session key: the payload and when it stops being valid.

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

/// What a client-side store reads out of a cookie: the data and when the cookie was issued (its
/// signing time), from which the session's expiry policy decides whether it is still alive.
/// What a compare-and-set write (a store's optional update_if()) found: the record still held the
/// payload the caller expected and was replaced (`written`); it held something else, i.e. another
/// request saved the session meanwhile (`conflict`); or there was no live record (`missing`: never
/// created, expired, or deleted by a logout, and not brought back).
enum class CasResult { written, conflict, missing };

struct ClientRecord {
  Data data;
  TimePoint issued_at;
};

}  // namespace sessions
