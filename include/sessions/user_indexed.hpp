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

#include "detail/user_index_check.hpp"
#include "user_index.hpp"

namespace sessions {

template <class Store>
class UserIndexed : public Store {
  SESSIONS_DETAIL_CHECK_USER_INDEX(Store, "UserIndexed<Store>: ");

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
