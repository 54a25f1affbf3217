#pragma once
// sessionctl whoami --store URL [--key KEY] [--fallback-key KEY]... [--user-table URL] SESSION_KEY
//
// Who is logged in on a session, as Django's get_user(request) decides it: the user id alone on
// stdout (exit 0) when `_auth_user_hash` verifies against the user's current password hash in
// auth_user; otherwise the reason on stderr (exit 1): "no user", "hash mismatch", "inactive
// user", "unknown user", "backend not allowed" (only Django's ModelBackend is assumed), or the
// session is missing. The session itself is never modified (Django would flush it on a hash
// mismatch; a look from the command line should not log anybody out).
//
// The users come from --user-table (sqlite:///path or postgresql://..., Django's auth_user), by
// default from the store itself when it is an SQL database (Django's db backend keeps both in one).
// --fallback-key: SECRET_KEY_FALLBACKS (Django 5.0+ rules).

#include <sessions/auth/login.hpp>
#ifdef SESSIONCTL_WITH_SQLITE
#include <sessions/auth/sqlite_user_table.hpp>
#endif
#ifdef SESSIONCTL_WITH_POSTGRES
#include <sessions/auth/postgres_user_table.hpp>
#endif

#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store_commands.hpp"

namespace sessionctl {

// Django's get_user on a copy of the session in memory (get_user may flush or cycle it; the
// store's stays as it is); prints the id or the reason.
template <class Users>
int whoami_with(const Users& users, const sessions::Data& data, const std::string& secret,
                const std::vector<std::string>& fallback_keys) {
  sessions::MemoryStore scratch;
  sessions::Session<sessions::MemoryStore> session{scratch};
  session.update(data);
  const sessions::auth::AuthConfig config{sessions::auth::SessionAuthHasher(secret, fallback_keys)};
  const sessions::auth::AuthResult result = sessions::auth::get_user(session, config, users.lookup());
  if (result.user) {
    std::cout << result.user->id << '\n';
    return 0;
  }
  std::cerr << sessions::auth::to_string(result.status) << '\n';
  return 1;
}

inline int whoami(std::string_view store_url, const std::string& secret, const std::vector<std::string>& fallback_keys,
                  std::optional<std::string> user_table_url, std::string_view session_key) {
  if (!user_table_url) {
    const std::string scheme = sessions::url_scheme(store_url);
    if (scheme != "sqlite" && scheme != "sqlite3" && scheme != "postgresql" && scheme != "postgres") {
      throw sessions::ConfigurationError("--user-table URL is needed: the store is not the database of auth_user");
    }
    user_table_url = std::string(store_url);
  }
  const std::string table_scheme = sessions::url_scheme(*user_table_url);
#ifdef SESSIONCTL_WITH_SQLITE
  if (table_scheme == "sqlite" || table_scheme == "sqlite3") {
    const sessions::auth::SqliteUserTable users{*user_table_url};
    return whoami_with(users, load_session_data(store_url, secret, session_key), secret, fallback_keys);
  }
#endif
#ifdef SESSIONCTL_WITH_POSTGRES
  if (table_scheme == "postgresql" || table_scheme == "postgres") {
    const sessions::auth::PostgresUserTable users{*user_table_url};
    return whoami_with(users, load_session_data(store_url, secret, session_key), secret, fallback_keys);
  }
#endif
  throw sessions::ConfigurationError("user tables: sqlite: and postgresql: only; " + unavailable(table_scheme));
}

}  // namespace sessionctl
