// docs/django-auth-and-messages.md: Django's login state and flash messages in a shared session,
// with Django's users read from an SQLite auth_user table. Checks what the guide says.
#include <sessions/auth/auth.hpp>
#include <sessions/auth/sqlite_user_table.hpp>
#include <sessions/messages/messages.hpp>
#include <sessions/sessions.hpp>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace {

int failures = 0;
void expect(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "FAIL: %s\n", what);
    ++failures;
  }
}

// Django's auth_user, reduced to the columns the lookup reads.
std::string make_user_table() {
  const auto path = std::filesystem::temp_directory_path() / ("sessions-auth-snippet-" + std::to_string(::getpid()));
  std::filesystem::remove(path);
  sqlite3* db = nullptr;
  ::sqlite3_open(path.c_str(), &db);
  const std::string hash = sessions::auth::make_pbkdf2_password("alice's password", "snippetsalt", 1000);
  const std::string sql =
      "CREATE TABLE auth_user (id integer PRIMARY KEY, password varchar(128), is_active bool, "
      "username varchar(150));"
      "INSERT INTO auth_user VALUES (1, '" +
      hash + "', 1, 'alice');";
  ::sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  ::sqlite3_close(db);
  return path.string();
}

void render(const std::string& tags, const std::string& text, std::vector<std::string>& shown) {
  shown.push_back(tags + ": " + text);
}

}  // namespace

int main() {
  const std::string path = make_user_table();
  const std::string django_secret_key = "snippet secret key";
  const std::string name = "alice";
  const std::string password = "alice's password";
  sessions::MemoryStore store;
  sessions::Session<sessions::MemoryStore> session{store};
  std::vector<std::string> shown;
  {
    namespace auth = sessions::auth;
    const auth::AuthConfig config{auth::SessionAuthHasher(django_secret_key)};  // + SECRET_KEY_FALLBACKS
    const auth::SqliteUserTable users{"sqlite://" + path};                      // Django's auth_user

    // A login form (Django's authenticate + login):
    if (auto user = users.find_by_username(name);
        user && user->is_active && auth::check_password(password, user->password))
      auth::login(session, *user, config);

    // Who is logged in (Django's get_user): flushes the session when the password changed since.
    const auth::AuthResult who = auth::get_user(session, config, users.lookup());
    if (who.user) std::printf("Logged in as %s\n", who.user->username.c_str());

    // Flash messages in the session (Django's SessionStorage; FallbackStorage and CookieStorage too):
    auto messages = sessions::messages::session_messages(session);
    messages.success("Saved.");
    for (const auto& m : messages.consume()) render(m.tags(), m.text, shown);  // shown once
    messages.update();                                                         // at the end of the request

    expect(who.user && who.user->username == "alice", "the login is verified");
    expect(session.get("_auth_user_id") == "1", "the id is stored as text");
  }
  expect(shown == std::vector<std::string>{"success: Saved."}, "the message is shown");
  expect(!session.contains("_messages"), "a shown message is not stored again");
  std::filesystem::remove(path);
  return failures == 0 ? 0 : 1;
}
