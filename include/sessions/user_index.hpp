#pragma once
// Every session of a user: the optional per-user index a listing store keeps beside its records,
// so that an application can answer "where is this user logged in?", log a user out everywhere
// and cap the number of sessions a user holds.
//
// The user is the session's `_auth_user_id` (the key Django's login() writes), so sessions that
// Django wrote are indexed too once `reindex` has read them. The index lives beside the records
// (a side table, a sorted set, a map): the records themselves, and Django's `django_session`
// table, are unchanged.
//
// An entry carries the expiry of its session and goes away with it: a store's clear_expired() and
// purge_expired() remove the entries of the sessions they remove, in the same step, and a listing
// drops (and deletes) the dead entries it meets. Nothing in the index outlives its session for
// longer than one purge interval, so the index cannot grow without bound (the failure of indexes
// kept apart from expiry).
//
// A store offers the index by providing the UserIndexStorage operations below; a store that cannot
// list its records (memcached, cookies) does not, and asking for the index of such a store fails
// to compile, naming the missing operation.

#include <chrono>
#include <concepts>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "clock.hpp"
#include "concepts.hpp"
#include "session_limit.hpp"

namespace sessions {

/// What the index records of one session. `created` is kept from the first time the session was
/// indexed; the rest is refreshed by every save. `user_agent` and `address` are what the
/// application chose to record (empty otherwise); they are shown, never trusted.
struct SessionDetails {
  TimePoint created{};
  TimePoint last_seen{};
  TimePoint expires_at{};
  std::string user_agent{};
  std::string address{};
};

/// One session of a user, as a listing returns it. `key` is the whole session key, which an
/// application needs to revoke the session; show `key_prefix()` to people and to logs, never the
/// key itself.
struct UserSession {
  std::string key;
  SessionDetails details;

  [[nodiscard]] std::string_view key_prefix() const noexcept {
    return std::string_view(key).substr(0, key.size() < 8 ? key.size() : 8);
  }
};

/// What index_session() did.
struct IndexOutcome {
  /// The limit refused the session (UserSessionLimit::AtLimit::refuse_new); nothing was indexed.
  bool refused = false;
  /// Sessions the limit evicted (their records and entries are already deleted).
  std::vector<std::string> evicted{};
};

/// A session the purge removed because it had expired (for the `expired` event).
struct PurgedSession {
  std::string key;
  /// Empty when the session was not indexed.
  std::string user_id;
};

// ---------------------------------------------------------------------------------------------
// The per-user index, a store's optional capability (a ServerStorage that also provides):
//
//   s.index_session(user_id, key, details, limit) -> IndexOutcome
//        insert or refresh the entry of `key` under `user_id` (keeping `created` if the entry
//        exists, and its user_agent and address when `details` brings them empty; an entry of
//        `key` under another user moves to this one); with a limit, atomically against concurrent logins of the same user: two
//        sessions indexed at once never both pass a limit that has room for one.
//   s.unindex_session(user_id, key) -> void
//        remove the entry (the session logged out, was deleted, or moved to another key).
//   s.user_sessions(user_id, now) -> std::vector<UserSession>
//        the user's live sessions, oldest `created` first; entries whose session is gone or
//        expired are not returned (and may be deleted on the way).
//   s.purge_expired(batch, now) -> std::vector<PurgedSession>
//        remove at most `batch` expired records and their entries in one bounded step (no long
//        lock); an empty result means nothing expired is left.
//   s.for_each_session(fn) -> void
//        call fn(key, payload, expires_at) for each live record, for `reindex` (the index built
//        from existing sessions, e.g. ones Django wrote).
// ---------------------------------------------------------------------------------------------
namespace requirement {

template <class S>
concept index_session = requires(S& s, std::string_view user, std::string_view key, const SessionDetails& d,
                                 const UserSessionLimit& limit) {
  { s.index_session(user, key, d, limit) } -> std::same_as<IndexOutcome>;
};

template <class S>
concept unindex_session = requires(S& s, std::string_view user, std::string_view key) {
  s.unindex_session(user, key);
};

template <class S>
concept user_sessions = requires(S& s, std::string_view user, TimePoint now) {
  { s.user_sessions(user, now) } -> std::same_as<std::vector<UserSession>>;
};

template <class S>
concept purge_expired = requires(S& s, std::size_t batch, TimePoint now) {
  { s.purge_expired(batch, now) } -> std::same_as<std::vector<PurgedSession>>;
};

template <class S>
concept for_each_session = storage_payload_type<S> &&
    requires(S& s, const std::function<void(std::string_view, const typename S::payload_type&, TimePoint)>& fn) {
  s.for_each_session(fn);
};

}  // namespace requirement

/// A server store that keeps the per-user index.
template <class S>
concept UserIndexStorage = ServerStorage<S> && requirement::index_session<S> && requirement::unindex_session<S> &&
    requirement::user_sessions<S> && requirement::purge_expired<S> && requirement::for_each_session<S>;

}  // namespace sessions
