// The program every packaging consumer builds (tests/packaging/*: find_package, add_subdirectory,
// pkg-config, meson subproject): it opens a session in a MemoryStore, saves it, reopens it by its
// key and checks the value. Built with SESSIONS_CONSUMER_SQLITE it does the same with the SQLite
// store (a file in the working directory), which shows that the sqlite component / module brings
// libsqlite3 along. Prints one line per store, then "ok <version>", and exits 0 on success.
#include <sessions/sessions.hpp>
#ifdef SESSIONS_CONSUMER_SQLITE
#include <sessions/storage/sqlite.hpp>
#endif

#include <cstdio>      // printf
#include <filesystem>  // current_path, remove
#include <string>      // string

namespace {

template <class Store>
bool round_trip(Store& store, const char* name) {
  sessions::Session<Store> session{store};
  session.set("num_visits", 41);
  session.save();
  sessions::Session<Store> again{store, *session.session_key()};
  const int visits = again.get("num_visits", 0);
  std::printf("%s: num_visits=%d\n", name, visits);
  return visits == 41;
}

}  // namespace

int main() {
  bool ok = true;
  sessions::MemoryStore memory;
  ok = round_trip(memory, "memory") && ok;
#ifdef SESSIONS_CONSUMER_SQLITE
  const std::filesystem::path file = std::filesystem::current_path() / "packaging_consumer.sqlite3";
  const auto remove_database = [&file] {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file.string() + suffix);
  };
  remove_database();
  {
    sessions::SqliteStore sqlite{"sqlite://" + file.string()};
    ok = round_trip(sqlite, "sqlite") && ok;
  }
  remove_database();
#endif
  std::printf("%s %s\n", ok ? "ok" : "FAILED", SESSIONS_VERSION_STRING);
  return ok ? 0 : 1;
}
