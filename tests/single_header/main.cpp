// Built with only single_include/ on the include path (see tests/cmake/single_header.cmake): the
// generated single header must be complete on its own. Counts a visit, saves, reloads by key.
#include <sessions/sessions.hpp>

int main() {
  sessions::MemoryStore store;
  sessions::Session<sessions::MemoryStore> s{store};
  int v = s.get("num_visits", 0);
  s.set("num_visits", v + 1);
  s.save();
  sessions::Session<sessions::MemoryStore> again{store, *s.session_key()};
  return again.get("num_visits", 0) == 1 ? 0 : 1;
}
