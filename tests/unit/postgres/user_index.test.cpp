// The shared per-user index suite (support/user_index_suite.inc) against PostgresStore (the side
// table beside Django's, an advisory lock per user for the limit), and what is particular to it.

#include <sessions/serializer/django_signed.hpp>
#include <sessions/user_indexed.hpp>

#include "postgres_support.hpp"

namespace test_support {

// The plain fixture's table and options, with the store wrapped (`store` hides the plain one); the
// side table is dropped with it.
template <>
struct StoreFixture<sessions::UserIndexed<sessions::PostgresStore>> : StoreFixture<sessions::PostgresStore> {
  sessions::UserIndexed<sessions::PostgresStore> store{options()};

  StoreFixture() = default;
  StoreFixture(const StoreFixture&) = delete;
  StoreFixture& operator=(const StoreFixture&) = delete;
  ~StoreFixture() {
    try {
      postgres_test::Raw(url).exec("DROP TABLE IF EXISTS \"" + table + "_user_index\"");
    } catch (...) {  // the server may be down after a fault test; it is thrown away anyway
    }
  }
};

}  // namespace test_support

#define INDEX_STORES sessions::PostgresStore
// Each entry is a round trip or four: 2,000 keep the test within a second or two.
#define INDEX_MASS_USERS 2000

#include "support/user_index_suite.inc"

TEST_CASE("PostgresStore: the index is a side table; Django's table keeps its three columns",
          "[postgres][user_index]") {
  IndexEnv<sessions::PostgresStore> env;
  env.login("42");
  postgres_test::Raw raw(env.url);
  CHECK(raw.one("SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns "
                "WHERE table_name = $1",
                {env.table}) == "session_key,session_data,expire_date");
  CHECK(raw.one("SELECT count(*) FROM \"" + env.table + "_user_index\" WHERE user_id = '42'") == "1");
  CHECK(raw.one("SELECT count(*) FROM pg_indexes WHERE tablename = $1", {env.table + "_user_index"}) == "3");
}

TEST_CASE("PostgresStore: a session written as Django writes it, with _auth_user_id, is listed after reindex",
          "[postgres][user_index][django]") {
  IndexEnv<sessions::PostgresStore> env;
  const std::string secret = "django-insecure-test-key-for-the-index";
  const sessions::DjangoSignedSerializer django(secret);
  // Django's db backend: INSERT of encode(session_dict), the same bytes DjangoSignedSerializer makes.
  const std::string key = sessions::generate_session_key(env.settings.random);
  const std::string data = django.dumps(
      sessions::Data{{"_auth_user_id", "99"}, {"_auth_user_backend", "django.contrib.auth.backends.ModelBackend"}});
  postgres_test::Raw raw(env.url);
  raw.exec(
      "INSERT INTO \"" + env.table + "\" (session_key, session_data, expire_date) VALUES ($1, $2, $3::timestamptz)",
      {key, data, sessions::detail::sql::format_utc(env.clock.now() + 1h) + "+00"});
  raw.exec("INSERT INTO \"" + env.table +
               "\" (session_key, session_data, expire_date) VALUES ($1, 'tampered', $2::timestamptz)",
           {sessions::generate_session_key(env.settings.random),
            sessions::detail::sql::format_utc(env.clock.now() + 1h) + "+00"});
  CHECK(env.listed("99").empty());
  const auto result = sessions::reindex(env.store, django, env.clock.now());
  CHECK(result.indexed == 1);
  CHECK(result.skipped == 1);
  CHECK(env.keys_of("99") == std::vector<std::string>{key});
}
