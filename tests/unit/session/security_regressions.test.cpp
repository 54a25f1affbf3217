// Regressions for findings of a security review: each test fails on the code before its fix.

#include <string>
#include <string_view>
#include <vector>

#include "support/catch.hpp"

#include <sessions/sessions.hpp>

namespace {

// A MemoryStore that remembers the keys touch() was handed, copied while the call runs (a key
// that dangles shows up here as garbage or, under ASan, as a use-after-free report).
struct TouchRecordingStore {
  using payload_type = sessions::MemoryStore::payload_type;
  sessions::MemoryStore inner;
  std::vector<std::string> touched;

  std::optional<sessions::Record<payload_type>> load(std::string_view key) { return inner.load(key); }
  bool create(std::string_view key, const payload_type& p, sessions::TimePoint at) { return inner.create(key, p, at); }
  bool update(std::string_view key, const payload_type& p, sessions::TimePoint at) { return inner.update(key, p, at); }
  bool touch(std::string_view key, sessions::TimePoint at) {
    touched.emplace_back(key);
    return inner.touch(key, at);
  }
  void remove(std::string_view key) { inner.remove(key); }
  bool exists(std::string_view key) { return inner.exists(key); }
  std::size_t clear_expired() { return inner.clear_expired(); }
};

}  // namespace

TEST_CASE("touch() on a well-formed key with no live record: UpdateError, the store is never handed the freed key") {
  TouchRecordingStore store;
  sessions::Session<TouchRecordingStore> session{store, "qwertyuiopasdfghjklzxcvbnm123456"};
  CHECK_THROWS_AS(session.touch(), sessions::UpdateError);
  CHECK(store.touched.empty());
  CHECK_FALSE(session.session_key().has_value());
}

TEST_CASE("touch() on a live session refreshes its record under its own key") {
  TouchRecordingStore store;
  sessions::Session<TouchRecordingStore> first{store};
  first.set("a", 1);
  first.save();
  const std::string key = *first.session_key();
  sessions::Session<TouchRecordingStore> again{store, key};
  again.touch();
  REQUIRE(store.touched.size() == 1);
  CHECK(store.touched.front() == key);
}
