#pragma once
// How many sessions one user may hold at once (Settings::max_sessions_per_user), and what a new
// login does at the limit. Apart from user_index.hpp so that Settings can name it.

#include <cstddef>

namespace sessions {

/// How many sessions a user may hold at once, and what a new login does at the limit.
struct UserSessionLimit {
  enum class AtLimit {
    /// The oldest sessions (by last_seen) are deleted to make room for the new one.
    evict_oldest,
    /// The new session is refused (not indexed); the caller deletes it and reports the refusal.
    refuse_new,
  };
  /// 0: no limit.
  std::size_t max_sessions = 0;
  AtLimit at_limit = AtLimit::evict_oldest;
};

}  // namespace sessions
