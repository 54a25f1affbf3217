#pragma once
// UserIndexed<Store>: the same store, with the per-user index kept in step by every Session.
//
//   sessions::UserIndexed<sessions::SqliteStore> store{"sqlite:///var/lib/app/sessions.db"};
//   sessions::Session<sessions::UserIndexed<sessions::SqliteStore>> session{store, key, settings};
//
// The index is a compile-time choice, not a Settings flag, so that an application that does not
// want it pays nothing on its request path (not even a test of a flag), and so that asking for it
// over a store that cannot list its sessions (memcached, cookies) fails to compile, naming the
// missing operation of UserIndexStorage (user_index.hpp).
//
// Over a UserIndexed store, a Session indexes every successful save (create, save, cycle_key,
// touch) of data holding `_auth_user_id` under that user, with Settings::max_sessions_per_user as
// the limit; removes the entry when the session is deleted, flushed or moved to a new key; and
// moves it when the user id changes. record_client() adds the user agent and address the
// application wants shown in the listing. The listing, revocation and reindexing are in
// lifecycle.hpp, the background purge in purger.hpp.

#include <type_traits>

#include "user_index.hpp"

namespace sessions {

template <class Store>
class UserIndexed : public Store {
  static_assert(ServerStorage<Store>,
                "UserIndexed<Store>: the store is not a server store (cookie stores keep no records to index)");
  static_assert(
      requirement::index_session<Store>,
      "UserIndexed<Store>: the store lacks UserIndexStorage's index_session(std::string_view user, std::string_view "
      "key, const sessions::SessionDetails&, const sessions::UserSessionLimit&) -> sessions::IndexOutcome (a store "
      "that cannot list its sessions, e.g. memcached, cannot keep the per-user index)");
  static_assert(requirement::unindex_session<Store>,
                "UserIndexed<Store>: the store lacks UserIndexStorage's unindex_session(std::string_view user, "
                "std::string_view key)");
  static_assert(requirement::user_sessions<Store>,
                "UserIndexed<Store>: the store lacks UserIndexStorage's user_sessions(std::string_view user, "
                "sessions::TimePoint now) -> std::vector<sessions::UserSession>");
  static_assert(requirement::purge_expired<Store>,
                "UserIndexed<Store>: the store lacks UserIndexStorage's purge_expired(std::size_t batch, "
                "sessions::TimePoint now) -> std::vector<sessions::PurgedSession>");
  static_assert(requirement::for_each_session<Store>,
                "UserIndexed<Store>: the store lacks UserIndexStorage's for_each_session(fn)");

 public:
  using Store::Store;
  /// What a Session looks for to keep the index (KeepsUserIndex).
  static constexpr bool keeps_user_index = true;
};

/// A store whose sessions keep the per-user index in step (a UserIndexed store).
template <class S>
concept KeepsUserIndex = UserIndexStorage<S> && requires {
  requires static_cast<bool>(S::keeps_user_index);
};

}  // namespace sessions
