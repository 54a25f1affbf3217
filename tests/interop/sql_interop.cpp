// The C++ side of tests/interop/test_sql_interop.py: SqliteStore / PostgresStore with
// DjangoSignedSerializer, driven from the command line, answering in JSON on stdout.
//
//   sessions_sql_interop <store URL> <SECRET_KEY> <command> [arguments]
//     load <key>                      {"found": true, "data": {...}, "expires_us": N} | {"found": false}
//     save <json object>              a new session through sessions::Session: {"key": ..., "expires_us": N}
//     modify <key> <json object>      Session(key): update(object) and save: {"ok": true, "key": ...} |
//                                     {"ok": false, "error": ...}
//     put <key> <json object> <us>    store.create(key, signed data, expiry in µs since the epoch): {"created": bool}
//     exists <key>                    {"exists": bool}
//     remove <key>                    {}
//     clear_expired                   {"removed": N}
// The store is chosen by the URL's scheme (sqlite: or postgresql:); the clock is the system clock,
// as Django's. Exit code 0 unless the arguments are wrong or the store throws (message on stderr).

#include <cstdint>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include <sessions/sessions.hpp>
#ifdef SESSIONS_INTEROP_SQLITE
#include <sessions/storage/sqlite.hpp>
#endif
#ifdef SESSIONS_INTEROP_POSTGRES
#include <sessions/storage/postgres.hpp>
#endif

namespace {

using sessions::Data;

std::int64_t micros(sessions::TimePoint t) {
  return std::chrono::floor<std::chrono::microseconds>(t.time_since_epoch()).count();
}

template <class Store>
int run(Store& store, const std::string& secret, const std::vector<std::string>& args) {
  const sessions::DjangoSignedSerializer serializer(secret);
  const sessions::Settings& settings = sessions::default_settings();
  using S = sessions::Session<Store, sessions::DjangoSignedSerializer>;
  const std::string& command = args.at(0);
  Data out = Data::object();
  if (command == "load" && args.size() == 2) {
    const auto record = store.load(args[1]);
    out["found"] = record.has_value();
    if (record) {
      out["data"] = serializer.loads(record->payload);
      out["expires_us"] = micros(record->expires_at);
    }
  } else if (command == "save" && args.size() == 2) {
    S s(store, settings, serializer);
    s.update(Data::parse(args[1]));
    s.save();
    out["key"] = *s.session_key();
    out["expires_us"] = micros(store.load(*s.session_key())->expires_at);
  } else if (command == "modify" && args.size() == 3) {
    S s(store, args[1], settings, serializer);
    try {
      s.update(Data::parse(args[2]));
      s.save();
      out["ok"] = true;
      out["key"] = *s.session_key();  // a new key when the session was gone
    } catch (const sessions::UpdateError& e) {
      out["ok"] = false;
      out["error"] = e.what();
    }
  } else if (command == "put" && args.size() == 4) {
    const sessions::TimePoint expires{std::chrono::microseconds{std::stoll(args[3])}};
    out["created"] = store.create(args[1], serializer.dumps(Data::parse(args[2])), expires);
  } else if (command == "exists" && args.size() == 2) {
    out["exists"] = store.exists(args[1]);
  } else if (command == "remove" && args.size() == 2) {
    store.remove(args[1]);
  } else if (command == "clear_expired" && args.size() == 1) {
    out["removed"] = store.clear_expired();
  } else {
    std::cerr << "sessions_sql_interop: unknown command or wrong arguments: " << command << "\n";
    return 2;
  }
  std::cout << out.dump() << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: sessions_sql_interop <store URL> <SECRET_KEY> <command> [arguments]\n";
    return 2;
  }
  const std::string url = argv[1];
  const std::string secret = argv[2];
  const std::vector<std::string> args(argv + 3, argv + argc);
  try {
    if (url.starts_with("sqlite:")) {
#ifdef SESSIONS_INTEROP_SQLITE
      sessions::SqliteStore store(url);
      return run(store, secret, args);
#endif
    } else if (url.starts_with("postgres")) {
#ifdef SESSIONS_INTEROP_POSTGRES
      sessions::PostgresStore store(url);
      return run(store, secret, args);
#endif
    }
    std::cerr << "sessions_sql_interop: this build has no store for " << url.substr(0, url.find(':')) << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "sessions_sql_interop: " << e.what() << "\n";
    return 1;
  }
}
