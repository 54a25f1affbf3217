#pragma once
// The visit counter's pages about the sessions themselves, over the per-user index
// (sessions/user_indexed.hpp, sessions/lifecycle.hpp) and the store's metrics
// (sessions/storage/metered.hpp):
//
//   GET  /sessions        the logged-in user's sessions (Django logins, --user-table): key prefix,
//                         since, last seen, expiry, browser (User-Agent) and address, this one
//                         marked; 403 without a login
//   POST /logout-others   deletes every other session of the user ("log out everywhere else"),
//                         then shows the list that is left
//   GET  /metrics         the store's calls and latencies in Prometheus' text format (server
//                         stores; 404 with cookie sessions, which call no store)
//
// with_site_store() wraps the store the URL chose: every server store in Metered (counted and
// timed), and those that can list their sessions (memory, file, SQLite, PostgreSQL) in
// UserIndexed too, so that each save of a logged-in session indexes it under its user. Every
// page records the request's User-Agent and address for the listing (record_request_client).

#include <httplib.h>
#include <sessions/auth/auth.hpp>
#include <sessions/lifecycle.hpp>
#include <sessions/sessions.hpp>
#include <sessions/storage/metered.hpp>
#include <sessions/user_index.hpp>
#include <sessions/user_indexed.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "site_auth.hpp"

namespace visit_counter {

/// Calls `serve(site_store)` with the store as the site uses it: UserIndexed<Metered<Store>> when
/// the store can keep the per-user index, Metered<Store> for the other server stores, the store
/// itself for cookie sessions.
template <class Store, class Serve>
int with_site_store(Store& store, Serve&& serve) {
  if constexpr (sessions::UserIndexStorage<Store>) {
    sessions::UserIndexed<sessions::Metered<Store>> indexed{store};
    return serve(indexed);
  } else if constexpr (sessions::ServerStorage<Store>) {
    sessions::Metered<Store> metered{store};
    return serve(metered);
  } else {
    return serve(store);
  }
}

/// The request's client, for the index's listing: what the browser says it is, and the address it
/// connects from (shown to the user, never trusted).
template <class SessionT>
void record_request_client(const httplib::Request& req, SessionT& session) {
  session.record_client(req.get_header_value("User-Agent"), req.remote_addr);
}

/// Installs /sessions, /logout-others and /metrics. `page` turns a route body
/// `(const Request&, Response&, SessionT&)` into a handler through the site's middleware (Site::page).
/// `html_page` and `escape` are the site's page frame and HTML escaping. The routes keep copies of
/// this object (a few pointers), so it need not outlive install().
template <class SessionT, class Page, class HtmlPage, class Escape>
class SessionPages {
 public:
  using MiddlewareT = sessions::Middleware<SessionT>;
  using StoreT = typename MiddlewareT::storage_type;

  SessionPages(const MiddlewareT& middleware, const SiteAuth* auth, Page page, HtmlPage html_page, Escape escape)
      : middleware_(&middleware),
        auth_(auth),
        page_(std::move(page)),
        html_page_(std::move(html_page)),
        escape_(std::move(escape)) {}

  void install(httplib::Server& server) {
    server.Get("/metrics", [self = *this](const httplib::Request&, httplib::Response& res) { self.metrics(res); });
    if constexpr (sessions::UserIndexStorage<StoreT>) {
      server.Get("/sessions", page_([self = *this](const httplib::Request&, httplib::Response& res, SessionT& session) {
                   const std::optional<std::string> user = self.logged_in_user(res, session);
                   if (user) self.list_page(res, session, *user, "");
                 }));
      server.Post("/logout-others",
                  page_([self = *this](const httplib::Request&, httplib::Response& res, SessionT& session) {
                    const std::optional<std::string> user = self.logged_in_user(res, session);
                    if (user) self.logout_others(res, session, *user);
                  }));
    } else {
      const auto unavailable = [html_page = html_page_](const httplib::Request&, httplib::Response& res) {
        res.status = 404;
        html_page(res, "Sessions", "<p>This store keeps no per-user index (memcached, cookies).</p>\n");
      };
      server.Get("/sessions", unavailable);
      server.Post("/logout-others", unavailable);
    }
  }

 private:
  void metrics(httplib::Response& res) const {
    if constexpr (requires(const StoreT& s) { s.snapshot(); }) {
      res.set_content(sessions::to_prometheus(std::array{middleware_->store().snapshot()}),
                      "text/plain; version=0.0.4; charset=utf-8");
    } else {
      res.status = 404;
      res.set_content("cookie sessions call no store: nothing to measure\n", "text/plain; charset=utf-8");
    }
  }

  // The user as Django's get_user decides it (a password changed since flushes the session), or
  // a 403 page.
  std::optional<std::string> logged_in_user(httplib::Response& res, SessionT& session) const {
    if (auth_ != nullptr) {
      const auto who = sessions::auth::get_user(session, auth_->config, auth_->users.lookup());
      if (who.user) return who.user->id;
    }
    res.status = 403;
    html_page_(res, "Sessions",
               auth_ != nullptr ? "<p>Log in to see your sessions.</p>\n"
                                : "<p>Sessions are listed for Django logins (start the site with --user-table).</p>\n");
    return std::nullopt;
  }

  // Every other session of the user is deleted (record and entry); the current one stays.
  void logout_others(httplib::Response& res, SessionT& session, const std::string& user) const {
    const std::string own = session.session_key().value_or("");
    const std::size_t revoked =
        sessions::revoke_user_sessions(middleware_->store(), user, own, middleware_->settings());
    list_page(res, session, user,
              "<p>Logged out " + std::to_string(revoked) + " other session" + (revoked == 1 ? "" : "s") + ".</p>\n");
  }

  void list_page(httplib::Response& res, SessionT& session, const std::string& user, const std::string& notice) const {
    const auto listed = sessions::user_sessions(middleware_->store(), user, middleware_->settings().clock.now());
    const std::string own = session.session_key().value_or("");
    std::string body = notice + "<p>Sessions: " + std::to_string(listed.size()) + "</p>\n<ul class=\"sessions\">\n";
    for (const sessions::UserSession& s : listed) {
      const bool current = s.key == own;
      body += std::string("<li class=\"session") + (current ? " current" : "") + "\"><code>" + escape_(s.key_prefix()) +
              "</code>" + (current ? " (this browser)" : "") + " since " + utc(s.details.created) + ", last seen " +
              utc(s.details.last_seen) + ", expires " + utc(s.details.expires_at) +
              "<br>Browser: <span class=\"agent\">" +
              escape_(s.details.user_agent.empty() ? "unknown" : s.details.user_agent) +
              "</span>, address: <span class=\"address\">" +
              escape_(s.details.address.empty() ? "unknown" : s.details.address) + "</span></li>\n";
    }
    body +=
        "</ul>\n<form method=\"post\" action=\"/logout-others\" id=\"logout-others\"><button>Log out my other "
        "sessions</button></form>\n";
    html_page_(res, "Your sessions", body);
  }

  static std::string utc(sessions::TimePoint when) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(when));
    std::tm t{};
    char text[32] = "?";
    if (gmtime_r(&seconds, &t) != nullptr) std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &t);
    return text;
  }

  const MiddlewareT* middleware_;
  const SiteAuth* auth_;
  Page page_;
  HtmlPage html_page_;
  Escape escape_;
};

}  // namespace visit_counter
