// Fuzz target: EncryptedCookieStore::decode (storage/encrypted_cookie.hpp) with a fixed key.
//
// The first byte picks the mode:
//   0  the input as the cookie value a client sends;
//   1  the input as a plaintext sealed with the store's own key (derived here the way the store
//      documents it), i.e. what only a holder of the key could send: this is what reaches the
//      issue time, the format byte, zlib and JSON behind the authentication;
//   2  the input as JSON session data: encode() then decode() gives the same data back, issued at
//      "now" rounded down to the second, and accepts() takes the value.
// Invariants: decode returns a record or throws BadSignature (SignatureExpired included),
// DecodeError, MalformedSignedData or LimitExceeded, nothing else; a record's data is a JSON
// object; "now" and the issue time are arbitrary instants and nothing overflows.

#include <fuzzer/FuzzedDataProvider.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <sessions/crypto/aead.hpp>
#include <sessions/crypto/kdf.hpp>
#include <sessions/crypto/sha256.hpp>
#include <sessions/errors.hpp>
#include <sessions/serializer/json.hpp>
#include <sessions/settings.hpp>
#include <sessions/signing/base64.hpp>
#include <sessions/signing/errors.hpp>
#include <sessions/storage/encrypted_cookie.hpp>

#include "client_cookie_fuzzing.hpp"
#include "fuzz_support.hpp"

namespace {

using sessions::TimePoint;
namespace crypto = sessions::crypto;

using sessions_fuzz::kSecretKey;

const sessions::EncryptedCookieStore& store() {
  static const sessions::EncryptedCookieStore instance([] {
    sessions::EncryptedCookieStore::Options options;
    options.secret_key = std::string(kSecretKey);
    options.fallback_keys = {"an-older-key-that-only-decrypts"};
    options.max_decompressed_size = 8192;
    options.max_decoded_bytes = 64 * 1024;  // reachable within 8 KB of JSON
    return options;
  }());
  return instance;
}

const sessions::Settings& settings() {
  static const sessions::Settings instance;
  return instance;
}

// The store's documented key derivation (see the header comment of encrypted_cookie.hpp).
struct SealingKey {
  crypto::Aes256GcmKey aes{};
  std::string kid;
};
const SealingKey& sealing_key() {
  static const SealingKey key = [] {
    SealingKey k;
    k.aes = crypto::hkdf_sha256_key<crypto::aes256gcm_key_size>(crypto::as_bytes(kSecretKey),
                                                                crypto::as_bytes("sessions.EncryptedCookieStore"),
                                                                crypto::as_bytes("aes-256-gcm v1"));
    const auto digest = crypto::sha256(crypto::ByteView(k.aes));
    k.kid = sessions::signing::b64_encode(crypto::ByteView(digest.data(), 4)).substr(0, 6);
    return k;
  }();
  return key;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  sessions_fuzz::fuzz_client_store(
      bytes, size, store(), settings(),
      [](FuzzedDataProvider& input) {
        const std::string plaintext = input.ConsumeRemainingBytesAsString();
        const std::vector<unsigned char> sealed = crypto::aes256gcm_seal(sealing_key().aes, crypto::as_bytes(plaintext),
                                                                         crypto::as_bytes(settings().cookie_name));
        const std::string value = std::string(sessions::EncryptedCookieStore::kPrefix) + sealing_key().kid + "." +
                                  sessions::signing::b64_encode(crypto::ByteView(sealed));
        FUZZ_CHECK(store().accepts(value) == (value.size() <= 4096));
        return value;
      },
      [](const sessions_fuzz::RoundTrip& trip, TimePoint now) {
        FUZZ_CHECK(trip.record.data == trip.data);
        FUZZ_CHECK(trip.record.issued_at == TimePoint{std::chrono::seconds{sessions::unix_seconds(now)}});
      });
  return 0;
}
