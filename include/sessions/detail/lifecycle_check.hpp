#pragma once
// The mechanics shared by lifecycle.hpp and purger.hpp: the compile-time check that names what a
// store lacks (its messages in user_index_check.hpp, shared with UserIndexed), the user id of a
// stored payload, and one revocation told as an event.

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
#include "user_index_check.hpp"

namespace sessions::detail {

template <class Store>
struct LifecycleCheck {
  SESSIONS_DETAIL_CHECK_USER_INDEX(Store, "");
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
