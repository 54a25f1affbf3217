#pragma once
// DjangoExpiry: Django's rules exactly. The session lives SESSION_COOKIE_AGE seconds from its last
// save, or what set_expiry() stored in `_session_expiry`; the cookie dies with the browser when
// SESSION_EXPIRE_AT_BROWSER_CLOSE is set (and set_expiry() did not say otherwise) or when
// set_expiry(0) was called. A request that only reads extends nothing, as in Django.

#include <array>
#include <chrono>
#include <string_view>

#include "../data.hpp"
#include "../settings.hpp"
#include "expiry_value.hpp"

namespace sessions {

struct DjangoExpiry {
  // Its hooks read `_session_expiry` and nothing else (see ExpiryDataKeys in concepts.hpp).
  using data_keys_policy = DjangoExpiry;
  static constexpr std::array<std::string_view, 1> data_keys{kSessionExpiryKey};

  [[nodiscard]] std::chrono::seconds expiry_age(const Data& data, const Settings& settings,
                                                TimePoint modification) const {
    return django_expiry_age(expiry_value_of(data), settings.cookie_age, modification);
  }

  [[nodiscard]] TimePoint expiry_date(const Data& data, const Settings& settings, TimePoint modification) const {
    return django_expiry_date(expiry_value_of(data), settings.cookie_age, modification);
  }

  [[nodiscard]] bool expire_at_browser_close(const Data& data, const Settings& settings) const {
    const auto it = data.find(kSessionExpiryKey);
    if (it == data.end() || it->is_null()) return settings.expire_at_browser_close;
    return it->is_number() && *it == 0;
  }

  [[nodiscard]] bool refresh_on_access(const Settings& /*settings*/) const { return false; }

  void on_create(Data& /*data*/, TimePoint /*now*/) const {}
};

}  // namespace sessions
