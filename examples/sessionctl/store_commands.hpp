#pragma once
// sessionctl's store commands, Django's management commands for sessions:
//
//   sessionctl clearsessions --store URL [--key KEY]
//       removes the expired sessions and prints how many (a store whose server expires records
//       itself, Redis or memcached, answers 0).
//   sessionctl show --store URL [--key KEY] SESSION_KEY
//       prints the live session's data as compact JSON, as Django's SessionStore(key).load()
//       sees it; an expired or missing session exits 1 with a message.
//
// Store URLs: file:///dir (Django's file backend layout), sqlite:///path or sqlite:/path, postgresql://...,
// redis://..., redis+sentinel://..., redis+cluster://..., memcached://host:port,... Session data is read in Django's session_data format
// (DjangoSignedSerializer) with the secret key, as Django's db/file backends write it.
// The client libraries are compiled in when the build has them (SESSIONCTL_WITH_*).

#include <sessions/sessions.hpp>
#include <sessions/storage/url.hpp>
#ifdef SESSIONCTL_WITH_SQLITE
#include <sessions/storage/sqlite.hpp>
#endif
#ifdef SESSIONCTL_WITH_POSTGRES
#include <sessions/storage/postgres.hpp>
#endif
#ifdef SESSIONCTL_WITH_REDIS
#include <sessions/storage/redis.hpp>
#endif
#ifdef SESSIONCTL_WITH_MEMCACHED
#include <sessions/storage/memcached.hpp>
#endif

#include <iostream>
#include <string>
#include <string_view>
#include <type_traits>

namespace sessionctl {

/// The session could not be shown: missing, expired or unreadable (exit 1).
class NotFound : public sessions::Error {
 public:
  using sessions::Error::Error;
};

/// Opens the store named by `url` and calls `use(store)`; StorageError/ConfigurationError as the
/// store reports them. The stores' own warnings (a failed connection attempt, ...) are not
/// printed: the error that ends the command says what failed, on one line.
/// The message for a scheme this build cannot open: a store this sessionctl was built without,
/// or no store at all.
[[nodiscard]] inline std::string unavailable(std::string_view scheme) {
  const auto missing = [&](std::string_view library) {
    return "this sessionctl was built without " + std::string(library) + ", so it cannot open '" + std::string(scheme) +
           ":' stores";
  };
  if (scheme == "sqlite" || scheme == "sqlite3") return missing("SQLite (libsqlite3)");
  if (scheme == "postgresql" || scheme == "postgres") return missing("PostgreSQL (libpq)");
  if (scheme == "redis" || scheme == "rediss" || scheme == "redis+sentinel" || scheme == "redis+cluster" ||
      scheme == "unix")
    return missing("Redis (hiredis)");
  if (scheme == "memcached") return missing("memcached (libmemcached)");
  return "unknown store scheme '" + std::string(scheme) +
         ":' (stores: file:, sqlite:, postgresql:, redis:, rediss:, redis+sentinel:, redis+cluster:, unix:, "
         "memcached:)";
}

/// Opens the store named by `url` and calls `use(store)`; StorageError/ConfigurationError as the
/// store reports them. The stores' own warnings (a failed connection attempt, ...) are not
/// printed: the error that ends the command says what failed, on one line.
template <class Use>
int with_store(std::string_view url, const sessions::Settings& settings, Use&& use) {
  const std::string scheme = sessions::url_scheme(url);
  if (scheme == "file") {
    // Django's mtime convention (the last write) and its cookie name and age, unless the URL says
    // otherwise: the directory is usually one a Django site writes.
    sessions::FileStore::Options django = sessions::FileStore::options_from_settings(settings);
    django.mtime_meaning = sessions::FileStore::MtimeMeaning::last_write;
    sessions::FileStore store{sessions::FileStore::options_from_url(url, django)};
    return use(store);
  }
#ifdef SESSIONCTL_WITH_SQLITE
  if (scheme == "sqlite" || scheme == "sqlite3") {
    sessions::SqliteStore store{url, settings.clock, sessions::Logger::silent()};
    return use(store);
  }
#endif
#ifdef SESSIONCTL_WITH_POSTGRES
  if (scheme == "postgresql" || scheme == "postgres") {
    sessions::PostgresStore store{url, settings.clock, sessions::Logger::silent()};
    return use(store);
  }
#endif
#ifdef SESSIONCTL_WITH_REDIS
  if (scheme == "redis" || scheme == "rediss" || scheme == "redis+sentinel" || scheme == "redis+cluster" ||
      scheme == "unix") {
    sessions::RedisStore store{url, settings.clock, sessions::Logger::silent()};
    return use(store);
  }
#endif
#ifdef SESSIONCTL_WITH_MEMCACHED
  if (scheme == "memcached") {
    sessions::MemcachedStore store{url, settings.clock, sessions::Logger::silent()};
    return use(store);
  }
#endif
  throw sessions::ConfigurationError(unavailable(scheme));
}

inline int clearsessions(std::string_view url) {
  const sessions::Settings& settings = sessions::default_settings();
  return with_store(url, settings, [](auto& store) {
    // Stores whose server expires records (Redis, memcached) remove nothing here and would not
    // notice an unreachable server: one lookup proves the store answers.
    (void)store.exists("00000000000000000000000000000000");
    std::cout << sessions::Session<std::remove_reference_t<decltype(store)>>::clear_expired(store) << '\n';
    return 0;
  });
}

/// The live session's data, as Django's SessionStore(key).load() sees it; NotFound otherwise.
inline sessions::Data load_session_data(std::string_view url, const std::string& secret, std::string_view session_key) {
  const sessions::Settings& settings = sessions::default_settings();
  const sessions::DjangoSignedSerializer serializer{secret};
  sessions::Data data;
  with_store(url, settings, [&](auto& store) {
    if (!sessions::is_valid_session_key(session_key)) throw NotFound("not a valid session key");
    auto record = store.load(session_key);
    if (!record) throw NotFound("no live session under that key (missing or expired)");
    try {
      data = serializer.loads(record->payload);
    } catch (const sessions::Error& e) {
      throw NotFound(std::string("the session's data cannot be read with this key: ") + e.what());
    }
    return 0;
  });
  return data;
}

inline int show(std::string_view url, const std::string& secret, std::string_view session_key) {
  std::cout << sessions::signing::dump_python_json(load_session_data(url, secret, session_key)) << '\n';
  return 0;
}

}  // namespace sessionctl
