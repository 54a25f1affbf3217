#pragma once
// Idle(timeout): the session ends after `timeout` without a request. Every request that touches the
// session pushes the expiry forward (a cheap touch of the store, plus a fresh cookie Max-Age), not
// only requests that change data as in Django.

#include <array>
#include <chrono>
#include <string_view>

#include "arithmetic.hpp"
#include "django.hpp"

namespace sessions {

struct Idle {
  using data_keys_policy = Idle;  // what expire_at_browser_close reads (DjangoExpiry's)
  static constexpr std::array<std::string_view, 1> data_keys{kSessionExpiryKey};
  std::chrono::seconds timeout{1800};

  [[nodiscard]] std::chrono::seconds expiry_age(const Data& /*data*/, const Settings& /*settings*/,
                                                TimePoint /*modification*/) const {
    return clamp_expiry_age(timeout);
  }
  [[nodiscard]] bool expire_at_browser_close(const Data& data, const Settings& settings) const {
    return DjangoExpiry{}.expire_at_browser_close(data, settings);
  }
  [[nodiscard]] bool refresh_on_access(const Settings& /*settings*/) const { return true; }
  void on_create(Data& /*data*/, TimePoint /*now*/) const {}
};

}  // namespace sessions
