// Fuzz target: the expiry arithmetic (expiry/arithmetic.hpp, expiry_value.hpp, iso8601.hpp and
// the policies), fed what a client or a store can put in `_session_expiry` and
// `_session_created_at`. Any overflow is undefined behaviour, which UBSan turns into a crash.
//
// Input: "now" (any TimePoint, nanoseconds as int64) and the cookie age (int64 seconds) at the end;
// the rest is JSON text for the value of `_session_expiry` (and of `_session_created_at`), or,
// when it does not parse, an ISO-8601 string for both.
// Invariants: every age the policies compute lies within +-kMaxExpiryAge; get_expiry_date is
// add_saturating(now, age) for a number; a date that parses is within TimePoint's range.

#include <fuzzer/FuzzedDataProvider.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include <sessions/expiry/absolute.hpp>
#include <sessions/expiry/arithmetic.hpp>
#include <sessions/expiry/django.hpp>
#include <sessions/expiry/expiry_value.hpp>
#include <sessions/expiry/idle.hpp>
#include <sessions/expiry/iso8601.hpp>
#include <sessions/settings.hpp>

#include "fuzz_support.hpp"

namespace {

using sessions::TimePoint;

bool within(std::chrono::seconds age) { return age >= -sessions::kMaxExpiryAge && age <= sessions::kMaxExpiryAge; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  FuzzedDataProvider input(bytes, size);
  const TimePoint now{TimePoint::duration{input.ConsumeIntegral<std::int64_t>()}};
  sessions::Settings settings;
  settings.cookie_age = std::chrono::seconds{input.ConsumeIntegral<std::int64_t>()};
  const std::string text = input.ConsumeRemainingBytesAsString();

  sessions::Data value = sessions::Data::parse(text, nullptr, false);
  if (value.is_discarded()) value = text;
  if (value.is_string()) {
    if (const auto date = sessions::iso8601::parse(value.get_ref<const std::string&>())) {
      FUZZ_CHECK(*date >= TimePoint::min() && *date <= TimePoint::max());
      (void)sessions::iso8601::format(*date);
    }
  }
  sessions::Data data = sessions::Data::object();
  data["_session_expiry"] = value;
  data["_session_created_at"] = value;

  const sessions::DjangoExpiry django;
  const std::chrono::seconds age = django.expiry_age(data, settings, now);
  FUZZ_CHECK(within(age));
  const TimePoint date = django.expiry_date(data, settings, now);
  if (std::holds_alternative<std::int64_t>(sessions::expiry_value_of(data))) {
    FUZZ_CHECK(date == sessions::add_saturating(now, age));
  }
  FUZZ_CHECK(within(sessions::Absolute{}.expiry_age(data, settings, now)));
  FUZZ_CHECK(within(sessions::IdleAbsolute{}.expiry_age(data, settings, now)));
  FUZZ_CHECK(within(sessions::Idle{settings.cookie_age}.expiry_age(data, settings, now)));
  (void)sessions::add_saturating(now, settings.cookie_age);
  (void)sessions::seconds_until(now, date);
  return 0;
}
