#pragma once
// What a server-side store keeps under a session key: the payload and when it stops being valid.

#include <utility>

#include "clock.hpp"

namespace sessions {

template <class Payload>
struct Record {
  Payload payload;
  /// The instant the record expires; a store never returns a record at or after this instant.
  TimePoint expires_at;
};

}  // namespace sessions
