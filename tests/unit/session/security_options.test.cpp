// The options added for findings of the security review (their regressions, which build on the
// code before the fixes, are in security_regressions.test.cpp).

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
