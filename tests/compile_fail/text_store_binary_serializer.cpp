// expect: a binary serializer cannot write to a store that keeps text (SQL)
// A serializer whose bytes may hold NUL or invalid UTF-8 (CborSerializer) with a store that keeps
// text, as the SQL stores do (Django's `session_data text`): refused at compile time, with the way
// out named (Base64Serializer), instead of failing at run time for some data only.
#include <sessions/sessions.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace {

struct TextStore {
  using payload_type = std::string;
  static constexpr bool text_payload = true;
  std::optional<sessions::Record<std::string>> load(std::string_view) { return std::nullopt; }
  bool create(std::string_view, const std::string&, sessions::TimePoint) { return true; }
  bool update(std::string_view, const std::string&, sessions::TimePoint) { return true; }
  bool touch(std::string_view, sessions::TimePoint) { return true; }
  void remove(std::string_view) {}
  bool exists(std::string_view) { return false; }
  std::size_t clear_expired() { return 0; }
};

// The case is precise: the store and the serializer are each complete, and the text form compiles.
static_assert(sessions::ByteStorage<TextStore> && sessions::TextStorage<TextStore>);
static_assert(sessions::Serializer<sessions::CborSerializer> && sessions::BinarySerializer<sessions::CborSerializer>);
static_assert(!sessions::BinarySerializer<sessions::Base64Serializer<sessions::CborSerializer>>);

}  // namespace

int main() {
  TextStore store;
  sessions::Session<TextStore, sessions::Base64Serializer<sessions::CborSerializer>> text{store};
  sessions::Session<TextStore, sessions::CborSerializer> session{store};
  static_cast<void>(text);
  static_cast<void>(session);
}
