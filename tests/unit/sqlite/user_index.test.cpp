// The shared per-user index suite (support/user_index_suite.inc) against SqliteStore (the side
// table beside Django's), and what is particular to it: Django's table unchanged, a session
// Django itself wrote listed after reindex.

#include <sessions/serializer/django_signed.hpp>
#include <sessions/user_indexed.hpp>

#include <stdio.h>

#include "sqlite_support.hpp"

namespace test_support {

// The plain fixture's file, options and checks, with the store wrapped (`store` hides the plain one).
template <>
struct StoreFixture<sessions::UserIndexed<sessions::SqliteStore>> : StoreFixture<sessions::SqliteStore> {
  sessions::UserIndexed<sessions::SqliteStore> store{options()};
};

}  // namespace test_support

#define INDEX_STORES sessions::SqliteStore
#define INDEX_MASS_USERS 10000

#include "support/user_index_suite.inc"

TEST_CASE("SqliteStore: the index is a side table; Django's table keeps its three columns", "[sqlite][user_index]") {
  IndexEnv<sessions::SqliteStore> env;
  env.login("42");
  sqlite_test::Raw raw(env.db_path);
  CHECK(raw.one("SELECT group_concat(name) FROM pragma_table_info('django_session')") ==
        "session_key,session_data,expire_date");
  CHECK(raw.one("SELECT count(*) FROM django_session_user_index WHERE user_id = '42'") == "1");
  CHECK(raw.one("SELECT group_concat(name) FROM pragma_index_list('django_session_user_index') WHERE name LIKE "
                "'django_session_uidx_%'") != "");
}

TEST_CASE("SqliteStore: a session Django 3.2 wrote with _auth_user_id is listed after reindex",
          "[sqlite][user_index][django]") {
  IndexEnv<sessions::SqliteStore> env;
  env.clock.set(sessions::TimePoint{} + std::chrono::seconds{std::time(nullptr)});  // Django uses the real time
  const std::string secret = "django-insecure-test-key-for-the-index";
  const std::string script =
      "/usr/bin/python3 -c \"import sys, django; from django.conf import settings; "
      "settings.configure(SECRET_KEY='" +
      secret +
      "', INSTALLED_APPS=['django.contrib.sessions'], USE_TZ=True, "
      "DATABASES={'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': sys.argv[1]}}); django.setup(); "
      "from django.contrib.sessions.backends.db import SessionStore; s = SessionStore(); "
      "s['_auth_user_id'] = '99'; s['_auth_user_backend'] = 'django.contrib.auth.backends.ModelBackend'; "
      "s.create(); print(s.session_key)\" " +
      env.db_path.string();
  FILE* pipe = ::popen(script.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char line[128] = {};
  const bool read = std::fgets(line, sizeof line, pipe) != nullptr;
  REQUIRE(::pclose(pipe) == 0);
  REQUIRE(read);
  std::string key(line);
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
  REQUIRE(key.size() == 32);
  CHECK(env.listed("99").empty());  // written behind the index's back
  const auto result = sessions::reindex(env.store, sessions::DjangoSignedSerializer(secret), env.clock.now());
  CHECK(result.indexed == 1);
  CHECK(result.skipped == 0);
  CHECK(env.keys_of("99") == std::vector<std::string>{key});
  // With another secret the record cannot be read: skipped and counted, not thrown.
  const auto wrong = sessions::reindex(env.store, sessions::DjangoSignedSerializer("another secret"), env.clock.now());
  CHECK(wrong.indexed == 0);
  CHECK(wrong.skipped == 1);
}
