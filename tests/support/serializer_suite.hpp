#pragma once
// The serializers through a real store: the binary ones (CBOR, MessagePack) keep NUL and high
// bytes intact, and the encrypting one hides the data, refuses a value moved to another key,
// changed, or sealed under an unknown secret (an empty session, a `rejected` event and a security
// log line, never an exception), and reads a value sealed under a fallback secret, which the next
// save seals again under the current one. Each store's part runs it with its fixture
// (test_support::StoreFixture<Store>); the stored bytes are read and written through the store's
// own load/create/update, so a tampered or moved value reaches the session as it would from the
// server.

#include <sessions/sessions.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "support/catch.hpp"
#include "support/fixtures.hpp"

namespace serializer_suite {

using namespace std::chrono_literals;

inline constexpr std::string_view kSecret = "serializer suite secret, never used in production";
inline constexpr std::string_view kOldSecret = "serializer suite old secret, never used in production";

/// Counts the `rejected` events told.
struct Rejections {
  int count = 0;
  sessions::EventHook hook() {
    return sessions::EventHook(
        [](void* self, const sessions::SessionEvent& e) {
          if (e.kind == sessions::SessionEventKind::rejected) ++static_cast<Rejections*>(self)->count;
        },
        this);
  }
};

/// Data whose CBOR and MessagePack hold a NUL byte (the integer 0) and bytes above 0x7F (a map
/// header, UTF-8 text), with a secret-looking string to look for in the stored bytes.
inline sessions::Data sample() {
  return sessions::Data{{"zero", 0},
                        {"text", "caf\xc3\xa9 \xe2\x82\xac"},
                        {"token", "hunter2-plaintext"},
                        {"list", {1, -1, 2.5, nullptr, true}}};
}

/// A session of `Serializer` over the fixture's store saved with sample(); returns its key.
template <class Fixture, class Serializer>
std::string save_sample(Fixture& f, const Serializer& serializer) {
  using Store = std::remove_reference_t<decltype(f.store)>;
  sessions::Session<Store, Serializer> session(f.store, f.settings, serializer);
  const sessions::Data data = sample();
  for (const auto& item : data.items()) session.set(item.key(), item.value());
  session.save();
  return session.session_key().value();
}

/// The data a fresh session of `Serializer` reads under `key`.
template <class Fixture, class Serializer>
sessions::Data read(Fixture& f, const Serializer& serializer, std::string_view key) {
  using Store = std::remove_reference_t<decltype(f.store)>;
  sessions::Session<Store, Serializer> session(f.store, key, f.settings, serializer);
  return session.data();
}

/// The bytes the store holds under `key`.
template <class Fixture>
std::string stored(Fixture& f, std::string_view key) {
  auto record = f.store.load(key);
  REQUIRE(record.has_value());
  return record->payload;
}

/// A binary serializer's bytes, NUL and high bytes among them, come back from the store intact.
template <class Fixture, class Serializer>
void check_binary_round_trip() {
  Fixture f;
  const Serializer serializer{};
  const std::string key = save_sample(f, serializer);
  const std::string bytes = stored(f, key);
  CHECK(bytes == serializer.dumps(sample()));  // the store gave back exactly what it was given
  CHECK(bytes.find('\0') != std::string::npos);
  bool high = false;
  for (const char c : bytes) high = high || static_cast<unsigned char>(c) >= 0x80;
  CHECK(high);
  CHECK(read(f, serializer, key) == sample());
  CHECK(f.log.lines.empty());
}

/// The encrypting serializer `Encrypted` (EncryptedSerializer<...>, or that in Base64Serializer:
/// `make(secret, fallbacks)` builds one) through the fixture's store.
template <class Fixture, class Make>
void check_encrypted(Make make) {
  Fixture f;
  Rejections rejections;
  f.settings.on_event = rejections.hook();
  const auto current = make(std::string(kSecret), std::vector<std::string>{});
  using Serializer = std::remove_const_t<decltype(current)>;
  const std::string key = save_sample(f, current);
  const std::string bytes = stored(f, key);

  SECTION("the stored bytes hide the data, and the session reads it back") {
    CHECK(bytes.find("hunter2") == std::string::npos);
    CHECK(bytes.find("token") == std::string::npos);
    CHECK(read(f, current, key) == sample());
    CHECK(rejections.count == 0);
    CHECK(f.log.lines.empty());
  }
  SECTION("a value copied under another key does not load: empty, rejected, logged") {
    const std::string other = sessions::generate_session_key();
    REQUIRE(f.store.create(other, bytes, f.clock.now() + 1h));
    CHECK(read(f, current, other) == sessions::Data::object());
    CHECK(rejections.count == 1);
    CHECK(f.log.contains("Session data corrupted"));
    CHECK(f.log.contains("does not authenticate"));
    CHECK(read(f, current, key) == sample());  // the original still loads
  }
  SECTION("a changed byte does not load") {
    std::string tampered = bytes;
    char& c = tampered[tampered.size() / 2];
    c = c == 'A' ? 'B' : 'A';  // an ASCII letter either way: still text for a text column
    REQUIRE(f.store.update(key, tampered, f.clock.now() + 1h));
    CHECK(read(f, current, key) == sessions::Data::object());
    CHECK(rejections.count == 1);
    CHECK(f.log.contains("Session data corrupted"));
  }
  SECTION("another secret does not load it") {
    const Serializer stranger = make("another secret", {});
    CHECK(read(f, stranger, key) == sessions::Data::object());
    CHECK(rejections.count == 1);
    CHECK(f.log.contains("unknown key"));
  }
  SECTION("a value sealed under a fallback secret loads, and the next save seals it again under the current one") {
    const Serializer old = make(std::string(kOldSecret), {});
    const Serializer rotated = make(std::string(kSecret), {std::string(kOldSecret)});
    const std::string old_key = save_sample(f, old);
    CHECK(read(f, current, old_key) == sessions::Data::object());  // the current key alone cannot
    REQUIRE(rejections.count == 1);
    {
      using Store = std::remove_reference_t<decltype(f.store)>;
      sessions::Session<Store, Serializer> session(f.store, old_key, f.settings, rotated);
      CHECK(session.data() == sample());
      session.save();  // unchanged data: written all the same, under the current key
    }
    CHECK(read(f, current, old_key) == sample());
    CHECK(read(f, rotated, old_key) == sample());
    CHECK(rejections.count == 1);
  }
}

}  // namespace serializer_suite
