#pragma once
// The population of sessions of one user, over a store that keeps the per-user index
// (UserIndexStorage, user_index.hpp): where is this user logged in, log out one of those
// sessions, log out everywhere but here, and build the index from the sessions already stored
// (e.g. ones Django wrote) with reindex().
//
//   for (const sessions::UserSession& s : sessions::user_sessions(store, "42", now)) ...
//   sessions::revoke_user_sessions(store, "42", *request_session.session_key(), settings);
//
// A revoked session is deleted (record and entry) and told as `destroyed`, reason "revoked".

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "clock.hpp"
#include "concepts.hpp"
#include "data.hpp"
#include "detail/lifecycle_check.hpp"
#include "detail/session_events.hpp"
#include "errors.hpp"
#include "member_list.hpp"
#include "session_key.hpp"
#include "settings.hpp"
#include "user_index.hpp"

namespace sessions {

/// The user's live sessions, oldest `created` first.
template <class Store>
[[nodiscard]] std::vector<UserSession> user_sessions(Store& store, std::string_view user_id, TimePoint now) {
  static_assert(detail::LifecycleCheck<Store>::ok);
  return store.user_sessions(user_id, now);
}

/// Deletes the session `key` if, and only if, it is a live session of `user_id` (so that a user
/// can revoke their own sessions and nobody else's); true when it was.
template <class Store>
bool revoke_session(Store& store, std::string_view user_id, std::string_view key,
                    const Settings& settings = default_settings()) {
  static_assert(detail::LifecycleCheck<Store>::ok);
  if (!is_valid_session_key(key)) return false;
  for (const UserSession& s : store.user_sessions(user_id, settings.clock.now())) {
    if (s.key != key) continue;
    detail::revoke_one<Store>(store, user_id, s.key, settings);
    return true;
  }
  return false;
}

/// Deletes every session of `user_id` but `except_key` (the request's own, to log out everywhere
/// else; empty to log out everywhere); returns how many.
template <class Store>
std::size_t revoke_user_sessions(Store& store, std::string_view user_id, std::string_view except_key = {},
                                 const Settings& settings = default_settings()) {
  static_assert(detail::LifecycleCheck<Store>::ok);
  std::size_t revoked = 0;
  for (const UserSession& s : store.user_sessions(user_id, settings.clock.now())) {
    if (s.key == except_key) continue;
    detail::revoke_one<Store>(store, user_id, s.key, settings);
    ++revoked;
  }
  return revoked;
}

/// What reindex() did.
struct ReindexResult {
  /// Sessions holding `_auth_user_id`, now indexed.
  std::size_t indexed = 0;
  /// Records that could not be decoded (tampered, corrupted, another serializer's): left alone.
  std::size_t skipped = 0;
};

/// Indexes every live session whose data holds `_auth_user_id` (sessions written before the index
/// was on, or by Django itself), reading byte records through `serializer`. `created` and
/// `last_seen` of a new entry are `now` (the records do not say); an existing entry keeps its
/// own. No limit applies. Never throws for a record it cannot decode: it is skipped and counted.
template <class Store, class SerializerT>
ReindexResult reindex(Store& store, const SerializerT& serializer, TimePoint now) {
  static_assert(detail::LifecycleCheck<Store>::ok);
  ReindexResult result;
  store.for_each_session([&](std::string_view key, const typename Store::payload_type& payload, TimePoint expires_at) {
    std::string user;
    if constexpr (ValueStorage<Store>) {
      (void)serializer;
      user = detail::user_id_of(payload);
    } else {
      try {
        const Data data = serializer.loads(payload);
        user = detail::user_id_text(data.is_object() ? detail::find_member(data, detail::kAuthUserIdKey) : nullptr);
      } catch (const Error&) {
        ++result.skipped;
        return;
      }
    }
    if (user.empty()) return;
    // No limit applies to a reindex, so nothing is refused or evicted: the outcome says nothing.
    (void)store.index_session(user, key, SessionDetails{now, now, expires_at, {}, {}}, UserSessionLimit{});
    ++result.indexed;
  });
  return result;
}

/// reindex() of a store that keeps values (MemoryValueStore): no serializer involved.
template <class Store>
ReindexResult reindex(Store& store, TimePoint now) requires ValueStorage<Store> {
  return reindex(store, 0, now);
}

}  // namespace sessions
