// The C++ side of the Django auth and messages interop test (test_auth_interop.py): real
// sessions::Session objects over Django's file backend directory (FileStore with Django's signed
// format), Django's users from a JSON file the test writes from auth_user.
//
//   auth_tool get-user SECRET DIR USERS KEY            stdout: STATUS ID|- NEWKEY|-
//   auth_tool login SECRET DIR USERS ID [KEY]          stdout: the session key
//   auth_tool update-hash SECRET DIR USERS ID KEY      stdout: the new session key
//   auth_tool session-add SECRET DIR KEY LEVEL TEXT [TAGS]
//   auth_tool session-show SECRET DIR KEY              stdout: the messages as JSON
//   auth_tool cookie-add SECRET COOKIE|- LEVEL TEXT... stdout: the new cookie value
//   auth_tool cookie-show SECRET COOKIE                stdout: the messages as JSON, then the cookie action
//   auth_tool fallback-show SECRET DIR KEY COOKIE|-    stdout: the messages as JSON, then the cookie action
//   auth_tool fallback-add SECRET DIR KEY COOKIE|- LEVEL TEXT...   stdout: the cookie action
//   auth_tool check-password PASSWORD ENCODED          stdout: true|false|unsupported
//
// USERS is a JSON list of {"id", "password", "is_active", "username"}.

#include <sessions/auth/auth.hpp>
#include <sessions/messages/messages.hpp>
#include <sessions/sessions.hpp>

#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

namespace {

using AuthToolSession = sessions::Session<sessions::FileStore, sessions::DjangoSignedSerializer>;
using sessions::auth::User;

struct Env {
  explicit Env(const std::string& secret, const std::string& dir)
      : settings(make_settings(dir)),
        store(sessions::FileStore::options_from_settings(settings, file_options())),
        serializer(secret) {}
  static sessions::Settings make_settings(const std::string& dir) {
    sessions::Settings s;
    s.file_path = dir;
    s.cookie_age = sessions::FileStore::kDjangoCookieAge;
    return s;
  }
  static sessions::FileStore::Options file_options() {
    sessions::FileStore::Options options;
    options.mtime_meaning = sessions::FileStore::MtimeMeaning::last_write;
    return options;
  }
  AuthToolSession open() { return AuthToolSession{store, settings, serializer}; }
  AuthToolSession open(const std::string& key) {
    return AuthToolSession{store, std::string_view(key), settings, serializer};
  }
  sessions::Settings settings;
  sessions::FileStore store;
  sessions::DjangoSignedSerializer serializer;
};

std::vector<User> read_users(const std::string& path) {
  std::ifstream in(path);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  std::vector<User> users;
  for (const auto& row : sessions::signing::parse_python_json(text, {64, sessions::signing::NonAsciiInput::utf8})) {
    users.push_back(User{row["id"].get<std::string>(), row["password"].get<std::string>(), row["is_active"].get<bool>(),
                         row["username"].get<std::string>()});
  }
  return users;
}

auto lookup_in(const std::vector<User>& users) {
  return [&users](std::string_view id) -> std::optional<User> {
    for (const User& user : users) {
      if (user.id == id) return user;
    }
    return std::nullopt;
  };
}

void print_cookie_update(const sessions::messages::CookieUpdate& update) {
  using Action = sessions::messages::CookieUpdate::Action;
  std::cout << (update.action == Action::set      ? update.value
                : update.action == Action::remove ? "REMOVE"
                                                  : "KEEP")
            << '\n';
}

void print_messages(const std::vector<sessions::messages::Message>& messages) {
  sessions::Data list = sessions::Data::array();
  for (const auto& m : messages) {
    list.push_back(sessions::Data::array(
        {m.level, m.text, m.extra_tags ? sessions::Data(*m.extra_tags) : sessions::Data(), m.safe}));
  }
  std::cout << sessions::signing::dump_python_json(list) << '\n';
}

int run(const std::vector<std::string>& a) {
  const std::string& command = a.at(0);
  if (command == "check-password") {
    try {
      std::cout << (sessions::auth::check_password(a.at(1), a.at(2)) ? "true" : "false") << '\n';
    } catch (const sessions::auth::UnsupportedHasher&) {
      std::cout << "unsupported\n";
    }
    return 0;
  }
  if (command == "cookie-add" || command == "cookie-show") {
    std::optional<std::string> cookie;
    if (a.at(2) != "-") cookie = a.at(2);
    const sessions::messages::CookieOptions options{{}, sessions::DjangoVersion::v3_2};
    sessions::messages::CookieMessages storage{sessions::messages::CookieBackend(cookie, a.at(1), options)};
    if (command == "cookie-add") {
      for (std::size_t i = 3; i + 1 < a.size(); i += 2) storage.add(std::stoi(a[i]), a[i + 1]);
    } else {
      print_messages(storage.consume());
    }
    storage.update();
    print_cookie_update(storage.backend().cookie_update());
    return 0;
  }
  const sessions::auth::AuthConfig config{
      sessions::auth::SessionAuthHasher(a.at(1), {}, sessions::DjangoVersion::v3_2)};
  Env env(a.at(1), a.at(2));
  if (command == "get-user") {
    const std::vector<User> users = read_users(a.at(3));
    AuthToolSession session = env.open(a.at(4));
    const auto result = sessions::auth::get_user(session, config, lookup_in(users));
    // As Django's middleware: a session emptied by a flush is not saved again.
    if (session.needs_save() && !session.is_empty()) session.save();
    std::cout << static_cast<int>(result.status) << ' ' << (result.user ? result.user->id : "-") << ' '
              << session.session_key().value_or("-") << '\n';
    return 0;
  }
  if (command == "login" || command == "update-hash") {
    const std::vector<User> users = read_users(a.at(3));
    const std::optional<User> user = lookup_in(users)(a.at(4));
    if (!user) throw sessions::KeyError("no such user");
    AuthToolSession session = a.size() > 5 ? env.open(a[5]) : env.open();
    if (command == "login") {
      sessions::auth::login(session, *user, config);
    } else {
      sessions::auth::update_session_auth_hash(session, *user, config);
    }
    session.save();
    std::cout << *session.session_key() << '\n';
    return 0;
  }
  if (command == "session-add" || command == "session-show") {
    AuthToolSession session = env.open(a.at(3));
    auto storage = sessions::messages::session_messages(session, sessions::DjangoVersion::v3_2);
    if (command == "session-add") {
      storage.add(std::stoi(a.at(4)), a.at(5), a.size() > 6 ? a[6] : std::string());
    } else {
      print_messages(storage.consume());
    }
    storage.update();
    if (session.needs_save()) session.save();
    return 0;
  }
  if (command == "fallback-show" || command == "fallback-add") {
    AuthToolSession session = env.open(a.at(3));
    std::optional<std::string> cookie;
    if (a.at(4) != "-") cookie = a.at(4);
    const sessions::messages::CookieOptions options{{}, sessions::DjangoVersion::v3_2};
    auto storage = sessions::messages::fallback_messages(sessions::messages::CookieBackend(cookie, a.at(1), options),
                                                         session, sessions::DjangoVersion::v3_2);
    if (command == "fallback-add") {
      for (std::size_t i = 5; i + 1 < a.size(); i += 2) storage.add(std::stoi(a[i]), a[i + 1]);
    } else {
      print_messages(storage.consume());
    }
    storage.update();
    if (session.needs_save()) session.save();
    print_cookie_update(storage.backend().cookie_update());
    return 0;
  }
  std::cerr << "unknown command: " << command << '\n';
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << "usage: auth_tool COMMAND ARGS...\n";
    return 2;
  }
  try {
    return run(args);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << '\n';
    return 1;
  }
}
