// Fuzz target: SignedCookieStore::decode (storage/signed_cookie_store.hpp), Django's signed_cookies
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
#include <sessions/storage/signed_cookie_store.hpp>

#include "client_cookie_fuzzing.hpp"
#include "fuzz_support.hpp"

namespace {

using sessions::TimePoint;

using sessions_fuzz::kSecretKey;

const sessions::SignedCookieStore& store() {
  static const sessions::SignedCookieStore instance([] {
    sessions::SignedCookieStore::Options options;
    options.secret_key = std::string(kSecretKey);
    options.fallback_keys = {"an-older-key-that-only-verifies"};
    options.max_decompressed_size = 8192;
    options.max_decoded_bytes = 64 * 1024;  // reachable within 8 KB of JSON
    return options;
  }());
  return instance;
}

const sessions::signing::TimestampSigner& signer() {
  static const sessions::signing::TimestampSigner instance(kSecretKey, sessions::kSignedCookiesSalt);
  return instance;
}

const sessions::Settings& settings() {
  static const sessions::Settings instance;
  return instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  sessions_fuzz::fuzz_client_store(
      bytes, size, store(), settings(),
      [](FuzzedDataProvider& input) {
        const std::int64_t timestamp = input.ConsumeBool()
                                           ? input.ConsumeIntegral<std::int64_t>()
                                           : std::int64_t{1'700'000'000} + input.ConsumeIntegral<std::int32_t>();
        return signer().sign(input.ConsumeRemainingBytesAsString(), timestamp);
      },
      [](const sessions_fuzz::RoundTrip& trip, TimePoint now) {
        FUZZ_CHECK(sessions_fuzz::canonical(trip.record.data) == sessions_fuzz::canonical(trip.data));
        // Signed at int(time.time()), truncated from the float time as Django does.
        FUZZ_CHECK(trip.record.issued_at ==
                   TimePoint{std::chrono::seconds{sessions::signing::detail::python_int_time(now)}});
      });
  return 0;
}
