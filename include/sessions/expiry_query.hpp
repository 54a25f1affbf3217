#pragma once
// ExpiryQuery: Django's keyword arguments of get_expiry_age()/get_expiry_date().

#include <optional>

#include "clock.hpp"
#include "expiry/expiry_value.hpp"

namespace sessions {

/// The optional arguments of get_expiry_age()/get_expiry_date(), as in Django: `modification`
/// defaults to now; passing `expiry` (even std::monostate, Django's None) uses it instead of the
/// session's own `_session_expiry` and does not load the session.
struct ExpiryQuery {
  std::optional<TimePoint> modification = std::nullopt;
  std::optional<ExpiryValue> expiry = std::nullopt;
};

}  // namespace sessions
