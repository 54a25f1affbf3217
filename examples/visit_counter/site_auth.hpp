#pragma once
// The visit counter's Django logins (--user-table URL): users, passwords and login state are
// Django's own (auth_user, its PBKDF2 hashes, the _auth_user_* session keys), so a user logged in
// on the Django site is logged in here, and a password changed there logs this site's session
// out at its next request. Flash messages use Django's session storage (`_messages`).

#include <httplib.h>
#include <sessions/auth/auth.hpp>
#include <sessions/auth/sqlite_user_table.hpp>
#include <sessions/messages/session_storage.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace visit_counter {

struct SiteAuth {
  SiteAuth(std::string_view user_table_url, const std::string& secret)
      : users(user_table_url), config(sessions::auth::SessionAuthHasher(secret)) {}
  sessions::auth::SqliteUserTable users;
  sessions::auth::AuthConfig config;
};

/// The outcome of a login form: the user, or the page status and text to answer with.
struct LoginAttempt {
  std::optional<sessions::auth::User> user;
  int status = 200;
  std::string error;
};

/// Django's authenticate() with ModelBackend: the user by name, an active account and the right
/// password. A hash this library cannot check (argon2, bcrypt, ...) is not a wrong password.
[[nodiscard]] inline LoginAttempt authenticate(const SiteAuth& auth, const std::string& username,
                                               const std::string& password) {
  std::optional<sessions::auth::User> user = auth.users.find_by_username(username);
  try {
    if (user && user->is_active && sessions::auth::check_password(password, user->password))
      return {std::move(user), 200, {}};
  } catch (const sessions::auth::UnsupportedHasher&) {
    return {std::nullopt, 501, "This account's password can only be checked by the Django site."};
  }
  return {std::nullopt, 403, "Please enter a correct user name and password."};
}

/// The session's pending messages as an HTML list, consumed (shown once), as Django's template
/// loop over `messages` does.
template <class SessionT>
[[nodiscard]] std::string take_messages_html(SessionT& session, std::string (*escape)(std::string_view)) {
  auto storage = sessions::messages::session_messages(session, sessions::DjangoVersion::v3_2);
  if (storage.size() == 0) return {};
  std::string html = "<ul class=\"messages\">\n";
  for (const sessions::messages::Message& m : storage.consume()) {
    html += "<li class=\"" + escape(m.tags()) + "\">" + (m.safe ? m.text : escape(m.text)) + "</li>\n";
  }
  html += "</ul>\n";
  storage.update();
  return html;
}

}  // namespace visit_counter
