#pragma once
// What happened to a session, told to the application as it happens (Settings::on_event):
// created, key cycled, saved, destroyed (delete or flush), expired, missing, rejected and
// conflict. Each transition is told once, by the request that made it or found it.
//
// An event names the store, the reason, the user (Django's `_auth_user_id`, when the session
// holds one) and the first characters of the session key, never the whole key: a handler may log
// events, and a logged key must not be usable.
//
// A deleted session and an expired one are told apart: `destroyed` is a delete or flush by this
// library; `expired` a session found past its expiry (a cookie whose signature or expiry policy
// says so). A server store drops an expired record itself and answers a load of it as it answers
// a key it never had, so a request carrying such a key is told as `missing`.
//
// Unset (the default), telling costs one test of a null pointer per transition; the user id is
// looked up only when a hook is set.

#include <string_view>

namespace sessions {

enum class SessionEventKind {
  /// A new session was stored (its first save, or create()).
  created,
  /// cycle_key() moved the data to a new key; the old record is gone.
  key_cycled,
  /// An existing session was saved (written, or its expiry moved when its data had not changed).
  saved,
  /// The session was deleted (delete(), flush(), a cookie session emptied).
  destroyed,
  /// The session was found past its expiry.
  expired,
  /// A request carried a key the server store does not have: expired and removed, deleted by
  /// another request, or never issued.
  missing,
  /// Stored data or a cookie was refused: tampered, corrupted or over a limit. The session goes
  /// on empty.
  rejected,
  /// Lost-update protection refused a save (another request changed the session meanwhile).
  conflict,
};

[[nodiscard]] constexpr std::string_view to_string(SessionEventKind kind) noexcept {
  switch (kind) {
    case SessionEventKind::created:
      return "created";
    case SessionEventKind::key_cycled:
      return "key_cycled";
    case SessionEventKind::saved:
      return "saved";
    case SessionEventKind::destroyed:
      return "destroyed";
    case SessionEventKind::expired:
      return "expired";
    case SessionEventKind::missing:
      return "missing";
    case SessionEventKind::rejected:
      return "rejected";
    case SessionEventKind::conflict:
      return "conflict";
  }
  return "unknown";
}

/// One event. The views are valid during the call only: copy what the handler keeps.
struct SessionEvent {
  SessionEventKind kind;
  /// Why, in a few words ("flush", "delete", "signature expired", "data corrupted", ...).
  std::string_view reason;
  /// The store's name ("MemoryStore", "RedisStore", ...; "store" for a store that names none).
  std::string_view store;
  /// The first characters of the session key (loggable_key_prefix); empty when it has none.
  std::string_view key_prefix;
  /// `_auth_user_id` (Django's login), as text; empty when the session holds none or its data
  /// was not read.
  std::string_view user_id;
};

/// Where events go: a function pointer and its context, as Logger (no allocation; unset costs
/// one test). The handler runs on the request's thread, inside the Session call that made the
/// transition: keep it short, and do not throw from it (an exception propagates to that call).
class EventHook {
 public:
  using Fn = void (*)(void* context, const SessionEvent& event);

  EventHook() noexcept = default;
  EventHook(Fn fn, void* context) noexcept : fn_(fn), context_(context) {}

  [[nodiscard]] explicit operator bool() const noexcept { return fn_ != nullptr; }

  void operator()(const SessionEvent& event) const {
    if (fn_ != nullptr) fn_(context_, event);
  }

 private:
  Fn fn_ = nullptr;
  void* context_ = nullptr;
};

}  // namespace sessions
