#pragma once
// Absolute(lifetime): the session ends `lifetime` after it was created, however active it is.
// The creation instant is kept in the data under `_session_created_at` (Unix seconds), stamped
// when the session is created and kept across cycle_key(), so rotating the key at login does not
// extend the lifetime. IdleAbsolute combines both limits, as OWASP recommends.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string_view>

#include "django.hpp"
#include "idle.hpp"

namespace sessions {

inline constexpr std::string_view kSessionCreatedAtKey = "_session_created_at";

namespace detail {
/// Seconds left of `lifetime` at `modification`, from the stamped creation time; the whole
/// lifetime when the data carries no stamp (data written by another program).
[[nodiscard]] inline std::chrono::seconds remaining_lifetime(const Data& data, std::chrono::seconds lifetime,
                                                             TimePoint modification) {
  const auto it = data.find(kSessionCreatedAtKey);
  if (it == data.end() || !it->is_number()) return lifetime;
  const auto created = TimePoint{std::chrono::seconds{it->get<std::int64_t>()}};
  return std::chrono::floor<std::chrono::seconds>(created + lifetime - modification);
}
inline void stamp_creation(Data& data, TimePoint now) {
  if (!data.contains(kSessionCreatedAtKey)) data[std::string(kSessionCreatedAtKey)] = unix_seconds(now);
}
}  // namespace detail

struct Absolute {
  std::chrono::seconds lifetime{std::chrono::hours{8}};

  [[nodiscard]] std::chrono::seconds expiry_age(const Data& data, const Settings& /*settings*/,
                                                TimePoint modification) const {
    return detail::remaining_lifetime(data, lifetime, modification);
  }
  [[nodiscard]] bool expire_at_browser_close(const Data& data, const Settings& settings) const {
    return DjangoExpiry{}.expire_at_browser_close(data, settings);
  }
  [[nodiscard]] bool refresh_on_access(const Settings& /*settings*/) const { return false; }
  void on_create(Data& data, TimePoint now) const { detail::stamp_creation(data, now); }
};

struct IdleAbsolute {
  std::chrono::seconds idle{1800};
  std::chrono::seconds lifetime{std::chrono::hours{8}};

  [[nodiscard]] std::chrono::seconds expiry_age(const Data& data, const Settings& /*settings*/,
                                                TimePoint modification) const {
    return std::min(idle, detail::remaining_lifetime(data, lifetime, modification));
  }
  [[nodiscard]] bool expire_at_browser_close(const Data& data, const Settings& settings) const {
    return DjangoExpiry{}.expire_at_browser_close(data, settings);
  }
  [[nodiscard]] bool refresh_on_access(const Settings& /*settings*/) const { return true; }
  void on_create(Data& data, TimePoint now) const { detail::stamp_creation(data, now); }
};

}  // namespace sessions
