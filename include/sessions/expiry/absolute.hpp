#pragma once
// Absolute(lifetime): the session ends `lifetime` after it was created, however active it is.
// The creation instant is kept in the data under `_session_created_at` (Unix seconds), stamped
// when the session is created and kept across cycle_key(), so rotating the key at login does not
// extend the lifetime. IdleAbsolute combines both limits, as OWASP recommends.

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "arithmetic.hpp"
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
  const std::optional<std::int64_t> stamp = it == data.end() ? std::nullopt : stored_seconds(*it);
  if (!stamp) return clamp_expiry_age(lifetime);
  // Stored data: saturating, so a stamp of 1e300 or year 2262 cannot overflow (UB).
  return seconds_until(add_saturating(time_from_unix_seconds(*stamp), lifetime), modification);
}
inline void stamp_creation(Data& data, TimePoint now) {
  if (!data.contains(kSessionCreatedAtKey)) data[std::string(kSessionCreatedAtKey)] = unix_seconds(now);
}
}  // namespace detail

struct Absolute {
  using data_keys_policy = Absolute;  // the creation stamp, and what expire_at_browser_close reads
  static constexpr std::array<std::string_view, 2> data_keys{kSessionExpiryKey, kSessionCreatedAtKey};
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
  using data_keys_policy = IdleAbsolute;
  static constexpr std::array<std::string_view, 2> data_keys{kSessionExpiryKey, kSessionCreatedAtKey};
  std::chrono::seconds idle{1800};
  std::chrono::seconds lifetime{std::chrono::hours{8}};

  [[nodiscard]] std::chrono::seconds expiry_age(const Data& data, const Settings& /*settings*/,
                                                TimePoint modification) const {
    return std::min(clamp_expiry_age(idle), detail::remaining_lifetime(data, lifetime, modification));
  }
  [[nodiscard]] bool expire_at_browser_close(const Data& data, const Settings& settings) const {
    return DjangoExpiry{}.expire_at_browser_close(data, settings);
  }
  [[nodiscard]] bool refresh_on_access(const Settings& /*settings*/) const { return true; }
  void on_create(Data& data, TimePoint now) const { detail::stamp_creation(data, now); }
};

}  // namespace sessions
