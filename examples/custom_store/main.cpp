// A user-written storage policy (map_store.hpp) used with sessions::Session, exactly like a
// library store.
#include <sessions/sessions.hpp>

#include <cstdio>

#include "map_store.hpp"

int main() {
  example::MapStore store;
  sessions::Session<example::MapStore> session{store};
  session.set("num_visits", session.get("num_visits", 0) + 1);
  session.save();

  sessions::Session<example::MapStore> again{store, *session.session_key()};
  const int visits = again.get("num_visits", 0);
  std::printf("visits=%d writes=%zu\n", visits, store.writes());
  return visits == 1 ? 0 : 1;
}
