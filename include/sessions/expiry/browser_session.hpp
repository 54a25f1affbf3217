#pragma once
// BrowserSession: the cookie never carries Max-Age or Expires, so it ends when the browser closes;
// the server keeps the record as Django would (SESSION_COOKIE_AGE, or set_expiry's value), so an
// abandoned session is still reclaimed.

#include "django.hpp"

namespace sessions {

struct BrowserSession : DjangoExpiry {
  using data_keys_policy = BrowserSession;  // DjangoExpiry's keys: it reads no other
  [[nodiscard]] bool expire_at_browser_close(const Data& /*data*/, const Settings& /*settings*/) const { return true; }
};

}  // namespace sessions
