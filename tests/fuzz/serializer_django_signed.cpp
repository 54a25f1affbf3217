// Fuzz target: DjangoSignedSerializer::loads (serializer/django_signed.hpp), the session_data
// format of Django's db, cache and file backends, with a fixed key.
//
// The first byte picks the mode: 0 the input as stored bytes; 1 the input signed with the key
// as the payload part (base64, maybe zlib, then JSON: what a key holder or a corrupted but
// re-signed record could hold); 2 the input as JSON text, signed as Django would (compressed).
// Invariants: loads returns a JSON object or throws BadSignature, MalformedSignedData,
// LimitExceeded or DecodeError (a valid payload that is not an object), nothing else; what it
// returns survives dumps() then loads() unchanged (as Python JSON text).

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include <sessions/errors.hpp>
#include <sessions/serializer/django_signed.hpp>
#include <sessions/signing/dumps.hpp>

#include "fuzz_support.hpp"

namespace {

namespace signing = sessions::signing;

using sessions_fuzz::kSecretKey;

const sessions::DjangoSignedSerializer& serializer() {
  static const sessions::DjangoSignedSerializer instance([] {
    sessions::DjangoSignedSerializer::Options options;
    options.secret_key = std::string(kSecretKey);
    options.fallback_keys = {"an-older-key-that-only-verifies"};
    options.max_decompressed_size = 8192;
    return options;
  }());
  return instance;
}

// The same key and salt as the serializer, for producing validly signed input.
const signing::TimestampSigner& signer() {
  static const signing::TimestampSigner instance(kSecretKey, sessions::kDjangoSessionStoreSalt);
  return instance;
}

void loads_and_check(std::string_view stored) {
  sessions::Data data;
  try {
    data = serializer().loads(stored);
  } catch (const sessions::BadSignature&) {
    return;
  } catch (const signing::MalformedSignedData&) {
    return;
  } catch (const sessions::LimitExceeded&) {
    return;
  } catch (const sessions::DecodeError&) {
    return;
  }
  FUZZ_CHECK(data.is_object());
  const std::string json = sessions_fuzz::canonical(data);
  const std::string written = serializer().dumps(data);
  FUZZ_CHECK(std::all_of(written.begin(), written.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == ':' || c == '.';
  }));
  try {
    FUZZ_CHECK_MSG(sessions_fuzz::canonical(serializer().loads(written)) == json, sessions_fuzz::shown(json));
  } catch (const sessions::LimitExceeded&) {
    FUZZ_CHECK(json.size() > 8192);  // only data beyond the bound may fail to come back
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  FuzzedDataProvider input(bytes, size);
  switch (input.ConsumeIntegral<std::uint8_t>() % 3) {
    case 0:
      loads_and_check(input.ConsumeRemainingBytesAsString());
      break;
    case 1: {
      const auto timestamp = input.ConsumeIntegral<std::int64_t>();
      loads_and_check(signer().sign(input.ConsumeRemainingBytesAsString(), timestamp));
      break;
    }
    default: {
      const std::string json = input.ConsumeRemainingBytesAsString();
      try {
        loads_and_check(signing::dumps_json_text(json, signer(), /*compress=*/true));
      } catch (const sessions::EncodeError&) {
        FUZZ_CHECK(std::any_of(json.begin(), json.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }));
      }
      break;
    }
  }
  return 0;
}
