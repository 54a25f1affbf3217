// DjangoSignedSerializer: server stores holding Django's session_data format.

#include "support/catch.hpp"
#include "support/fixtures.hpp"

using sessions::Data;

TEST_CASE("DjangoSignedSerializer writes Django's session_data and reads it back", "[serializer]") {
  test_support::StoreFixture<sessions::FileStore> env;
  const sessions::DjangoSignedSerializer serializer{"django secret"};
  using SessionT = sessions::Session<sessions::FileStore, sessions::DjangoSignedSerializer>;
  SessionT session{env.store, env.settings, serializer};
  session.set("user", 42);
  session.set("name", "Zo\u00eb \U0001F600");
  session.save();
  const std::string key = *session.session_key();

  // The file holds what Django's file backend writes: a signed, ASCII-only blob that Django's
  // loads with the SessionStore salt and no max_age opens.
  const auto record = env.store.load(key);
  REQUIRE(record);
  for (const char c : record->payload) CHECK(static_cast<unsigned char>(c) < 0x80);
  CHECK(sessions::signing::loads(record->payload, "django secret", sessions::kDjangoSessionStoreSalt) ==
        Data{{"user", 42}, {"name", "Zo\u00eb \U0001F600"}});

  SessionT again{env.store, key, env.settings, serializer};
  CHECK(again.get("user", 0) == 42);
  CHECK(again.get("name", "") == "Zo\u00eb \U0001F600");
}

TEST_CASE("DjangoSignedSerializer: data signed with another key reads as an empty session", "[serializer]") {
  test_support::StoreFixture<sessions::FileStore> env;
  using SessionT = sessions::Session<sessions::FileStore, sessions::DjangoSignedSerializer>;
  SessionT session{env.store, env.settings, sessions::DjangoSignedSerializer{"key one"}};
  session.set("user", 42);
  session.save();
  SessionT other{env.store, *session.session_key(), env.settings, sessions::DjangoSignedSerializer{"key two"}};
  CHECK(other.data().empty());
  CHECK(env.log.contains("Session data corrupted"));
  SessionT rotated{env.store, *session.session_key(), env.settings,
                   sessions::DjangoSignedSerializer{"key two", {"key one"}}};
  CHECK(rotated.get("user", 0) == 42);
}

TEST_CASE("DjangoSignedSerializer: unchanged data is not rewritten though signatures differ", "[serializer]") {
  test_support::FixtureBase base;
  example::MapStore store{sessions::Clock(base.clock)};
  const sessions::DjangoSignedSerializer serializer{"django secret"};
  using SessionT = sessions::Session<example::MapStore, sessions::DjangoSignedSerializer>;
  SessionT session{store, base.settings, serializer};
  session.set("n", 1);
  session.save();
  REQUIRE(store.writes() == 1);
  SessionT again{store, *session.session_key(), base.settings, serializer};
  again.set("n", 1);
  again.save();
  CHECK(store.writes() == 1);
  again.set("n", 2);
  again.save();
  CHECK(store.writes() == 2);
}
