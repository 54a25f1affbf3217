// Fuzz target: the binary serializers' decoders (serializer/cbor.hpp, serializer/msgpack.hpp,
// detail/binary_format.hpp) and the encrypting serializer (serializer/encrypted.hpp), one target
// for all of them: the first byte picks the decoder, the rest is what a store handed back.
//
//   0  CborSerializer::loads(rest)
//   1  MessagePackSerializer::loads(rest)
//   2  EncryptedSerializer<CborSerializer>::loads(rest, key): never opens (the fuzzer cannot forge
//      a tag), so only a sessions::Error may come out; then `rest` sealed as the header comment
//      of encrypted.hpp documents (the fuzz secret, a zero nonce) loads exactly as mode 0 would.
//
// Invariants:
//   - loads returns an object or throws DecodeError (BadSignature for mode 2's raw input);
//   - the object nests no deeper than JsonSerializer::max_depth, and dumps as JSON (its text is
//     UTF-8: nothing a later dump() of the session would throw on);
//   - canonical, as both claim: y = dumps(loads(x)) loads back to equal data, dumps(loads(y)) == y.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <sessions/crypto/aead.hpp>
#include <sessions/crypto/kdf.hpp>
#include <sessions/crypto/sha256.hpp>
#include <sessions/errors.hpp>
#include <sessions/serializer/cbor.hpp>
#include <sessions/serializer/encrypted.hpp>
#include <sessions/serializer/msgpack.hpp>

#include "fuzz_support.hpp"

namespace {

constexpr std::string_view kSessionKey = "fuzzsessionkey0123456789abcdefgh";

template <class S>
void check_decoder(const S& serializer, std::string_view bytes) {
  sessions::Data data;
  try {
    data = serializer.loads(bytes);
  } catch (const sessions::DecodeError&) {
    return;
  }
  FUZZ_CHECK(data.is_object());
  FUZZ_CHECK(sessions_fuzz::depth_of(data) <= sessions::JsonSerializer::max_depth);
  std::string json;
  try {
    json = data.dump();
  } catch (const nlohmann::json::exception&) {
    FUZZ_CHECK_MSG(false, "loaded data cannot be written as JSON: " + sessions_fuzz::shown(bytes));
  }
  std::string dumped;
  try {
    dumped = serializer.dumps(data);
  } catch (const sessions::EncodeError&) {
    FUZZ_CHECK_MSG(false, "loaded data cannot be written back: " + sessions_fuzz::shown(bytes));
  }
  const sessions::Data again = serializer.loads(dumped);
  FUZZ_CHECK_MSG(sessions_fuzz::canonical(again) == sessions_fuzz::canonical(data), sessions_fuzz::shown(dumped));
  static_assert(S::canonical);
  FUZZ_CHECK_MSG(serializer.dumps(again) == dumped, sessions_fuzz::shown(dumped));
}

// `plaintext` sealed as encrypted.hpp documents its bytes (here with a zero nonce).
std::string seal_as_documented(std::string_view plaintext) {
  static const auto key = sessions::crypto::hkdf_sha256_key<32>(
      sessions::crypto::as_bytes(sessions_fuzz::kSecretKey), sessions::crypto::as_bytes("sessions.EncryptedSerializer"),
      sessions::crypto::as_bytes("aes-256-gcm v1"));
  const auto digest = sessions::crypto::sha256(sessions::crypto::ByteView(key));
  std::string aad(1, '\x01');
  aad.append(reinterpret_cast<const char*>(digest.data()), 4);
  const std::string header = aad;
  aad.append(kSessionKey);
  const std::array<unsigned char, 12> nonce{};
  const auto sealed = sessions::crypto::detail::aes256gcm_seal_with_nonce(
      key, nonce, sessions::crypto::as_bytes(plaintext), sessions::crypto::as_bytes(aad));
  return header + std::string(reinterpret_cast<const char*>(sealed.data()), sealed.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest = sessions_fuzz::as_text(bytes + 1, size - 1);
  switch (bytes[0] % 3) {
    case 0:
      check_decoder(sessions::CborSerializer{}, rest);
      break;
    case 1:
      check_decoder(sessions::MessagePackSerializer{}, rest);
      break;
    default: {
      static const sessions::EncryptedSerializer<sessions::CborSerializer> encrypted{
          std::string(sessions_fuzz::kSecretKey)};
      try {
        (void)encrypted.loads(rest, kSessionKey);
        FUZZ_CHECK_MSG(false, "unsealed bytes opened: " + sessions_fuzz::shown(rest));
      } catch (const sessions::BadSignature&) {
      }
      const std::string sealed = seal_as_documented(rest);
      std::string direct;
      std::string through;
      try {
        direct = sessions_fuzz::canonical(sessions::CborSerializer{}.loads(rest));
      } catch (const sessions::DecodeError&) {
        direct = std::string("DecodeError");
      }
      try {
        through = sessions_fuzz::canonical(encrypted.loads(sealed, kSessionKey));
      } catch (const sessions::DecodeError&) {
        through = std::string("DecodeError");
      }
      FUZZ_CHECK_MSG(direct == through, sessions_fuzz::shown(rest));
      break;
    }
  }
  return 0;
}
