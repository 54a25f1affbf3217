#pragma once
// What an adapter must do, checked over HTTP the same way for every server whose routes keep this
// contract (the POCO and Pistache tests' servers do):
//
//   /       counts a visit in the session ("num_visits") and answers 200 "Visits: N"
//   /vary   the same, the handler having set `Vary: Accept-Encoding` and a cookie `theme=dark`
//   /fail   counts a visit and answers 503
//   /race   counts a visit, deletes the session from the store meanwhile (a concurrent logout),
//           and sets a cookie `theme=dark`
//   /form   reads the whole request body, counts a visit, answers "body: [BODY], Visits: N"

#include <sessions/sessions.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "support/catch.hpp"
#include "unit/adapters/http_client.hpp"
#include "unit/adapters/raw_request.hpp"

namespace adapters_test {

// A new visitor gets Django's cookie, the cookie brings the session back, another browser has a
// session of its own, and a tampered cookie starts a new session.
inline void check_counter_and_cookie(int port, sessions::MemoryStore& store) {
  Browser browser{port};
  for (int expected = 1; expected <= 3; ++expected) {
    const Reply reply = browser.get("/");
    CHECK(reply.status == 200);
    CHECK(reply.body == "Visits: " + std::to_string(expected));
    CHECK(reply.vary == std::vector<std::string>{"Cookie"});
    REQUIRE(reply.set_cookies.size() == 1);
    const std::string& cookie = reply.set_cookies.front();
    CHECK(cookie.rfind("sessionid=" + *browser.session_cookie + "; expires=", 0) == 0);
    CHECK(cookie.find("; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax") != std::string::npos);
    CHECK(cookie.find("Secure") == std::string::npos);  // plain HTTP
  }
  REQUIRE(browser.session_cookie);
  CHECK(store.exists(*browser.session_cookie));
  Browser other{port};
  CHECK(other.get("/").body == "Visits: 1");
  CHECK(browser.get("/").body == "Visits: 4");

  std::string tampered = *browser.session_cookie;
  tampered.back() = tampered.back() == 'a' ? 'b' : 'a';
  browser.session_cookie = tampered;
  const Reply fresh = browser.get("/");
  CHECK(fresh.body == "Visits: 1");
  REQUIRE(fresh.set_cookies.size() == 1);
  CHECK(*browser.session_cookie != tampered);
}

// Vary is merged into the handler's, and the handler's cookie stays next to the session's (in
// whatever order the library writes them).
inline void check_vary_and_cookies(int port) {
  Browser browser{port};
  const Reply reply = browser.get("/vary");
  CHECK(reply.vary == std::vector<std::string>{"Accept-Encoding, Cookie"});
  REQUIRE(reply.set_cookies.size() == 2);
  CHECK(std::count(reply.set_cookies.begin(), reply.set_cookies.end(), "theme=dark") == 1);
  CHECK(std::count_if(reply.set_cookies.begin(), reply.set_cookies.end(),
                      [](const std::string& c) { return c.rfind("sessionid=", 0) == 0; }) == 1);
}

// A 5xx saves nothing (no new session, no change to an existing one); a session deleted during the
// request answers 400 with a fresh response and is not brought back.
inline void check_failures(int port, sessions::MemoryStore& store) {
  Browser browser{port};
  const Reply failed = browser.get("/fail");
  CHECK(failed.status == 503);
  CHECK(failed.set_cookies.empty());
  CHECK(failed.vary == std::vector<std::string>{"Cookie"});
  CHECK(browser.get("/").body == "Visits: 1");
  CHECK(browser.get("/fail").set_cookies.empty());
  CHECK(browser.get("/").body == "Visits: 2");

  const std::string key = *browser.session_cookie;
  const Reply raced = browser.get("/race");
  CHECK(raced.status == 400);
  CHECK(raced.body.find("session was deleted") != std::string::npos);
  CHECK(raced.set_cookies.empty());  // nothing of the handler's survives
  CHECK_FALSE(store.exists(key));
}

// A POST with no body and no Content-Length, sent as curl -X POST sends it, on a connection the
// client keeps open: answered at once, with the session.
inline void check_post_without_length(int port) {
  Browser browser{port};
  CHECK(browser.get("/").body == "Visits: 1");
  const RawReply reply = raw_request(
      port, "POST /form HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: sessionid=" + *browser.session_cookie + "\r\n\r\n");
  CHECK(reply.status == 200);
  CHECK(reply.body == "body: [], Visits: 2");
  CHECK(reply.head.find("\r\nVary: Cookie") != std::string::npos);
  CHECK(browser.get("/").body == "Visits: 3");
}

}  // namespace adapters_test
