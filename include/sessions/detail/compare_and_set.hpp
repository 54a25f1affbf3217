#pragma once
// The server flow's compare-and-set save (Settings::lost_update fail or merge): the one write that
// may read the record again and merge this request's changes onto another's. A friend of
// ServerFlow (server_flow.hpp), which calls it from write() when the session is protected.

#include <string_view>
#include <utility>

#include "../clock.hpp"
#include "../data.hpp"
#include "../errors.hpp"
#include "../expiry/arithmetic.hpp"
#include "../record.hpp"
#include "../settings.hpp"
#include "limits.hpp"
#include "merge.hpp"
#include "payload.hpp"
#include "session_events.hpp"

namespace sessions::detail {

// A compare-and-set save of the current data encoded as `payload`, against the version loaded.
// True when written (the session's data and `payload` then hold what was written, merged or
// not), false when the record is gone; ConflictError as the policy says.
template <class Flow, class Payload>
bool try_compare_and_set(Flow& flow, std::string_view key, Payload& payload, TimePoint expires_at) {
  using codec = typename Flow::codec;
  const Settings& settings = *flow.settings_;
  CasResult result = flow.store_->update_if(key, payload, expires_at, *flow.version_.expected);
  if (result == CasResult::written) return true;
  if (result == CasResult::missing) return false;
  if (settings.lost_update != LostUpdate::merge) conflict(settings, key, 0);
  for (int attempt = 1; attempt <= settings.merge_attempts; ++attempt) {
    auto record = flow.store_->load(key);
    if (!record) return false;  // deleted meanwhile: never brought back
    Data theirs = Data::object();
    if constexpr (codec::keeps_values) {
      theirs = codec::data_of(record->payload);  // a copy: merged_onto changes it
    } else {
      try {
        theirs = codec::loads(flow.serializer_, record->payload, key);
      } catch (const Error&) {
        theirs = Data::object();  // undecodable: as a load would, start from empty
      }
    }
    Data merged = merged_onto(flow.current(), flow.version_, std::move(theirs), key);
    flow.check_limits(merged);
    const TimePoint now = settings.clock.now();
    const TimePoint merged_expiry = add_saturating(now, flow.expiry_.expiry_age(merged, settings, now));
    Payload merged_payload = codec::encode(flow.serializer_, merged, key);
    if constexpr (!codec::keeps_values) check_size_limit(settings, merged_payload.size());
    result = flow.store_->update_if(key, merged_payload, merged_expiry, record->payload);
    if (result == CasResult::missing) return false;
    if (result == CasResult::written) {
      if constexpr (codec::kind == PayloadKind::members) {
        flow.adopt_written(std::move(merged), merged_payload);
      } else {
        flow.adopt_written(std::move(merged), nullptr);
      }
      payload = std::move(merged_payload);
      return true;
    }
  }
  conflict(settings, key, settings.merge_attempts);
}

// The compare-and-set save; a ConflictError it ends in, whichever refusal raised it (the
// compare-and-set under `fail`, a key both changed or the attempts running out under `merge`),
// is told as the session's conflict event first.
template <class Flow, class Payload>
bool compare_and_set_write(Flow& flow, std::string_view key, Payload& payload, TimePoint expires_at) {
  if constexpr (Flow::has_compare_and_set) {
    try {
      return try_compare_and_set(flow, key, payload, expires_at);
    } catch (const ConflictError&) {
      flow.tell(SessionEventKind::conflict, "changed by another request", key);
      throw;
    }
  } else {
    (void)flow;
    (void)key;
    (void)payload;
    (void)expires_at;
    return false;
  }
}

}  // namespace sessions::detail
