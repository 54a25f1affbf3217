#pragma once
// How a session's flows tell Settings::on_event (events.hpp) what happened: the store's name, the
// key's loggable prefix and the user id gathered here, so that each place that makes or finds a
// transition says only which one it is.

#include <string>
#include <string_view>

#include "../data.hpp"
#include "../events.hpp"
#include "../log.hpp"
#include "../settings.hpp"
#include "store_name.hpp"

namespace sessions::detail {

/// Django's login() keeps the user's primary key under this key, as text (or, written by other
/// code, a number).
inline constexpr std::string_view kAuthUserIdKey = "_auth_user_id";

/// The user id an event names: `value` (the session's `_auth_user_id`) as text, or empty.
[[nodiscard]] inline std::string user_id_text(const Data* value) {
  if (value == nullptr) return {};
  if (value->is_string()) return value->get_ref<const std::string&>();
  if (value->is_number_integer()) return value->dump();
  return {};
}

/// Tells the hook one event (the caller checked that a hook is set).
template <class Storage>
void tell_event(const Settings& settings, SessionEventKind kind, std::string_view reason, std::string_view key,
                std::string_view user_id) {
  settings.on_event(SessionEvent{kind, reason, store_name<Storage>(), loggable_key_prefix(key), user_id});
}

}  // namespace sessions::detail
