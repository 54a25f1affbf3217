// HashedKeys<Inner>: the mapping (known answers computed with Python's hashlib/hmac), what reaches
// the inner store (never the plain key: not in a MemoryStore, not in a file name or file of a
// FileStore), forwarding of every operation including the optional update_if, and the pepper.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "hashed_keys_support.hpp"
#include "support/catch.hpp"

using namespace std::chrono_literals;
using sessions::HashedKeys;
using sessions::MemoryStore;

namespace {

constexpr std::string_view kKey = "abcdefghijklmnopqrstuvwxyz012345";

// A store with the optional compare-and-set operation, to see it forwarded with the hashed key.
// (Not atomic, unlike the library's stores: only the forwarding is under test.)
struct CasMemoryStore : MemoryStore {
  std::string last_key;
  std::string last_expected;
  sessions::CasResult update_if(std::string_view key, const std::string& payload, sessions::TimePoint t,
                                const std::string& expected) {
    last_key = std::string(key);
    last_expected = expected;
    const auto current = load(key);
    if (!current) return sessions::CasResult::missing;
    if (current->payload != expected) return sessions::CasResult::conflict;
    return update(key, payload, t) ? sessions::CasResult::written : sessions::CasResult::missing;
  }
};

template <class S>
concept HasUpdateIf = sessions::CasStorage<S>;

std::string file_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

static_assert(sessions::ByteStorage<HashedKeys<MemoryStore>>);
static_assert(sessions::ByteStorage<HashedKeys<sessions::FileStore>>);
static_assert(sessions::ValueStorage<HashedKeys<sessions::MemoryValueStore>>);
static_assert(sessions::ByteStorage<HashedKeys<HashedKeys<MemoryStore>>>);  // decorators compose
// The capability follows the inner store's, both ways.
static_assert(HasUpdateIf<HashedKeys<CasMemoryStore>>);
static_assert(HasUpdateIf<HashedKeys<MemoryStore>> == HasUpdateIf<MemoryStore>);
static_assert(HasUpdateIf<HashedKeys<sessions::FileStore>> == HasUpdateIf<sessions::FileStore>);

TEST_CASE("HashedKeys: the stored key is SHA-256 in base 36, 40 characters, a valid key", "[hashed_keys]") {
  MemoryStore inner;
  HashedKeys<MemoryStore> store(inner);
  // Python: int.from_bytes(sha256(key).digest(), 'big') % 36**40 in the alphabet a-z0-9 (a = 0).
  CHECK(store.stored_key(kKey) == "d5ekqd29mdy660pgm9jvx23eyhtdyw1c47g64qja");
  CHECK(sessions::detail::hashed_keys::base36_40(sessions::crypto::Sha256Digest{}) == std::string(40, 'a'));
  sessions::crypto::Sha256Digest ones{};
  ones.fill(0xff);
  CHECK(sessions::detail::hashed_keys::base36_40(ones) == "wcdix1d65zasmh0jj6adftw8cs6hsgxedndht3yp");

  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string key = sessions::generate_session_key();
    const std::string stored = store.stored_key(key);
    CHECK(stored.size() == 40);
    CHECK(sessions::is_valid_session_key(stored));
    CHECK(stored != key);
    CHECK(stored == store.stored_key(key));  // deterministic: a pure mapping
    seen.insert(stored);
  }
  CHECK(seen.size() == 1000);
}

TEST_CASE("HashedKeys: with a pepper the stored key is HMAC-SHA256(pepper, key)", "[hashed_keys]") {
  MemoryStore inner;
  HashedKeys<MemoryStore> peppered(inner, {"pepper"});
  HashedKeys<MemoryStore> other(inner, {"another pepper"});
  HashedKeys<MemoryStore> plain(inner);
  CHECK(peppered.stored_key(kKey) == "iu6pn5hjsaqgy5q5gy287oy9id1tquhwyzyinz04");
  CHECK(other.stored_key(kKey) != peppered.stored_key(kKey));
  CHECK(plain.stored_key(kKey) != peppered.stored_key(kKey));

  // A session written under one pepper is not found under another (rotation orphans sessions).
  REQUIRE(peppered.create(kKey, "data", std::chrono::system_clock::now() + 1h));
  CHECK(peppered.exists(kKey));
  CHECK_FALSE(other.exists(kKey));
  CHECK_FALSE(plain.exists(kKey));
}

TEST_CASE("HashedKeys: the inner store never sees the plain key; every operation is forwarded", "[hashed_keys]") {
  sessions::ManualClock clock;
  MemoryStore inner{sessions::Clock(clock)};
  HashedKeys<MemoryStore> store(inner);
  const std::string stored = store.stored_key(kKey);
  const auto t = clock.now() + 1h;

  REQUIRE(store.create(kKey, "v1", t));
  CHECK_FALSE(inner.exists(kKey));
  CHECK(inner.exists(stored));
  CHECK(inner.size() == 1);
  CHECK(inner.load(stored)->payload == "v1");   // the payload passes through untouched
  CHECK_FALSE(store.create(kKey, "v1bis", t));  // no overwrite of a live record

  CHECK(store.load(kKey)->payload == "v1");
  CHECK(store.update(kKey, "v2", t));
  CHECK(inner.load(stored)->payload == "v2");
  CHECK(store.touch(kKey, t + 1h));
  CHECK(inner.load(stored)->expires_at == t + 1h);
  CHECK(store.exists(kKey));
  store.remove(kKey);
  CHECK_FALSE(inner.exists(stored));
  CHECK_FALSE(store.update(kKey, "v3", t));  // never resurrects
  CHECK_FALSE(store.touch(kKey, t));

  REQUIRE(store.create(kKey, "short", clock.now() + 10s));
  clock.advance(11s);
  CHECK(store.clear_expired() == 1);
  CHECK(inner.size() == 0);
  CHECK(&store.inner() == &inner);
}

TEST_CASE("HashedKeys: a whole session through the middleware leaves only hashed keys in a FileStore",
          "[hashed_keys]") {
  test_support::TempDir dir;
  sessions::Settings settings;
  settings.file_path = dir.path;
  sessions::FileStore files(sessions::FileStore::options_from_settings(settings));
  HashedKeys<sessions::FileStore> store(files);
  sessions::Middleware<sessions::Session<HashedKeys<sessions::FileStore>>> middleware(store, settings);

  std::vector<std::string> keys;
  for (int i = 0; i < 5; ++i) {
    auto session = middleware.open("");
    session.set("user", "user" + std::to_string(i));
    (void)middleware.finish(session, 200);
    keys.push_back(*session.session_key());
  }
  // Login: cycle_key moves the data to a new key, the old record goes.
  {
    auto session = middleware.open("sessionid=" + keys[0]);
    session.cycle_key();
    session.set("logged_in", true);
    (void)middleware.finish(session, 200);
    keys.push_back(*session.session_key());
    CHECK_FALSE(files.exists(store.stored_key(keys[0])));
  }

  std::set<std::string> names;
  std::string all_content;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path)) {
    names.insert(entry.path().filename().string());
    if (entry.is_regular_file()) all_content += file_text(entry.path());
  }
  for (const std::string& key : keys) {
    INFO(key);
    for (const std::string& name : names) CHECK(name.find(key) == std::string::npos);
    CHECK(all_content.find(key) == std::string::npos);
  }
  for (std::size_t i = 1; i < keys.size(); ++i) {
    CHECK(names.count("sessionid" + store.stored_key(keys[i])) == 1);
    auto again = middleware.open("sessionid=" + keys[i]);  // the cookie still opens the session
    CHECK_FALSE(again.data().empty());
  }
  // A stolen stored name is no session key: presented as a cookie it opens nothing.
  auto thief = middleware.open("sessionid=" + store.stored_key(keys[1]));
  CHECK(thief.data().empty());
  CHECK_FALSE(thief.session_key().has_value());  // the unknown key is not adopted
}

TEST_CASE("HashedKeys: update_if is forwarded with the hashed key when the inner store has it", "[hashed_keys]") {
  CasMemoryStore inner;
  HashedKeys<CasMemoryStore> store(inner);
  const auto t = std::chrono::system_clock::now() + 1h;
  REQUIRE(store.create(kKey, "v1", t));
  CHECK(store.update_if(kKey, "v2", t, "v1") == sessions::CasResult::written);
  CHECK(inner.last_key == store.stored_key(kKey));
  CHECK(inner.last_expected == "v1");
  CHECK(store.update_if(kKey, "v3", t, "v1") == sessions::CasResult::conflict);
  CHECK(store.load(kKey)->payload == "v2");
  store.remove(kKey);
  CHECK(store.update_if(kKey, "v4", t, "v2") == sessions::CasResult::missing);
  CHECK_FALSE(inner.exists(store.stored_key(kKey)));
}

TEST_CASE("HashedKeys: threads share one peppered decorator", "[hashed_keys]") {
  MemoryStore inner;
  HashedKeys<MemoryStore> store(inner, {"pepper"});
  const std::string expected = store.stored_key(kKey);
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      for (int n = 0; n < 500; ++n) {
        if (store.stored_key(kKey) != expected) ++mismatches;
        const std::string key = sessions::generate_session_key();
        if (!store.create(key, std::to_string(i), std::chrono::system_clock::now() + 1h)) ++mismatches;
        if (!store.load(key) || store.load(key)->payload != std::to_string(i)) ++mismatches;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(mismatches == 0);
  CHECK(inner.size() == 2000);
}
