#pragma once
// The mechanics shared by lifecycle.hpp and purger.hpp: the compile-time check that names what a
// store lacks, the user id of a stored payload, and one revocation told as an event.

#include <string>
#include <string_view>
#include <type_traits>

#include "../concepts.hpp"
#include "../data.hpp"
#include "../member_list.hpp"
#include "../record.hpp"
#include "../settings.hpp"
#include "../user_index.hpp"
#include "session_events.hpp"

namespace sessions::detail {

template <class Store>
struct LifecycleCheck {
  static_assert(ServerStorage<Store>,
                "the store is not a server store: a cookie store keeps no sessions to list, revoke or purge");
  static_assert(requirement::index_session<Store>,
                "the store lacks UserIndexStorage (user_index.hpp): it cannot list its sessions (memcached, cookies), "
                "so it keeps no per-user index");
  static_assert(requirement::unindex_session<Store>,
                "the store lacks UserIndexStorage's unindex_session(std::string_view user, std::string_view key)");
  static_assert(requirement::user_sessions<Store>,
                "the store lacks UserIndexStorage's user_sessions(std::string_view user, sessions::TimePoint now) -> "
                "std::vector<sessions::UserSession>");
  static_assert(requirement::purge_expired<Store>,
                "the store lacks UserIndexStorage's purge_expired(std::size_t batch, sessions::TimePoint now) -> "
                "std::vector<sessions::PurgedSession>");
  static_assert(requirement::for_each_session<Store>, "the store lacks UserIndexStorage's for_each_session(fn)");
  static constexpr bool ok = true;
};

/// The member `key` of a JSON object, or null.
[[nodiscard]] inline const Data* find_member(const Data& object, std::string_view key) {
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

/// `_auth_user_id` of a value payload as text, or empty.
[[nodiscard]] inline std::string user_id_of(const SharedMembers& members) {
  return members ? user_id_text(members->find(kAuthUserIdKey)) : std::string();
}
[[nodiscard]] inline std::string user_id_of(const SharedData& data) {
  return data && data->is_object() ? user_id_text(find_member(*data, kAuthUserIdKey)) : std::string();
}
[[nodiscard]] inline std::string user_id_of(const Data& data) {
  return data.is_object() ? user_id_text(find_member(data, kAuthUserIdKey)) : std::string();
}

/// Deletes one session of `user_id` (record and entry) and tells it as `destroyed`, "revoked".
template <class Store>
void revoke_one(Store& store, std::string_view user_id, std::string_view key, const Settings& settings) {
  store.remove(key);
  store.unindex_session(user_id, key);
  if (settings.on_event) tell_event<Store>(settings, SessionEventKind::destroyed, "revoked", key, user_id);
}

}  // namespace sessions::detail
