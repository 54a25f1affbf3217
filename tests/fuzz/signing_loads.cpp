// Fuzz target: django.core.signing.loads (signing/dumps.hpp) with a fixed key.
//
// Random text almost never carries a valid signature, so most of the input is signed here first
// with the fixed key, and what loads() does after the signature check (base62 timestamp, age,
// base64, zlib, Python JSON) is what gets fuzzed. The first byte picks the mode:
//   0  the input as a signed value, as it comes from a client;
//   1  the input is the payload part (`payload:timestamp` signed with the key, timestamp from the
//      input too), i.e. what a holder of the key could send;
//   2  the input is `payload:stamp` as a whole, signed with the key (arbitrary base62 text);
//   3  the input is JSON text: dumps_json_text() then loads_json_text() gives it back exactly
//      (compressed or not), and loads() gives what parse_python_json() gives.
// Invariants: loads() returns data or throws BadSignature (SignatureExpired included),
// MalformedSignedData or LimitExceeded, nothing else. Whatever it returns round-trips: dumps()
// of it, with and without compression, loads back to the same data (as Python JSON text).

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <sessions/errors.hpp>
#include <sessions/signing/dumps.hpp>

#include "fuzz_support.hpp"

namespace {

using sessions::TimePoint;
namespace signing = sessions::signing;

using sessions_fuzz::kSecretKey;
const TimePoint kNow{std::chrono::seconds{1'700'000'000}};

const signing::TimestampSigner& signer() {
  static const signing::TimestampSigner instance(kSecretKey, signing::default_dumps_salt);
  return instance;
}

// A small bound, so that the limit path is reached without megabytes of output per input.
signing::PayloadLimits limits() {
  signing::PayloadLimits l;
  l.max_decompressed_size = 4096;
  return l;
}

void check_round_trip(const sessions::Data& data) {
  std::string json;
  try {
    json = signing::dump_python_json(data);
  } catch (const sessions::EncodeError&) {
    FUZZ_CHECK_MSG(false, "loads() returned data that dump_python_json cannot write");
  }
  for (const bool compress : {false, true}) {
    const std::string signed_value = signing::dumps(data, signer(), compress, kNow);
    signing::PayloadLimits wide;
    wide.max_decompressed_size = json.size() + 1;
    const sessions::Data again = signing::loads(signed_value, signer(), std::nullopt, kNow, wide);
    FUZZ_CHECK_MSG(sessions_fuzz::canonical(again) == json, sessions_fuzz::shown(json));
  }
}

// loads() under every documented outcome; data that loads is checked for the round trip.
void loads_and_check(std::string_view text, std::optional<double> max_age) {
  try {
    const sessions::Data data = signing::loads(text, signer(), max_age, kNow, limits());
    check_round_trip(data);
  } catch (const sessions::BadSignature&) {
  } catch (const signing::MalformedSignedData&) {
  } catch (const sessions::LimitExceeded&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  FuzzedDataProvider input(bytes, size);
  const auto mode = input.ConsumeIntegral<std::uint8_t>() % 4;
  std::optional<double> max_age;
  if (input.ConsumeBool())
    max_age = static_cast<double>(input.ConsumeIntegralInRange<std::int64_t>(-10, 1'000'000'000));

  switch (mode) {
    case 0: {
      loads_and_check(input.ConsumeRemainingBytesAsString(), max_age);
      break;
    }
    case 1: {
      const auto timestamp = input.ConsumeIntegral<std::int64_t>();
      const std::string payload = input.ConsumeRemainingBytesAsString();
      loads_and_check(signer().sign(payload, timestamp), max_age);
      break;
    }
    case 2: {
      loads_and_check(signer().signer().sign(input.ConsumeRemainingBytesAsString()), max_age);
      break;
    }
    default: {
      const bool compress = input.ConsumeBool();
      const std::string json = input.ConsumeRemainingBytesAsString();
      std::string signed_value;
      try {
        signed_value = signing::dumps_json_text(json, signer(), compress, kNow);
      } catch (const sessions::EncodeError&) {
        // Only text with a byte >= 0x80 is refused.
        FUZZ_CHECK(std::any_of(json.begin(), json.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }));
        break;
      }
      signing::PayloadLimits wide;
      wide.max_decompressed_size = json.size() + 1;
      FUZZ_CHECK(signing::loads_json_text(signed_value, signer(), std::nullopt, kNow, wide) == json);
      std::optional<sessions::Data> parsed;
      try {
        parsed = signing::parse_python_json(json);
      } catch (const sessions::DecodeError&) {
      }
      try {
        const sessions::Data data = signing::loads(signed_value, signer(), std::nullopt, kNow, wide);
        FUZZ_CHECK(parsed.has_value());
        FUZZ_CHECK(sessions_fuzz::canonical(data) == sessions_fuzz::canonical(*parsed));
        check_round_trip(data);
      } catch (const signing::MalformedSignedData&) {
        FUZZ_CHECK(!parsed.has_value());
      }
      break;
    }
  }
  return 0;
}
