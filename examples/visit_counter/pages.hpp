#pragma once
// The visit counter's routes (see main.cpp for the list), for any session type: the store is
// chosen at run time (store_choice.hpp) and each store is its own Session instantiation.
// Every route but /cookies goes through the httplib adapter, which opens the session and writes
// its Set-Cookie and Vary; each request logs one line (RequestLog).

#include <httplib.h>
#include <sessions/adapters/httplib.hpp>
#include <sessions/sessions.hpp>

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "cookie_visits.hpp"
#include "session_pages.hpp"
#include "site_auth.hpp"

namespace visit_counter {

/// One line per request on stdout, never a whole session key:
///   GET /about 200 session=abcd12... new=0 accessed=1 modified=0 cookie=kept
/// A route logs its line with the session's state; requests no route finished (httplib's own
/// 400 and 404, a route that threw) are logged by httplib's logger hook, without a session.
class RequestLog {
 public:
  void line(const std::string& text) {
    const std::lock_guard lock(mutex_);
    std::fputs(text.c_str(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
  }

  template <class SessionT>
  void request(const httplib::Request& req, const sessions::httplib_adapter::Handled<SessionT>& handled, bool fresh) {
    std::string cookie = sessions::Middleware<SessionT>::cookie_received(handled.session) ? "kept" : "none";
    for (const sessions::HeaderField& header : handled.headers) {
      if (header.name != "Set-Cookie") continue;
      cookie = header.value.find("Max-Age=0") != std::string::npos ? "deleted" : "set";
    }
    const auto& key = handled.session.session_key();
    line(req.method + " " + req.path + " " + std::to_string(handled.status) +
         " session=" + (key ? std::string(sessions::loggable_key_prefix(*key)) + "..." : std::string("-")) +
         " new=" + (fresh ? "1" : "0") + " accessed=" + (handled.session.accessed() ? "1" : "0") +
         " modified=" + (handled.session.modified() ? "1" : "0") + " cookie=" + cookie +
         (handled.interrupted ? " interrupted=1" : ""));
    logged_by_route() = true;
  }

  /// For httplib's set_logger: called on the worker thread once the response is written.
  void written(const httplib::Request& req, const httplib::Response& res) {
    if (std::exchange(logged_by_route(), false)) return;
    line(req.method + " " + (req.path.empty() ? std::string("-") : req.path) + " " + std::to_string(res.status) +
         " session=- new=0 accessed=0 modified=0 cookie=none");
  }

 private:
  static bool& logged_by_route() {
    thread_local bool logged = false;
    return logged;
  }

  std::mutex mutex_;
};

[[nodiscard]] inline std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#x27;"; break;
      default: out += c;
    }
  }
  return out;
}

inline void html_page(httplib::Response& res, std::string_view title, const std::string& body) {
  res.set_content(std::string("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>") + std::string(title) +
                      "</title></head>\n<body>\n" + body +
                      "<nav><a href=\"/\">count</a> | <a href=\"/short\">count, 30 s session</a> | "
                      "<a href=\"/about\">about</a> | <a href=\"/cookies\">cookies</a> | "
                      "<a href=\"/session.json\">session.json</a></nav>\n"
                      "<form method=\"post\" action=\"/login\"><input name=\"user\" placeholder=\"name\"> "
                      "<input name=\"password\" type=\"password\" placeholder=\"password\"> "
                      "<button>Log in</button></form>\n"
                      "<form method=\"post\" action=\"/logout\"><button>Log out</button></form>\n"
                      "</body></html>\n",
                  "text/html; charset=utf-8");
}

inline void json_response(httplib::Response& res, int status, const sessions::Data& body) {
  res.status = status;
  res.set_content(body.dump() + "\n", "application/json");
}

template <class SessionT>
class Site {
 public:
  using MiddlewareT = sessions::Middleware<SessionT>;

  /// `auth`: Django's users and logins (--user-table), or null for the name-only login.
  Site(const MiddlewareT& middleware, std::string secret, RequestLog& log, const SiteAuth* auth = nullptr)
      : middleware_(&middleware), secret_(std::move(secret)), log_(&log), auth_(auth) {}

  void install(httplib::Server& server) {
    // httplib answers with the first route that matches: these take over / and /login.
    if (auth_ != nullptr) install_django_login(server);
    server.Get("/", page([](const httplib::Request&, httplib::Response& res, SessionT& session) {
      html_page(res, "Visits", "<p>Visits: " + std::to_string(count_visit(session)) + "</p>\n");
    }));
    server.Get("/short", page([](const httplib::Request&, httplib::Response& res, SessionT& session) {
      session.set_expiry(30);
      html_page(res, "Visits",
                "<p>Visits: " + std::to_string(count_visit(session)) + "</p>\n<p>This session ends after 30 s "
                "without a visit.</p>\n");
    }));
    server.Get("/about", page([](const httplib::Request&, httplib::Response& res, SessionT& session) {
      const bool worked = session.test_cookie_worked();
      const auto visits = session.get("num_visits", std::int64_t{0});
      const auto user = session.get("user", std::string());
      html_page(res, "About",
                std::string("<p>") + (worked ? "Test cookie worked" : "Test cookie not set") + "</p>\n" +
                    "<p>Visits: " + std::to_string(visits) + "</p>\n" + "<p>Expires: " +
                    sessions::cookie::http_date(session.get_expiry_date()) + "</p>\n" +
                    (user.empty() ? std::string() : "<p>User: " + html_escape(user) + "</p>\n"));
    }));
    server.Post("/login", page([](const httplib::Request& req, httplib::Response& res, SessionT& session) {
      const std::string user = req.get_param_value("user");
      if (user.empty()) {
        res.status = 400;
        html_page(res, "Log in", "<p>Missing form field user</p>\n");
        return;
      }
      session.cycle_key();  // a new key at login: a key planted before it is worthless
      session.set("user", user);
      html_page(res, "Logged in", "<p>Logged in as " + html_escape(user) + "</p>\n");
    }));
    server.Post("/logout", page([](const httplib::Request&, httplib::Response& res, SessionT& session) {
      session.flush();
      html_page(res, "Logged out", "<p>Logged out</p>\n");
    }));
    server.Get("/session.json", page([](const httplib::Request&, httplib::Response& res, SessionT& session) {
      json_response(res, 200, session.data());
    }));
    server.Post("/session.json", page([](const httplib::Request& req, httplib::Response& res, SessionT& session) {
      sessions::Data body = sessions::Data::parse(req.body, nullptr, /*allow_exceptions=*/false);
      if (!body.is_object()) {
        json_response(res, 400, {{"error", "the body must be a JSON object"}});
        return;
      }
      session.update(body);
      json_response(res, 200, session.data());
    }));
    install_session_pages(server);
    server.Get("/cookies", page([this](const httplib::Request& req, httplib::Response& res, SessionT&) {
      const CookieVisits counts = count_cookie_visits(httplib_adapter_cookies(req), secret_, sessions::Clock{}.now());
      for (const std::string& value : counts.set_cookies) res.set_header("Set-Cookie", value);
      html_page(res, "Cookie visits",
                "<p>Cookie visits: " + std::to_string(counts.visits) + "</p>\n<p>Signed visits: " +
                    std::to_string(counts.signed_visits) + "</p>\n" +
                    (counts.signed_tampered ? "<p>The signed cookie was tampered with: its count starts over.</p>\n"
                                            : ""));
    }));
  }

 private:
  // /sessions, /logout-others and /metrics (session_pages.hpp).
  void install_session_pages(httplib::Server& server) {
    const auto page_of = [this](auto body) { return this->page(std::move(body)); };
    SessionPages<SessionT, decltype(page_of), decltype(&html_page), decltype(&html_escape)>{
        *middleware_, auth_, page_of, &html_page, &html_escape}
        .install(server);
  }

  // With --user-table: POST /login is Django's login view (authenticate, login(): a new key and
  // the _auth_user_* keys, a success message for the next page), and GET / says who is logged in
  // as Django's get_user decides it (a password changed on the Django site flushes the session
  // here), with the pending messages, shown once.
  void install_django_login(httplib::Server& server) {
    server.Post("/login", page([this](const httplib::Request& req, httplib::Response& res, SessionT& session) {
      const LoginAttempt attempt = authenticate(*auth_, req.get_param_value("user"), req.get_param_value("password"));
      if (!attempt.user) {
        res.status = attempt.status;
        html_page(res, "Log in", "<p>" + html_escape(attempt.error) + "</p>\n");
        return;
      }
      sessions::auth::login(session, *attempt.user, auth_->config);
      auto messages = sessions::messages::session_messages(session, sessions::DjangoVersion::v3_2);
      messages.success("Welcome back, " + attempt.user->username + ".");
      messages.update();
      html_page(res, "Logged in", "<p>Logged in as " + html_escape(attempt.user->username) + "</p>\n");
    }));
    server.Get("/", page([this](const httplib::Request&, httplib::Response& res, SessionT& session) {
      const auto who = sessions::auth::get_user(session, auth_->config, auth_->users.lookup());
      std::string body = take_messages_html(session, &html_escape);
      if (who.user) body += "<p>Logged in as " + html_escape(who.user->username) + "</p>\n";
      html_page(res, "Visits", body + "<p>Visits: " + std::to_string(count_visit(session)) + "</p>\n");
    }));
  }

  static std::int64_t count_visit(SessionT& session) {
    const std::int64_t visits = session.get("num_visits", std::int64_t{0}) + 1;
    session.set("num_visits", visits);
    session.set_test_cookie();
    return visits;
  }

  static std::string httplib_adapter_cookies(const httplib::Request& req) {
    return sessions::httplib_adapter::joined_header(req.headers, "Cookie", "; ");
  }

  // A route through the adapter, logged. The session's record is read before the route runs (not
  // marking it accessed), so the log can say whether the visitor is new: no key, an unknown key
  // (the session drops it), or a cookie the store rejected (the session is then modified, and
  // rewritten empty as Django does).
  template <class Body>
  httplib::Server::Handler page(Body body) {
    return [this, body = std::move(body)](const httplib::Request& req, httplib::Response& res) {
      bool fresh = false;
      auto handled = sessions::httplib_adapter::handle(
          *middleware_, req, res, [&](const httplib::Request& request, httplib::Response& response, SessionT& session) {
            MiddlewareT::load_without_access(session);
            fresh = !session.session_key() || session.modified();
            record_request_client(request, session);
            body(request, response, session);
          });
      log_->request(req, handled, fresh);
    };
  }

  const MiddlewareT* middleware_;
  std::string secret_;
  RequestLog* log_;
  const SiteAuth* auth_;
};

}  // namespace visit_counter
