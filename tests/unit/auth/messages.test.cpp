// Django's messages framework: levels, add / consume / peek, and the session, cookie and fallback
// storages, against Django 3.2's encodings (django_vectors.hpp).
#include <sessions/messages/messages.hpp>
#include <sessions/sessions.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "support/catch.hpp"
#include "unit/auth/django_vectors.hpp"

using sessions::DjangoVersion;
using sessions::messages::CookieBackend;
using sessions::messages::CookieMessages;
using sessions::messages::CookieOptions;
using sessions::messages::CookieUpdate;
using sessions::messages::Message;

namespace {

using MessagesSession = sessions::Session<sessions::MemoryStore>;

// A clock at the time a Django vector was signed (its middle, base62 part).
sessions::ManualClock clock_of(std::string_view signed_value) {
  const std::size_t last = signed_value.rfind(':');
  const std::size_t middle = signed_value.rfind(':', last - 1);
  const std::int64_t seconds = sessions::signing::b62_decode(signed_value.substr(middle + 1, last - middle - 1));
  return sessions::ManualClock(sessions::TimePoint{std::chrono::seconds{seconds}});
}

std::vector<Message> django_sample() {
  return {Message{25, "Saved.", "", false}, Message{40, "Wrong \"password\" \xc3\xa9", "form x", false},
          Message{33, "<b>custom</b>", "", true}};
}

// Text zlib cannot shrink much (a size test must not be defeated by compression).
std::string noise(int seed, std::size_t length) {
  std::string out;
  unsigned state = 2463534242U + static_cast<unsigned>(seed) * 7919U;
  for (std::size_t i = 0; i < length; ++i) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    out += static_cast<char>('!' + state % 90);
  }
  return out;
}

CookieMessages cookie_messages(std::optional<std::string> cookie, CookieOptions options = {}) {
  return CookieMessages(CookieBackend(std::move(cookie), django_vectors::secret, options));
}

}  // namespace

TEST_CASE("messages: levels, minimum level, empty text and tags as Django", "[messages]") {
  auto storage = cookie_messages(std::nullopt);
  CHECK_FALSE(storage.debug("hidden"));  // below INFO, the default MESSAGE_LEVEL
  CHECK_FALSE(storage.info(""));         // Django drops empty messages
  CHECK(storage.info("shown"));
  storage.set_level(sessions::messages::debug_level);
  CHECK(storage.debug("now shown", "extra"));
  storage.set_level(35);
  CHECK_FALSE(storage.warning("below custom level"));
  CHECK(storage.add(35, "custom level"));
  storage.reset_level();
  CHECK(storage.level() == sessions::messages::info_level);
  const auto all = storage.peek();
  REQUIRE(all.size() == 3);
  CHECK(all[0].tags() == "info");
  CHECK(all[1].tags() == "extra debug");
  CHECK(all[2].tags().empty());  // a custom level has no tag
  sessions::messages::LevelTags tags = sessions::messages::default_level_tags();
  tags[35] = "notice";
  CHECK(all[2].tags(tags) == "notice");
}

TEST_CASE("messages: the session storage reads and writes Django's _messages string", "[messages][session]") {
  sessions::MemoryStore store;
  MessagesSession session{store};
  session.set("_messages", std::string(django_vectors::session_messages));
  auto storage = sessions::messages::session_messages(session, DjangoVersion::v3_2);
  const auto& got = storage.consume();
  REQUIRE(got.size() == 3);
  CHECK(got[1].text == "Wrong \"password\" \xc3\xa9");
  CHECK(got[1].extra_tags == "form x");
  CHECK_FALSE(got[0].extra_tags.has_value());  // 3.2 wrote "" as nothing
  CHECK(got[2].safe);
  CHECK(got[2].level == 33);
  CHECK(sessions::messages::detail::encode(django_sample(), false, true, DjangoVersion::v3_2) ==
        django_vectors::session_messages);
  storage.update();  // consumed: the key goes
  CHECK_FALSE(session.contains("_messages"));
}

TEST_CASE("messages: consume marks them shown, peek does not; new ones after consume stay", "[messages]") {
  sessions::MemoryStore store;
  MessagesSession session{store};
  {
    auto storage = sessions::messages::session_messages(session);
    storage.success("one");
    storage.update();
  }
  {
    auto storage = sessions::messages::session_messages(session);
    CHECK(storage.peek().size() == 1);
    storage.update();  // neither used nor added: stays
  }
  {
    auto storage = sessions::messages::session_messages(session);
    storage.info("two");  // added without showing: kept with the old one
    storage.update();
  }
  {
    auto storage = sessions::messages::session_messages(session);
    const auto& shown = storage.consume();
    REQUIRE(shown.size() == 2);
    CHECK(shown[0].text == "one");
    CHECK(shown[1].text == "two");
    storage.error("after showing");
    storage.update();
  }
  auto storage = sessions::messages::session_messages(session);
  const auto& left = storage.consume();
  REQUIRE(left.size() == 1);
  CHECK(left[0].text == "after showing");
}

TEST_CASE("messages: the cookie storage reads Django's cookie and writes it byte for byte", "[messages][cookie]") {
  for (const std::string_view vector : {django_vectors::cookie_messages, django_vectors::cookie_compressed}) {
    const sessions::ManualClock clock = clock_of(vector);
    CookieOptions options;
    options.version = DjangoVersion::v3_2;
    options.clock = sessions::Clock(clock);
    auto storage = cookie_messages(std::string(vector), options);
    const std::vector<Message> got = storage.peek();
    REQUIRE(!got.empty());
    CHECK(storage.backend().encode(got, false) == vector);
  }
  auto storage = cookie_messages(std::string(django_vectors::cookie_messages));
  const auto got = storage.consume();
  REQUIRE(got.size() == 3);
  CHECK(got[1].text == "Wrong \"password\" \xc3\xa9");
  storage.update();
  CHECK(storage.backend().cookie_update().action == CookieUpdate::Action::remove);
}

TEST_CASE("messages: a tampered or foreign cookie is no messages and is deleted", "[messages][cookie]") {
  std::string tampered(django_vectors::cookie_messages);
  tampered[5] = tampered[5] == 'a' ? 'b' : 'a';
  for (const std::string& cookie : {tampered, std::string("garbage"), std::string("")}) {
    auto storage = cookie_messages(cookie);
    CHECK(storage.size() == 0);
    storage.update();
    const auto expected = cookie.empty() ? CookieUpdate::Action::keep : CookieUpdate::Action::remove;
    CHECK(storage.backend().cookie_update().action == expected);
  }
  auto other_key = CookieMessages(CookieBackend(std::string(django_vectors::cookie_messages), "another key"));
  CHECK(other_key.size() == 0);
  // Django 5.0+ verifies with SECRET_KEY_FALLBACKS.
  CookieOptions rotated;
  rotated.fallback_keys = {std::string(django_vectors::secret)};
  auto with_fallback = CookieMessages(CookieBackend(std::string(django_vectors::cookie_messages), "new key", rotated));
  CHECK(with_fallback.size() == 3);
}

TEST_CASE("messages: an oversized cookie drops the oldest and marks the list unfinished", "[messages][cookie]") {
  auto storage = cookie_messages(std::nullopt);
  for (int i = 0; i < 60; ++i) {
    storage.info("message " + std::to_string(i) + " " + noise(i, 40));
  }
  const auto unstored = storage.update();
  const CookieUpdate& update = storage.backend().cookie_update();
  REQUIRE(update.action == CookieUpdate::Action::set);
  CHECK(update.value.size() <= sessions::messages::default_max_cookie_size);
  REQUIRE(!unstored.empty());
  CHECK(unstored.front().text.starts_with("message 0 "));  // the oldest went first
  auto next = cookie_messages(update.value);
  const auto kept = next.peek();
  REQUIRE(!kept.empty());
  CHECK(kept.back().text.starts_with("message 59 "));
  CHECK(kept.size() + unstored.size() == 60);
  CHECK(next.backend().load().all_retrieved == false);
  // Django's own unfinished list.
  auto django = cookie_messages(std::string(django_vectors::cookie_unfinished));
  CHECK(django.backend().load().all_retrieved == false);
  CHECK(django.size() == 1);
}

TEST_CASE("messages: the fallback storage overflows into the session and reads both in order", "[messages][fallback]") {
  sessions::MemoryStore store;
  MessagesSession session{store};
  std::string cookie;
  {
    auto storage = sessions::messages::fallback_messages(CookieBackend(std::nullopt, django_vectors::secret), session);
    for (int i = 0; i < 60; ++i) storage.info("message " + std::to_string(i) + " " + noise(i, 40));
    CHECK(storage.update().empty());  // nothing lost
    cookie = storage.backend().cookie_update().value;
    CHECK(session.contains("_messages"));
  }
  {
    auto storage = sessions::messages::fallback_messages(CookieBackend(cookie, django_vectors::secret), session);
    const auto& all = storage.consume();
    REQUIRE(all.size() == 60);
    for (int i = 0; i < 60; ++i)
      CHECK(all[static_cast<std::size_t>(i)].text.starts_with("message " + std::to_string(i) + " "));
    storage.update();
    CHECK(storage.backend().cookie_update().action == CookieUpdate::Action::remove);
    CHECK_FALSE(session.contains("_messages"));
  }
}

TEST_CASE("messages: Django 3.2 drops empty extra tags, current Django keeps them", "[messages]") {
  const std::vector<Message> one{Message{20, "hi", "", false}};
  CHECK(sessions::messages::detail::encode(one, false, false, DjangoVersion::v3_2) ==
        R"([["__json_message",0,20,"hi"]])");
  CHECK(sessions::messages::detail::encode(one, false, false, DjangoVersion::current) ==
        R"([["__json_message",0,20,"hi",""]])");
}
