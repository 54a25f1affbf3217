// The options added for findings of the security review (their regressions, which build on the
// code before the fixes, are in security_regressions.test.cpp).

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "support/catch.hpp"
#include "support/fixtures.hpp"

#include <sessions/sessions.hpp>

using sessions::cookie::DuplicateCookies;
using sessions::cookie::find_session_cookie;

TEST_CASE("find_session_cookie: last (Django), first, or none when the values differ") {
  const std::string_view header = "sessionid=A; other=x; sessionid=B; sessionid=C";
  CHECK(find_session_cookie(header, "sessionid", DuplicateCookies::last).value == "C");
  CHECK(find_session_cookie(header, "sessionid", DuplicateCookies::first).value == "A");
  const auto rejected = find_session_cookie(header, "sessionid", DuplicateCookies::reject);
  CHECK_FALSE(rejected.value.has_value());
  CHECK(rejected.conflicting);

  // The same value twice is no conflict, and a single cookie is found under every rule.
  for (const DuplicateCookies rule : {DuplicateCookies::last, DuplicateCookies::first, DuplicateCookies::reject}) {
    const auto same = find_session_cookie("sessionid=A; sessionid=A", "sessionid", rule);
    CHECK(same.value == "A");
    CHECK_FALSE(same.conflicting);
    CHECK(find_session_cookie("a=1; sessionid=Z", "sessionid", rule).value == "Z");
    CHECK_FALSE(find_session_cookie("a=1", "sessionid", rule).value.has_value());
  }
  // Only pairs within the bounds count: a later duplicate past max_pairs is not seen.
  CHECK(find_session_cookie(header, "sessionid", DuplicateCookies::last, 8192, 2).value == "A");
}

TEST_CASE("Settings::duplicate_cookies: `first` and `reject` in the middleware, with a warning logged") {
  test_support::LogCapture log;
  sessions::MemoryStore store;
  sessions::Settings settings;
  settings.logger = log.logger();
  using SessionT = sessions::Session<sessions::MemoryStore>;
  const sessions::Middleware<SessionT> middleware{store, settings};
  SessionT login = middleware.open("");
  login.set("user", 42);
  (void)middleware.finish(login, 200);
  const std::string key = *login.session_key();
  const std::string header = "sessionid=" + key + "; sessionid=plantedplantedplantedplanted1234";

  settings.duplicate_cookies = DuplicateCookies::first;
  CHECK(middleware.open(header).get("user", 0) == 42);
  CHECK(log.contains("several different session cookies"));

  settings.duplicate_cookies = DuplicateCookies::reject;
  SessionT rejected = middleware.open(header);
  CHECK_FALSE(rejected.session_key().has_value());
  CHECK(rejected.get("user", 0) == 0);
  // Nothing received, so nothing deleted: the planted cookie is not ours to delete.
  for (const auto& header_field : middleware.finish(rejected, 200)) CHECK(header_field.name != "Set-Cookie");

  // Identical duplicates are not ambiguous.
  CHECK(middleware.open("sessionid=" + key + "; sessionid=" + key).get("user", 0) == 42);
}

// --- The cache of verified cookies and the cookie stores' bounds on parsed data ---------------

namespace {
sessions::Data empty_arrays(std::size_t n) {
  sessions::Data data = sessions::Data::object();
  data["a"] = sessions::Data::array();
  for (std::size_t i = 0; i < n; ++i) data["a"].push_back(sessions::Data::array());
  return data;
}
}  // namespace

TEST_CASE("VerifiedCache: bounded by the bytes it holds, refuses entries over max_entry_bytes") {
  using sessions::signing::VerifiedCache;
  VerifiedCache cache{64, 16'000, 6'000};
  CHECK(cache.max_entry_bytes() == 6'000);
  const auto entry = [](std::size_t arrays) {
    return VerifiedCache::Entry{std::make_shared<const sessions::Data>(empty_arrays(arrays)), 0};
  };
  CHECK_FALSE(cache.insert("too-big", entry(1'000)));  // ~50 KB measured
  CHECK_FALSE(cache.find("too-big").has_value());
  CHECK(cache.bytes() == 0);
  for (int i = 0; i < 200; ++i) {
    CHECK(cache.insert("value-" + std::to_string(i), entry(40)));
    CHECK(cache.bytes() <= 16'000);
  }
  CHECK(cache.bytes() > 0);
  CHECK(cache.find("value-199").has_value());  // the newest is kept
  cache.clear();
  CHECK(cache.bytes() == 0);

  // The measure: more arrays, more bytes; it stops soon after the limit.
  const std::size_t small = sessions::detail::bounded_memory_size(empty_arrays(10), 1 << 30);
  const std::size_t large = sessions::detail::bounded_memory_size(empty_arrays(10'000), 1 << 30);
  CHECK(small < large);
  CHECK(large > 10'000 * 32);  // at least a node and a heap block per empty array
  CHECK(sessions::detail::bounded_memory_size(empty_arrays(10'000), 1'000) > 1'000);
  CHECK(sessions::detail::bounded_memory_size(empty_arrays(10'000), 1'000) < large);  // stopped early
}

TEST_CASE("cookie stores never encode a session their decode() would refuse") {
  sessions::Settings settings;
  const sessions::TimePoint now{std::chrono::seconds{1'700'000'000}};
  const sessions::Data huge = empty_arrays(21'000);  // 63 KB of JSON, a few hundred bytes compressed, ~1 MB parsed

  sessions::SignedCookieStore signed_store{"secret-key-for-the-options-tests-0123456789"};
  CHECK_THROWS_AS(signed_store.encode(huge, settings, now), sessions::LimitExceeded);
  sessions::SignedCookieStore::Options small_text{"secret-key-for-the-options-tests-0123456789"};
  small_text.max_decompressed_size = 1'000;
  const sessions::SignedCookieStore small_text_store{small_text};
  const sessions::Data long_text{{"s", std::string(5'000, 'x')}};  // compresses to a short cookie
  CHECK_THROWS_AS(small_text_store.encode(long_text, settings, now), sessions::LimitExceeded);
  CHECK_NOTHROW(signed_store.encode(long_text, settings, now));

  const sessions::EncryptedCookieStore encrypted{"secret-key-for-the-options-tests-0123456789"};
  CHECK_THROWS_AS(encrypted.encode(huge, settings, now), sessions::LimitExceeded);
  // A cookie written without the bound (another configuration, the same secret) is refused.
  sessions::EncryptedCookieStore::Options unbounded{"secret-key-for-the-options-tests-0123456789"};
  unbounded.max_decoded_bytes = 0;
  const std::string cookie = sessions::EncryptedCookieStore{unbounded}.encode(huge, settings, now);
  CHECK_THROWS_AS(encrypted.decode(cookie, settings, now), sessions::LimitExceeded);

  // Through a Session: save() says LimitExceeded, and the session is not lost on the way.
  sessions::Session<sessions::SignedCookieStore> session{signed_store, settings};
  session.set("a", huge["a"]);
  CHECK_THROWS_AS(session.save(), sessions::LimitExceeded);
}
