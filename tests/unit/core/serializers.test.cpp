// The CBOR, MessagePack, encrypting and base64 serializers on their own: byte-exact vectors, round
// trips of the benchmark payloads, and every kind of bad input refused with a typed error (the
// promises JsonSerializer's loads() keeps: a map at the top, UTF-8 text, bounded depth, no byte
// left over). Then the encrypting serializer through a MemoryStore (support/serializer_suite.hpp;
// the Redis, memcached, PostgreSQL and file parts run the same suite against their servers).

#include <sessions/sessions.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "support/catch.hpp"
#include "support/serializer_suite.hpp"

using sessions::Data;

namespace {

std::string bytes_of(std::initializer_list<unsigned> values) {
  std::string out;
  for (const unsigned v : values) out.push_back(static_cast<char>(v));
  return out;
}

// bench/payloads.json, found from this file's path (CMake compiles it by its absolute path) or
// from the working directory upwards (a build directory inside the source tree).
Data serializer_test_payloads() {
  std::vector<std::filesystem::path> candidates{std::filesystem::path(__FILE__).parent_path() /
                                                "../../../bench/payloads.json"};
  for (auto dir = std::filesystem::current_path(); !dir.empty(); dir = dir.parent_path()) {
    candidates.push_back(dir / "bench/payloads.json");
    if (dir == dir.parent_path()) break;
  }
  for (const auto& path : candidates) {
    std::ifstream in(path);
    if (!in) continue;
    std::stringstream text;
    text << in.rdbuf();
    return Data::parse(text.str());
  }
  FAIL("bench/payloads.json not found from " << __FILE__ << " or the working directory");
  return {};
}

// `levels` nested arrays around the integer 1, in the binary formats (both write a one-element
// array as one byte: CBOR 0x81, MessagePack 0x91), inside a one-key map.
std::string nested_arrays(std::size_t levels, char array_byte, std::string_view map_head) {
  std::string out(map_head);
  out += std::string(levels, array_byte);
  out += '\x01';
  return out;
}

template <class S>
void check_refused(const S& serializer, const std::string& bytes, std::string_view why) {
  INFO("refused because: " << why);
  CHECK_THROWS_AS(serializer.loads(bytes), sessions::DecodeError);
}

}  // namespace

TEST_CASE("CBOR and MessagePack: byte-exact encodings of a small map", "[serializer][cbor][msgpack]") {
  // RFC 8949, appendix A: {"a": 1, "b": [2, 3]}.
  const Data data = Data::parse(R"({"a": 1, "b": [2, 3]})");
  const std::string cbor = bytes_of({0xa2, 0x61, 0x61, 0x01, 0x61, 0x62, 0x82, 0x02, 0x03});
  const std::string msgpack = bytes_of({0x82, 0xa1, 0x61, 0x01, 0xa1, 0x62, 0x92, 0x02, 0x03});
  CHECK(sessions::CborSerializer{}.dumps(data) == cbor);
  CHECK(sessions::MessagePackSerializer{}.dumps(data) == msgpack);
  CHECK(sessions::CborSerializer{}.loads(cbor) == data);
  CHECK(sessions::MessagePackSerializer{}.loads(msgpack) == data);

  // Other encodings of the same values are read too: CBOR's half-precision 1.5 (RFC 8949: 0xf93e00)
  // and an indefinite-length map; MessagePack's 16-bit map and string headers.
  CHECK(sessions::CborSerializer{}.loads(bytes_of({0xbf, 0x61, 0x66, 0xf9, 0x3e, 0x00, 0xff})) == Data{{"f", 1.5}});
  CHECK(sessions::MessagePackSerializer{}.loads(bytes_of(
            {0xde, 0x00, 0x01, 0xda, 0x00, 0x01, 0x66, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0})) == Data{{"f", 1.5}});
  // Negative integers, floats written as single precision when exact, keys in the data's order.
  const Data mixed = Data::parse(R"({"z": -1, "y": 1.5, "x": -1000})");
  CHECK(sessions::CborSerializer{}.dumps(mixed) ==
        bytes_of({0xa3, 0x61, 0x7a, 0x20, 0x61, 0x79, 0xfa, 0x3f, 0xc0, 0, 0, 0x61, 0x78, 0x39, 0x03, 0xe7}));
  CHECK(sessions::MessagePackSerializer{}.dumps(mixed) ==
        bytes_of({0x83, 0xa1, 0x7a, 0xff, 0xa1, 0x79, 0xca, 0x3f, 0xc0, 0, 0, 0xa1, 0x78, 0xd1, 0xfc, 0x18}));
}

TEMPLATE_TEST_CASE("binary serializers: the benchmark payloads round-trip, and re-encode to the same bytes",
                   "[serializer][cbor][msgpack]", sessions::CborSerializer, sessions::MessagePackSerializer,
                   sessions::Base64Serializer<sessions::CborSerializer>) {
  const TestType serializer{};
  STATIC_REQUIRE(sessions::CanonicalSerializer<TestType>);
  const Data payloads = serializer_test_payloads();
  REQUIRE(payloads.size() == 3);
  for (const auto& item : payloads.items()) {
    INFO(item.key());
    const std::string bytes = serializer.dumps(item.value());
    const Data back = serializer.loads(bytes);
    CHECK(back == item.value());
    CHECK(back.dump() == item.value().dump());  // the key order too
    CHECK(serializer.dumps(back) == bytes);     // canonical: the session fingerprints stored bytes
  }
}

TEMPLATE_TEST_CASE("binary serializers: truncated, extended and malformed input is DecodeError",
                   "[serializer][cbor][msgpack]", sessions::CborSerializer, sessions::MessagePackSerializer) {
  const TestType serializer{};
  const bool cbor = std::is_same_v<TestType, sessions::CborSerializer>;
  const std::string bytes = serializer.dumps(serializer_test_payloads()["typical"]);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    INFO("the first " << n << " bytes");
    CHECK_THROWS_AS(serializer.loads(bytes.substr(0, n)), sessions::DecodeError);
  }
  check_refused(serializer, bytes + '\x01', "a byte left over");
  check_refused(serializer, "\x01", "an integer at the top");
  check_refused(serializer, cbor ? "\x80" : "\x90", "an array at the top");
  // One-key maps holding what session data cannot: text that is not UTF-8, a non-text key, a
  // byte string, a CBOR tag.
  const std::string map1 = cbor ? "\xa1" : "\x81";
  const std::string key_a = cbor ? "\x61\x61" : "\xa1\x61";
  check_refused(serializer, map1 + key_a + (cbor ? "\x62\xc3\x28" : "\xa2\xc3\x28"), "a string not UTF-8");
  check_refused(serializer, map1 + (cbor ? "\x62\xed\xa0" : "\xa2\xed\xa0") + "\x01", "a key not UTF-8 (a surrogate)");
  check_refused(serializer, map1 + "\x01\x01", "an integer key");
  check_refused(serializer, map1 + key_a + (cbor ? std::string("\x41\x00", 2) : std::string("\xc4\x01\x00", 3)),
                "a byte string");
  if (cbor) check_refused(serializer, map1 + key_a + "\xc1\x01", "a tag");
  // A length no input holds: refused at the end of the input, nothing reserved for it.
  check_refused(serializer, map1 + key_a + (cbor ? "\x9b\xff\xff\xff\xff\xff\xff\xff\xff" : "\xdd\xff\xff\xff\xff"),
                "an array claiming 2^64 or 2^32 elements");
  check_refused(serializer, map1 + key_a + (cbor ? "\x7b\x7f\xff\xff\xff\xff\xff\xff\xff" : "\xdb\xff\xff\xff\xff"),
                "a string claiming more bytes than there are");
  CHECK(serializer.loads(map1 + key_a + '\x01') == Data{{"a", 1}});  // the same frames, well-formed
}

TEMPLATE_TEST_CASE("binary serializers: the depth limit is JsonSerializer's, and deep input cannot exhaust the stack",
                   "[serializer][cbor][msgpack][limits]", sessions::CborSerializer, sessions::MessagePackSerializer) {
  const TestType serializer{};
  const bool cbor = std::is_same_v<TestType, sessions::CborSerializer>;
  const char array1 = cbor ? '\x81' : '\x91';
  const std::string head = cbor ? "\xa1\x61\x61" : "\x81\xa1\x61";
  const std::size_t limit = sessions::JsonSerializer::max_depth;
  // {"a": [[...[1]...]]}: the map is one level, so `limit - 1` arrays put the 1 inside `limit`.
  const Data ok = serializer.loads(nested_arrays(limit - 1, array1, head));
  CHECK(ok.is_object());
  CHECK_THROWS_AS(serializer.loads(nested_arrays(limit, array1, head)), sessions::DecodeError);
  // The same shapes as JSON text: accepted and refused alike.
  const auto json = [](std::size_t arrays) {
    return "{\"a\":" + std::string(arrays, '[') + "1" + std::string(arrays, ']') + "}";
  };
  CHECK(sessions::JsonSerializer{}.loads(json(limit - 1)) == ok);
  CHECK_THROWS_AS(sessions::JsonSerializer{}.loads(json(limit)), sessions::DecodeError);
  CHECK_THROWS_AS(serializer.loads(nested_arrays(1'000'000, array1, head)), sessions::DecodeError);
  // The encoders refuse what the decoders would (EncodeError, nothing written).
  Data deep = 1;
  for (std::size_t i = 0; i < limit; ++i) deep = Data::array({deep});
  CHECK_THROWS_AS(serializer.dumps(Data{{"a", deep}}), sessions::EncodeError);
  CHECK_NOTHROW(serializer.dumps(Data{{"a", deep[0]}}));
}

TEMPLATE_TEST_CASE("binary serializers: data a decoder would refuse is not written (EncodeError)",
                   "[serializer][cbor][msgpack]", sessions::CborSerializer, sessions::MessagePackSerializer) {
  const TestType serializer{};
  CHECK_THROWS_AS(serializer.dumps(Data{{"bad", "\xc3\x28"}}), sessions::EncodeError);
  CHECK_THROWS_AS(serializer.dumps(Data{{"\xff", 1}}), sessions::EncodeError);
  CHECK_THROWS_AS(serializer.dumps(Data{{"b", Data::binary({1, 2})}}), sessions::EncodeError);
  CHECK_THROWS_AS(sessions::JsonSerializer{}.dumps(Data{{"bad", "\xc3\x28"}}), sessions::EncodeError);  // as JSON
  CHECK(serializer.loads(serializer.dumps(Data{{"ok", "\xf0\x9f\x98\x80"}})) == Data{{"ok", "\xf0\x9f\x98\x80"}});
}

TEST_CASE("Base64Serializer: text only, and only the text it writes", "[serializer][base64]") {
  const sessions::Base64Serializer<sessions::CborSerializer> serializer;
  const std::string text = serializer.dumps(Data{{"a", 0}});
  CHECK(text == "oWFhAA");  // base64url of a1 61 61 00, no padding
  CHECK(serializer.loads(text) == Data{{"a", 0}});
  CHECK_THROWS_AS(serializer.loads("oWFhAA=="), sessions::DecodeError);  // padding
  CHECK_THROWS_AS(serializer.loads("oWFh.AA"), sessions::DecodeError);   // a character outside the alphabet
  CHECK_THROWS_AS(serializer.loads("oWFhAB"), sessions::DecodeError);    // stray bits in the last character
  CHECK_THROWS_AS(serializer.loads("oWFh"), sessions::DecodeError);      // decodes, but is not a session
}

TEST_CASE("EncryptedSerializer: sealed, bound to the session key and the secret", "[serializer][encrypted]") {
  using Encrypted = sessions::EncryptedSerializer<>;
  const Encrypted serializer("a secret");
  const Data data = serializer_test_payloads()["typical"];
  const std::string key = "abcdefghijklmnopqrstuvwxyz012345";
  const std::string sealed = serializer.dumps(data, key);
  CHECK(sealed.size() == sessions::JsonSerializer{}.dumps(data).size() + Encrypted::kOverhead);
  CHECK(static_cast<unsigned char>(sealed[0]) == Encrypted::kVersion);
  CHECK(sealed != serializer.dumps(data, key));  // a fresh nonce every time
  CHECK(serializer.loads(sealed, key) == data);
  CHECK_FALSE(serializer.needs_rewrite(sealed));
  STATIC_REQUIRE(sessions::KeyedSerializer<Encrypted>);
  STATIC_REQUIRE_FALSE(sessions::requirement::serializer_loads<Encrypted>);  // no unkeyed form to misuse
  STATIC_REQUIRE(sessions::BinarySerializer<Encrypted>);
  STATIC_REQUIRE_FALSE(sessions::BinarySerializer<sessions::Base64Serializer<Encrypted>>);

  CHECK_THROWS_AS(serializer.loads(sealed, "0123456789abcdefghijklmnopqrstuv"), sessions::BadSignature);
  CHECK_THROWS_AS(Encrypted("another secret").loads(sealed, key), sessions::BadSignature);
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    std::string tampered = sealed;
    tampered[i] = static_cast<char>(tampered[i] ^ 0x01);
    INFO("byte " << i);
    CHECK_THROWS_AS(serializer.loads(tampered, key), sessions::BadSignature);
  }
  for (std::size_t n = 0; n < sealed.size(); n += 7) {
    CHECK_THROWS_AS(serializer.loads(sealed.substr(0, n), key), sessions::BadSignature);
  }
  CHECK_THROWS_AS(serializer.loads(sealed + '\0', key), sessions::BadSignature);

  SECTION("rotation: a fallback secret's values load and ask to be written again") {
    const Encrypted rotated("the new secret", {"a secret"});
    CHECK(rotated.loads(sealed, key) == data);
    CHECK(rotated.needs_rewrite(sealed));
    CHECK_FALSE(rotated.needs_rewrite(rotated.dumps(data, key)));
    CHECK_THROWS_AS(Encrypted("the new secret").loads(sealed, key), sessions::BadSignature);
  }
  SECTION("the inner serializer is the plaintext's format") {
    const sessions::EncryptedSerializer<sessions::CborSerializer> cbor("a secret");
    const std::string bytes = cbor.dumps(data, key);
    CHECK(bytes.size() == sessions::CborSerializer{}.dumps(data).size() + Encrypted::kOverhead);
    CHECK(cbor.loads(bytes, key) == data);
    CHECK_THROWS_AS(serializer.loads(bytes, key), sessions::DecodeError);  // same key, CBOR is not JSON
  }
  SECTION("an empty secret is a configuration error") {
    CHECK_THROWS_AS(Encrypted(""), sessions::ConfigurationError);
    CHECK_THROWS_AS(Encrypted("x", {""}), sessions::ConfigurationError);
  }
}

TEST_CASE("binary and encrypted serializers through a MemoryStore", "[serializer][encrypted][memory]") {
  using Fixture = test_support::StoreFixture<sessions::MemoryStore>;
  serializer_suite::check_binary_round_trip<Fixture, sessions::CborSerializer>();
  serializer_suite::check_binary_round_trip<Fixture, sessions::MessagePackSerializer>();
  serializer_suite::check_encrypted<Fixture>([](std::string secret, std::vector<std::string> fallbacks) {
    return sessions::EncryptedSerializer<sessions::MessagePackSerializer>(std::move(secret), std::move(fallbacks));
  });
}
