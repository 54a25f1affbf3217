// The session side of the Django interop test: real sessions::Session objects over the stores
// that share Django's formats, driven from test_session_interop.py.
//
//   session_tool signed-cookie-write KEY         stdin: JSON object   stdout: the cookie value
//   session_tool signed-cookie-read KEY          stdin: cookie value  stdout: the data as JSON
//   session_tool file-write KEY DIR              stdin: JSON object   stdout: the session key
//   session_tool file-read KEY DIR SESSION_KEY                        stdout: the data as JSON
//
// The file commands share DIR with Django's file backend, so the FileStore reads mtimes as Django
// does (MtimeMeaning::last_write, SESSION_COOKIE_AGE = Django's default).
//
// Data is printed in Django's JSON spelling (signing::dump_python_json).

#include <sessions/sessions.hpp>

#include <iostream>
#include <iterator>
#include <string>

namespace {

std::string read_stdin() {
  std::string text{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

void print(const sessions::Data& data) { std::cout << sessions::signing::dump_python_json(data) << '\n'; }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: session_tool COMMAND KEY [DIR [SESSION_KEY]]\n";
    return 2;
  }
  const std::string command = argv[1];
  const std::string secret = argv[2];
  try {
    if (command == "signed-cookie-write" || command == "signed-cookie-read") {
      sessions::SignedCookieStore store{secret};
      if (command == "signed-cookie-write") {
        sessions::Session<sessions::SignedCookieStore> session{store};
        session.update(sessions::signing::parse_python_json(read_stdin()));
        session.save();
        std::cout << *session.session_key() << '\n';
      } else {
        sessions::Session<sessions::SignedCookieStore> session{store, read_stdin()};
        print(session.data());
      }
      return 0;
    }
    if ((command == "file-write" || command == "file-read") && argc >= 4) {
      sessions::Settings settings;
      settings.file_path = argv[3];
      settings.cookie_age = sessions::FileStore::kDjangoCookieAge;  // Django's SESSION_COOKIE_AGE (default)
      // Django's convention for the mtime (the last write), so both sides read each other's files.
      sessions::FileStore::Options options;
      options.mtime_meaning = sessions::FileStore::MtimeMeaning::last_write;
      sessions::FileStore store{sessions::FileStore::options_from_settings(settings, options)};
      const sessions::DjangoSignedSerializer serializer{secret};
      using SessionT = sessions::Session<sessions::FileStore, sessions::DjangoSignedSerializer>;
      if (command == "file-write") {
        SessionT session{store, settings, serializer};
        session.update(sessions::signing::parse_python_json(read_stdin()));
        session.save();
        std::cout << *session.session_key() << '\n';
      } else if (argc >= 5) {
        SessionT session{store, std::string_view(argv[4]), settings, serializer};
        print(session.data());
      } else {
        std::cerr << "file-read needs a session key\n";
        return 2;
      }
      return 0;
    }
  } catch (const sessions::Error& e) {
    std::cerr << "error: " << e.what() << '\n';
    return 1;
  }
  std::cerr << "unknown command: " << command << '\n';
  return 2;
}
