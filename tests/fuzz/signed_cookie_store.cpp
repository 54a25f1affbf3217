// Fuzz target: SignedCookieStore::decode (storage/signed_cookie.hpp), Django's signed_cookies
// backend, with a fixed key.
//
// The first byte picks the mode: 0 the input as the cookie value a client sends; 1 the input as
// the payload part, signed here with the store's key and salt at a timestamp from the input (what
// a holder of the key could send: reaches the age check, the timestamp, base64, zlib and JSON);
// 2 the input as JSON session data: encode() then decode() gives it back, issued at "now"
// rounded down to the second, and accepts() takes the value.
// Invariants: decode returns a record or throws BadSignature (SignatureExpired included),
// MalformedSignedData, LimitExceeded or DecodeError, nothing else; the record's data is an
// object, and it was issued no longer than SESSION_COOKIE_AGE before "now".

#include <fuzzer/FuzzedDataProvider.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include <sessions/errors.hpp>
#include <sessions/serializer/json.hpp>
#include <sessions/settings.hpp>
#include <sessions/signing/errors.hpp>
#include <sessions/signing/signer.hpp>
#include <sessions/storage/signed_cookie.hpp>

#include "fuzz_support.hpp"

namespace {

using sessions::TimePoint;

constexpr std::string_view kKey = "django-insecure-fuzzing-key-0123456789abcdefghijklmnopqrstuvwxyz";

const sessions::SignedCookieStore& store() {
  static const sessions::SignedCookieStore instance([] {
    sessions::SignedCookieStore::Options options;
    options.secret_key = std::string(kKey);
    options.fallback_keys = {"an-older-key-that-only-verifies"};
    options.max_decompressed_size = 8192;
    return options;
  }());
  return instance;
}

const sessions::signing::TimestampSigner& signer() {
  static const sessions::signing::TimestampSigner instance(kKey, sessions::kSignedCookiesSalt);
  return instance;
}

const sessions::Settings& settings() {
  static const sessions::Settings instance;
  return instance;
}

void decode_and_check(std::string_view value, TimePoint now) {
  try {
    const sessions::ClientRecord record = store().decode(value, settings(), now);
    FUZZ_CHECK(record.data.is_object());
    std::int64_t age = 0;
    if (!__builtin_sub_overflow(now.time_since_epoch().count(), record.issued_at.time_since_epoch().count(), &age)) {
      FUZZ_CHECK(TimePoint::duration{age} <= settings().cookie_age);
    }
  } catch (const sessions::BadSignature&) {
  } catch (const sessions::signing::MalformedSignedData&) {
  } catch (const sessions::LimitExceeded&) {
  } catch (const sessions::DecodeError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  FuzzedDataProvider input(bytes, size);
  const auto mode = input.ConsumeIntegral<std::uint8_t>() % 3;
  const TimePoint now = input.ConsumeBool()
                            ? TimePoint{TimePoint::duration{input.ConsumeIntegral<std::int64_t>()}}
                            : TimePoint{std::chrono::seconds{1'700'000'000 + input.ConsumeIntegral<std::int16_t>()}};
  switch (mode) {
    case 0:
      decode_and_check(input.ConsumeRemainingBytesAsString(), now);
      break;
    case 1: {
      const std::int64_t timestamp = input.ConsumeBool() ? input.ConsumeIntegral<std::int64_t>()
                                                         : std::int64_t{1'700'000'000} + input.ConsumeIntegral<std::int32_t>();
      decode_and_check(signer().sign(input.ConsumeRemainingBytesAsString(), timestamp), now);
      break;
    }
    default: {
      sessions::Data data;
      try {
        data = sessions::JsonSerializer{}.loads(input.ConsumeRemainingBytesAsString());
      } catch (const sessions::DecodeError&) {
        break;
      }
      std::string value;
      try {
        value = store().encode(data, settings(), now);
      } catch (const sessions::CookieTooLarge&) {
        break;
      }
      FUZZ_CHECK(store().accepts(value));
      const sessions::ClientRecord record = store().decode(value, settings(), now);
      FUZZ_CHECK(sessions_fuzz::canonical(record.data) == sessions_fuzz::canonical(data));
      // Signed at int(time.time()), truncated from the float time as Django does.
      FUZZ_CHECK(record.issued_at == TimePoint{std::chrono::seconds{sessions::signing::detail::python_int_time(now)}});
      break;
    }
  }
  return 0;
}
