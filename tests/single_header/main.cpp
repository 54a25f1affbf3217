// Built with only single_include/ on the include path (see tests/cmake/single_header.cmake): the
// generated single headers must be complete on their own. Counts a visit, saves, reloads by key;
// checks a Django password hash (auth) and passes a flash message to the next request (messages).
#include <sessions/auth/auth.hpp>
#include <sessions/messages/messages.hpp>
#include <sessions/sessions.hpp>

int main() {
  sessions::MemoryStore store;
  sessions::Session<sessions::MemoryStore> s{store};
  int v = s.get("num_visits", 0);
  s.set("num_visits", v + 1);
  {
    auto messages = sessions::messages::session_messages(s);
    messages.success("Saved.");
    (void)messages.update();
  }
  s.save();
  sessions::Session<sessions::MemoryStore> again{store, *s.session_key()};
  auto shown = sessions::messages::session_messages(again);
  const bool message_ok = shown.consume().size() == 1;
  const std::string encoded = sessions::auth::make_pbkdf2_password("secret", "saltsalt", 1000);
  const bool password_ok =
      sessions::auth::check_password("secret", encoded) && !sessions::auth::check_password("wrong", encoded);
  return again.get("num_visits", 0) == 1 && message_ok && password_ok ? 0 : 1;
}
