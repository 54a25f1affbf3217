#pragma once
// Shared by the targets for the client-side stores (signed_cookie_store.cpp, encrypted_cookie.cpp):
// their three modes (fuzz_client_store), the instant "now" drawn from the input, decode() under
// its documented outcomes, and the encode()/decode() round trip of JSON session data. A store here
// is anything with the SignedCookieStore/EncryptedCookieStore interface: encode, decode, accepts.
// What stays in each target: the store's options, how a holder of the key makes a value, and what
// the round trip must give back.

#include <fuzzer/FuzzedDataProvider.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <sessions/errors.hpp>
#include <sessions/serializer/json.hpp>
#include <sessions/settings.hpp>
#include <sessions/signing/errors.hpp>

#include "fuzz_support.hpp"

namespace sessions_fuzz {

/// Mostly near a realistic time; sometimes any instant at all.
[[nodiscard]] inline sessions::TimePoint consume_now(FuzzedDataProvider& input) {
  using sessions::TimePoint;
  return input.ConsumeBool() ? TimePoint{TimePoint::duration{input.ConsumeIntegral<std::int64_t>()}}
                             : TimePoint{std::chrono::seconds{1'700'000'000 + input.ConsumeIntegral<std::int16_t>()}};
}

/// decode() returns a record whose data is an object, issued no longer than cookie_age before
/// "now" (computed without overflowing), or throws BadSignature (SignatureExpired included),
/// DecodeError, MalformedSignedData or LimitExceeded; anything else escapes and is a crash.
template <class Store>
void decode_and_check(const Store& store, const sessions::Settings& settings, std::string_view value,
                      sessions::TimePoint now) {
  try {
    const sessions::ClientRecord record = store.decode(value, settings, now);
    FUZZ_CHECK(record.data.is_object());
    std::int64_t age = 0;
    if (!__builtin_sub_overflow(now.time_since_epoch().count(), record.issued_at.time_since_epoch().count(), &age)) {
      FUZZ_CHECK(sessions::TimePoint::duration{age} <= settings.cookie_age);
    }
  } catch (const sessions::BadSignature&) {
  } catch (const sessions::DecodeError&) {
  } catch (const sessions::signing::MalformedSignedData&) {
  } catch (const sessions::LimitExceeded&) {
  }
}

struct RoundTrip {
  sessions::Data data{};            // what was encoded
  sessions::ClientRecord record{};  // what decode() gave back
};

/// `json` as session data, encoded at "now" (which accepts() must take) and decoded again; none
/// when `json` is not session data or its cookie would be too large. The caller checks the record.
template <class Store>
[[nodiscard]] std::optional<RoundTrip> round_trip(const Store& store, const sessions::Settings& settings,
                                                  const std::string& json, sessions::TimePoint now) {
  RoundTrip trip;
  try {
    trip.data = sessions::JsonSerializer{}.loads(json);
  } catch (const sessions::DecodeError&) {
    return std::nullopt;
  }
  std::string value;
  try {
    value = store.encode(trip.data, settings, now);
  } catch (const sessions::CookieTooLarge&) {
    return std::nullopt;
  } catch (const sessions::EncodeError&) {
    return std::nullopt;  // a clock no cookie can carry (EncryptedCookieStore, before 1677 or after 2262)
  } catch (const sessions::LimitExceeded&) {
    return std::nullopt;  // data its own decode() would refuse: never issued
  }
  // What encode() issued, decode() takes (no LimitExceeded may escape from here).
  FUZZ_CHECK(store.accepts(value));
  trip.record = store.decode(value, settings, now);
  return trip;
}

/// One input of a client-store target. The first byte picks the mode:
///   0  the rest of the input as the cookie value a client sends;
///   1  `forge(input)`: a value made from the rest as only a holder of the key could (what reaches
///      the layers behind the authentication);
///   2  the rest as JSON session data: round_trip(), then `check_round_trip(trip, now)`.
/// "now" comes from consume_now(); every value decoded is checked by decode_and_check().
template <class Store, class Forge, class CheckRoundTrip>
void fuzz_client_store(const std::uint8_t* bytes, std::size_t size, const Store& store,
                       const sessions::Settings& settings, Forge&& forge, CheckRoundTrip&& check_round_trip) {
  FuzzedDataProvider input(bytes, size);
  const auto mode = input.ConsumeIntegral<std::uint8_t>() % 3;
  const sessions::TimePoint now = consume_now(input);
  switch (mode) {
    case 0:
      decode_and_check(store, settings, input.ConsumeRemainingBytesAsString(), now);
      break;
    case 1:
      decode_and_check(store, settings, forge(input), now);
      break;
    default:
      if (const auto trip = round_trip(store, settings, input.ConsumeRemainingBytesAsString(), now)) {
        check_round_trip(*trip, now);
      }
      break;
  }
}

}  // namespace sessions_fuzz
