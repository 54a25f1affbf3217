// The shared per-user index suite (support/user_index_suite.inc) against FileStore (an index
// directory beside the session files), and what is particular to it.

#include "support/fixtures.hpp"

#include <sessions/user_indexed.hpp>

namespace test_support {

template <>
struct StoreFixture<sessions::UserIndexed<sessions::FileStore>> : FixtureBase {
  TempDir dir;
  sessions::UserIndexed<sessions::FileStore> store{
      sessions::FileStore::options_from_settings(configure(settings, dir))};
  static const sessions::Settings& configure(sessions::Settings& s, const TempDir& d) {
    s.file_path = d.path;
    return s;
  }
};

}  // namespace test_support

#define INDEX_STORES sessions::FileStore
// A few files per entry: 300 keep the test short (it is the index logic of the other stores).
#define INDEX_MASS_USERS 300

#include "support/user_index_suite.inc"

TEST_CASE("FileStore: a user id becomes a path only as its hash; odd user ids are indexed and listed",
          "[file][user_index]") {
  test_support::StoreFixture<sessions::UserIndexed<sessions::FileStore>> env;
  const auto now = env.clock.now();
  const std::string odd = std::string("../../etc/passwd\n\0x", 20) + std::string(300, 'u');
  const std::string key = sessions::generate_session_key(env.settings.random);
  REQUIRE(env.store.create(key, "{}", now + std::chrono::hours{1}));
  env.store.index_session(odd, key,
                          sessions::SessionDetails{now, now, now + std::chrono::hours{1}, "agent\nwith newline", {}},
                          sessions::UserSessionLimit{});
  const auto listed = env.store.user_sessions(odd, now);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].key == key);
  CHECK(listed[0].details.user_agent == "agent\nwith newline");
  // Nothing was created outside the store's directory.
  std::size_t outside = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(env.dir.path)) {
    if (entry.path().string().find("..") != std::string::npos) ++outside;
  }
  CHECK(outside == 0);
  CHECK(env.store.user_sessions("../../etc/passwd", now).empty());
}
