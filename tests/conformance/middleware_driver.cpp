// Our side of the middleware conformance test (test_django_middleware.py): runs the scenarios it
// reads from stdin through sessions::Middleware over a MemoryStore and prints each response's
// session headers, in the form the script compares with Django's SessionMiddleware.
//
// One scenario per input line, fields separated by spaces:
//   <name> <status> <save_every_request 0|1> <expire_at_browser_close 0|1> <cookie> <action>
//   cookie: none (no session cookie) | live (a stored session {"a": 1, "cart": [1]}) | stale (a
//           well-formed key that names no session)
//   action: none | read (get "a") | set (set "hello") | clear | flush | nested (append to "cart")
// Output per scenario: "scenario <name>", the incoming key ("in <key>" or "in -"), then one line
// per header ("Set-Cookie: ...", "Vary: ..."), then "end". An exception is printed as "raises
// <type>" in place of the headers (Django raises SessionInterrupted where we raise it too).

#include <sessions/sessions.hpp>

#include <iostream>
#include <sstream>
#include <string>

namespace {

using SessionT = sessions::Session<sessions::MemoryStore>;

void run(const std::string& line) {
  std::istringstream in(line);
  std::string name, cookie, action;
  int status = 200, every = 0, browser_close = 0;
  if (!(in >> name >> status >> every >> browser_close >> cookie >> action)) {
    std::cout << "bad scenario line: " << line << "\n";
    return;
  }
  sessions::MemoryStore store;
  sessions::Settings settings;
  settings.save_every_request = every != 0;
  settings.expire_at_browser_close = browser_close != 0;
  const sessions::Middleware<SessionT> middleware(store, settings);

  std::string key;
  if (cookie == "live") {
    SessionT setup(store, settings);
    setup.set("a", 1);
    setup.set("cart", sessions::Data::array({1}));
    setup.save();
    key = *setup.session_key();
  } else if (cookie == "stale") {
    key = std::string(32, 'q');
  }
  std::cout << "scenario " << name << "\nin " << (key.empty() ? "-" : key) << "\n";
  try {
    SessionT session = middleware.open(key.empty() ? std::string() : settings.cookie_name + "=" + key);
    if (action == "read") {
      (void)session.get("a");
    } else if (action == "set") {
      session.set("hello", "world");
    } else if (action == "clear") {
      session.clear();
    } else if (action == "flush") {
      session.flush();
    } else if (action == "nested") {
      session.at("cart").push_back(2);
    }
    for (const auto& header : middleware.finish(session, status)) {
      std::cout << header.name << ": " << header.value << "\n";
    }
  } catch (const sessions::SessionInterrupted&) {
    std::cout << "raises SessionInterrupted\n";
  } catch (const std::exception& e) {
    std::cout << "raises " << e.what() << "\n";
  }
  std::cout << "end\n";
}

}  // namespace

int main() {
  std::string line;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line[0] != '#') run(line);
  }
  return 0;
}
