// The seed tutorial in C++ (docs/django-guide.md, "The middleware" and "The tutorial, side by
// side"): the session views of examples/visit_counter (pages.hpp) without the HTTP server around
// them, the example's own /cookies code (cookie_visits.hpp), and a main() that plays a browser
// against them and checks what the guide says each view does. Built and run by CTest
// (docs_snippet_tutorial).
#include <sessions/sessions.hpp>

#include "../../examples/visit_counter/cookie_visits.hpp"  // GET /cookies, as the example site serves it

#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <string_view>

using namespace std::chrono_literals;

using SessionT = sessions::Session<sessions::MemoryStore>;  // SESSION_ENGINE
using MiddlewareT = sessions::Middleware<SessionT>;         // SessionMiddleware

namespace views {

std::string escape_html(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#x27;"; break;
      default: out += c;
    }
  }
  return out;
}

// GET /: the tutorial's visit counter, and the test cookie for /about to check.
std::string index(SessionT& session) {
  const std::int64_t visits = session.get("num_visits", std::int64_t{0}) + 1;
  session.set("num_visits", visits);
  session.set_test_cookie();
  return "Visits: " + std::to_string(visits);
}

// GET /short: the same, in a session that ends after 30 idle seconds.
std::string short_lived(SessionT& session) {
  const std::string page = index(session);
  session.set_expiry(30);
  return page + "\nThis session lives 30 seconds.";
}

// GET /about: did the test cookie come back, and when does the session end?
std::string about(SessionT& session) {
  const char* worked = session.test_cookie_worked() ? "Test cookie worked" : "Test cookie not set";
  return std::string(worked) + "\nVisits: " + std::to_string(session.get("num_visits", std::int64_t{0})) +
         "\nExpires: " + sessions::cookie::http_date(session.get_expiry_date());
}

// POST /login: a new key before the privilege changes (defeats session fixation).
std::string login(SessionT& session, const std::string& user) {
  session.cycle_key();
  session.set("user", user);
  return "Logged in as " + escape_html(user);
}

// POST /logout: the data and the record go; the middleware deletes the cookie.
std::string logout(SessionT& session) {
  session.flush();
  return "Logged out";
}

}  // namespace views

namespace {

// What examples/visit_counter does around every view: open the session from the Cookie header,
// run the view, and add the middleware's headers (Set-Cookie, Vary) to the response.
struct Response {
  int status = 200;
  std::string body;
  sessions::HeaderFields headers;
};

template <class View>
Response serve(const MiddlewareT& middleware, std::string_view cookie_header, View&& view) {
  SessionT session = middleware.open(cookie_header);  // request.session
  Response response;
  response.body = view(session);
  try {
    response.headers = middleware.finish(session, response.status);
  } catch (const sessions::SessionInterrupted& e) {  // logged out by a concurrent request
    response.status = 400;
    response.body = e.what();
  }
  return response;
}

// ---------------------------------------------------------------------------------------------
// A browser, reduced to a cookie jar, and the checks.

struct Browser {
  std::map<std::string, std::string> jar;

  std::string cookie_header() const {
    std::string out;
    for (const auto& [name, value] : jar) out += (out.empty() ? "" : "; ") + name + "=" + value;
    return out;
  }
  void receive(const sessions::HeaderFields& headers) {
    for (const auto& h : headers) {
      if (h.name != "Set-Cookie") continue;
      const auto eq = h.value.find('=');
      const auto semi = h.value.find(';');
      const std::string name = h.value.substr(0, eq);
      const std::string value = h.value.substr(eq + 1, semi - eq - 1);
      if (h.value.find("Max-Age=0") != std::string::npos) {
        jar.erase(name);
      } else {
        jar[name] = value;
      }
    }
  }
  template <class View>
  std::string visit(const MiddlewareT& middleware, View&& view) {
    Response r = serve(middleware, cookie_header(), std::forward<View>(view));
    receive(r.headers);
    return r.body;
  }
};

int failures = 0;

void check(bool ok, const char* what) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  if (!ok) ++failures;
}

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

}  // namespace

int main() {
  sessions::ManualClock clock;
  sessions::Settings settings;
  settings.clock = sessions::Clock(clock);
  sessions::MemoryStore store{sessions::Clock(clock)};
  const MiddlewareT middleware{store, settings};
  Browser browser;

  check(browser.visit(middleware, views::index) == "Visits: 1", "GET / counts the first visit");
  check(browser.jar.contains("sessionid"), "GET / sets the session cookie");
  check(browser.visit(middleware, views::index) == "Visits: 2", "GET / counts the second visit");
  const std::string about_page = browser.visit(middleware, views::about);
  check(contains(about_page, "Test cookie worked") && contains(about_page, "Visits: 2"),
        "GET /about sees the test cookie and the count");

  const std::string key_before_login = browser.jar["sessionid"];
  const std::string login_page =
      browser.visit(middleware, [](SessionT& s) { return views::login(s, "<ann>"); });
  check(login_page == "Logged in as &lt;ann&gt;", "POST /login escapes the user name");
  check(browser.jar["sessionid"] != key_before_login, "POST /login gives the session a new key");
  check(!store.exists(key_before_login), "POST /login deletes the record of the old key");
  check(browser.visit(middleware, views::index) == "Visits: 3", "the data survives cycle_key()");

  const std::string key_before_logout = browser.jar["sessionid"];
  check(browser.visit(middleware, views::logout) == "Logged out", "POST /logout");
  check(!browser.jar.contains("sessionid"), "POST /logout deletes the cookie");
  check(!store.exists(key_before_logout), "POST /logout deletes the record");
  check(contains(browser.visit(middleware, views::about), "Test cookie not set"), "after logout the test cookie is gone");

  Browser brief;
  Response first = serve(middleware, "", views::short_lived);
  brief.receive(first.headers);
  bool max_age_30 = false;
  for (const auto& h : first.headers) max_age_30 |= h.name == "Set-Cookie" && contains(h.value, "Max-Age=30;");
  check(max_age_30, "GET /short sets a 30-second cookie");
  clock.advance(31s);
  check(brief.visit(middleware, views::index) == "Visits: 1", "31 idle seconds later the session has ended");

  const std::string secret = "docs snippet secret key, never used in production";
  Browser plain;
  const auto visit_cookies = [&] {
    const visit_counter::CookieVisits counts = visit_counter::count_cookie_visits(plain.cookie_header(), secret, clock.now());
    sessions::HeaderFields headers;
    for (const std::string& value : counts.set_cookies) headers.push_back({"Set-Cookie", value});
    plain.receive(headers);
    return "Cookie visits: " + std::to_string(counts.visits) + "\nSigned visits: " + std::to_string(counts.signed_visits);
  };
  check(visit_cookies() == "Cookie visits: 1\nSigned visits: 1", "GET /cookies, first visit");
  clock.advance(1h);
  check(visit_cookies() == "Cookie visits: 1\nSigned visits: 1", "GET /cookies counts once a day");
  clock.advance(24h);
  check(visit_cookies() == "Cookie visits: 2\nSigned visits: 2", "GET /cookies, the next day");
  plain.jar["signed_visits"] = "9" + plain.jar["signed_visits"].substr(1);
  plain.jar["visits"] = "9";
  clock.advance(24h);
  check(visit_cookies() == "Cookie visits: 10\nSigned visits: 1",
        "a plain cookie can be forged, a tampered signed one starts over");

  std::printf("%d failure(s)\n", failures);
  return failures == 0 ? 0 : 1;
}
