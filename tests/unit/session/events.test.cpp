// Session events (Settings::on_event): each transition told once, with the store, the reason,
// the user and never more of the key than its loggable prefix.

#include <chrono>
#include <string>
#include <vector>

#include "support/catch.hpp"
#include "support/fixtures.hpp"

namespace {

struct Told {
  sessions::SessionEventKind kind;
  std::string reason;
  std::string store;
  std::string key_prefix;
  std::string user_id;
};

struct EventLog {
  std::vector<Told> events;

  sessions::EventHook hook() {
    return sessions::EventHook(
        [](void* self, const sessions::SessionEvent& e) {
          static_cast<EventLog*>(self)->events.push_back(Told{e.kind, std::string(e.reason), std::string(e.store),
                                                              std::string(e.key_prefix), std::string(e.user_id)});
        },
        this);
  }

  [[nodiscard]] std::vector<sessions::SessionEventKind> kinds() const {
    std::vector<sessions::SessionEventKind> out;
    for (const Told& t : events) out.push_back(t.kind);
    return out;
  }
};

using Kind = sessions::SessionEventKind;
using Kinds = std::vector<Kind>;

}  // namespace

TEMPLATE_TEST_CASE("events: a server session's life, each transition told once", "[events]", sessions::MemoryStore,
                   sessions::MemoryValueStore, sessions::FileStore) {
  test_support::StoreFixture<TestType> env;
  EventLog log;
  env.settings.on_event = log.hook();
  using SessionT = sessions::Session<TestType>;
  const std::string store_name(sessions::detail::store_name<TestType>());
  CHECK(store_name != "store");

  std::string key;
  {
    SessionT s{env.store, env.settings};
    s.set("_auth_user_id", "42");
    s.save();
    key = *s.session_key();
  }
  REQUIRE(log.kinds() == Kinds{Kind::created});
  CHECK(log.events[0].store == store_name);
  CHECK(log.events[0].user_id == "42");
  CHECK(log.events[0].key_prefix == key.substr(0, 6));  // never the whole key

  SECTION("save, cycle_key, flush") {
    SessionT s{env.store, key, env.settings};
    s.set("n", 1);
    s.save();
    s.cycle_key();
    const std::string cycled = *s.session_key();
    CHECK(cycled != key);
    s.flush();
    REQUIRE(log.kinds() == Kinds{Kind::created, Kind::saved, Kind::key_cycled, Kind::destroyed});
    CHECK(log.events[2].key_prefix == cycled.substr(0, 6));
    CHECK(log.events[3].reason == "flush");
    CHECK(log.events[3].user_id == "42");  // told as it was before flush emptied the data
    for (const Told& t : log.events) CHECK(t.key_prefix.size() <= 6);
  }

  SECTION("delete, then a request with the deleted key finds it missing") {
    {
      SessionT s{env.store, key, env.settings};
      s.destroy();
    }
    REQUIRE(log.kinds() == Kinds{Kind::created, Kind::destroyed});
    CHECK(log.events[1].reason == "delete");
    CHECK(log.events[1].user_id.empty());  // the data was never read: nothing loaded for an event
    SessionT late{env.store, key, env.settings};
    CHECK(late.get("_auth_user_id").is_null());
    CHECK(late.get("_auth_user_id").is_null());  // a second read tells nothing more
    REQUIRE(log.kinds() == Kinds{Kind::created, Kind::destroyed, Kind::missing});
  }

  SECTION("deleting another session's key names that key's prefix") {
    SessionT other{env.store, env.settings};
    other.destroy(key);
    REQUIRE(log.kinds() == Kinds{Kind::created, Kind::destroyed});
    CHECK(log.events[1].key_prefix == key.substr(0, 6));
    CHECK_FALSE(env.store.exists(key));
  }

  SECTION("an expired session is missing for the store (it drops expired records itself)") {
    env.clock.advance(env.settings.cookie_age + std::chrono::seconds(1));
    SessionT s{env.store, key, env.settings};
    CHECK(s.keys().empty());
    REQUIRE(log.kinds() == Kinds{Kind::created, Kind::missing});
  }

  SECTION("reading and saving unchanged data tells saved once per save, nothing for reads") {
    SessionT s{env.store, key, env.settings};
    CHECK(s.get("_auth_user_id") == "42");
    s.save();
    REQUIRE(log.kinds() == Kinds{Kind::created, Kind::saved});
    CHECK(log.events[1].user_id == "42");
  }
}

TEST_CASE("events: a numeric _auth_user_id is told as text, anything else as no user", "[events]") {
  test_support::StoreFixture<sessions::MemoryStore> env;
  EventLog log;
  env.settings.on_event = log.hook();
  sessions::Session<sessions::MemoryStore> s{env.store, env.settings};
  s.set("_auth_user_id", 7);
  s.save();
  s.set("_auth_user_id", sessions::Data::array({1}));
  s.save();
  REQUIRE(log.events.size() == 2);
  CHECK(log.events[0].user_id == "7");
  CHECK(log.events[1].user_id.empty());
}

TEST_CASE("events: corrupted and oversized records are rejected", "[events]") {
  test_support::StoreFixture<sessions::MemoryStore> env;
  EventLog log;
  env.settings.on_event = log.hook();
  const std::string key = "abcdefgh12345678abcdefgh12345678";
  const auto later = env.clock.now() + std::chrono::hours(1);

  SECTION("undecodable") {
    REQUIRE(env.store.create(key, std::string("{not json"), later));
    sessions::Session<sessions::MemoryStore> s{env.store, key, env.settings};
    CHECK(s.load().empty());  // Django's load(): reads without adopting, tells nothing
    CHECK(s.keys().empty());
    REQUIRE(log.kinds() == Kinds{Kind::rejected});
    CHECK(log.events[0].reason == "data corrupted");
    CHECK(log.events[0].key_prefix == "abcdef");
  }
  SECTION("over max_keys") {
    env.settings.max_keys = 1;
    REQUIRE(env.store.create(key, std::string(R"({"a":1,"b":2})"), later));
    sessions::Session<sessions::MemoryStore> s{env.store, key, env.settings};
    CHECK(s.keys().empty());
    REQUIRE(log.kinds() == Kinds{Kind::rejected});
    CHECK(log.events[0].reason == "over a limit");
  }
}

TEST_CASE("events: lost-update protection tells the conflict it refuses", "[events]") {
  test_support::StoreFixture<sessions::MemoryStore> env;
  EventLog log;
  env.settings.on_event = log.hook();
  env.settings.lost_update = sessions::LostUpdate::fail;
  sessions::Session<sessions::MemoryStore> first{env.store, env.settings};
  first.set("n", 0);
  first.save();
  const std::string key = *first.session_key();
  sessions::Session<sessions::MemoryStore> a{env.store, key, env.settings};
  sessions::Session<sessions::MemoryStore> b{env.store, key, env.settings};
  CHECK(a.get("n") == 0);
  CHECK(b.get("n") == 0);
  a.set("n", 1);
  a.save();
  b.set("n", 2);
  CHECK_THROWS_AS(b.save(), sessions::ConflictError);
  REQUIRE(log.kinds() == Kinds{Kind::created, Kind::saved, Kind::conflict});
}

TEST_CASE("events: a signed-cookie session", "[events]") {
  test_support::StoreFixture<sessions::SignedCookieStore> env;
  EventLog log;
  env.settings.on_event = log.hook();
  using SessionT = sessions::Session<sessions::SignedCookieStore>;
  std::string cookie;
  {
    SessionT s{env.store, env.settings};
    s.set("_auth_user_id", "5");
    s.save();
    cookie = *s.session_key();
  }
  REQUIRE(log.kinds() == Kinds{Kind::created});
  CHECK(log.events[0].store == "SignedCookieStore");
  CHECK(log.events[0].user_id == "5");

  SECTION("cycled, then flushed") {
    SessionT s{env.store, cookie, env.settings};
    s.cycle_key();
    s.flush();
    REQUIRE(log.kinds() == Kinds{Kind::created, Kind::key_cycled, Kind::destroyed});
    CHECK(log.events[2].user_id == "5");
  }
  SECTION("a cookie past its age is expired") {
    env.clock.advance(env.settings.cookie_age + std::chrono::seconds(1));
    SessionT s{env.store, cookie, env.settings};
    CHECK(s.keys().empty());
    REQUIRE(log.kinds() == Kinds{Kind::created, Kind::expired});
    CHECK(log.events[1].reason == "signature expired");
  }
  SECTION("a tampered cookie is rejected") {
    std::string tampered = cookie;
    tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
    SessionT s{env.store, tampered, env.settings};
    CHECK(s.load().empty());  // read without adopting: told once, by the session's own load below
    CHECK(s.keys().empty());
    REQUIRE(log.kinds() == Kinds{Kind::created, Kind::rejected});
  }
}
