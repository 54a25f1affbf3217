#pragma once
// --store URL -> a store object and its session type. The store type is a template argument of
// Session, so each scheme is its own instantiation of the whole site; the URL picks one of them
// at run time. Stores with a client library are compiled in when the build has it
// (VISIT_COUNTER_WITH_SQLITE, _POSTGRES, _REDIS, _MEMCACHED).
//
//   sqlite:PATH, sqlite:///ABS   SqliteStore, Django's django_session table
//   file:DIR, file:///ABS        FileStore, Django's file-backend layout and mtime convention
//                                (DIR created if missing)
//   memory:                      MemoryStore
//   signed-cookies:              SignedCookieStore (Django's signed_cookies engine)
//   encrypted-cookies:           EncryptedCookieStore
//   postgresql://, redis://, rediss://, redis+sentinel://, redis+cluster://, unix://, memcached://   with their client libraries
//
// Server stores keep Django's session_data format (DjangoSignedSerializer with the secret key),
// so a Django application with the same SECRET_KEY reads these sessions and the reverse.

#include <sessions/sessions.hpp>
#include <sessions/storage/url.hpp>
#ifdef VISIT_COUNTER_WITH_SQLITE
#include <sessions/storage/sqlite.hpp>
#endif
#ifdef VISIT_COUNTER_WITH_POSTGRES
#include <sessions/storage/postgres.hpp>
#endif
#ifdef VISIT_COUNTER_WITH_REDIS
#include <sessions/storage/redis.hpp>
#endif
#ifdef VISIT_COUNTER_WITH_MEMCACHED
#include <sessions/storage/memcached.hpp>
#endif

#include <filesystem>
#include <string>
#include <string_view>

namespace visit_counter {

/// The URL names a store this program cannot open (unknown scheme, or built without its client
/// library): a usage error.
class UnknownStore : public sessions::Error {
 public:
  using sessions::Error::Error;
};

/// The schemes this build can open, for the usage message.
[[nodiscard]] inline std::string available_schemes() {
  std::string out = "sqlite: file: memory: signed-cookies: encrypted-cookies:";
#ifndef VISIT_COUNTER_WITH_SQLITE
  out.erase(0, std::string_view("sqlite: ").size());
#endif
#ifdef VISIT_COUNTER_WITH_POSTGRES
  out += " postgresql://";
#endif
#ifdef VISIT_COUNTER_WITH_REDIS
  out += " redis:// redis+sentinel:// redis+cluster://";
#endif
#ifdef VISIT_COUNTER_WITH_MEMCACHED
  out += " memcached://";
#endif
  return out;
}

/// Opens the store named by `url` and returns `serve(store, serializer)`, where the serializer
/// is the one the session type should use with that store. `settings` must outlive the call;
/// FileStore's directory (created if missing) is written into it (SESSION_FILE_PATH).
template <class Serve>
int with_store(std::string_view url, const std::string& secret, sessions::Settings& settings, Serve&& serve) {
  const std::string scheme = sessions::url_scheme(url);
  const sessions::DjangoSignedSerializer django_format{secret};
  if (scheme == "file") {
    // Django's mtime convention (last write), so that a Django site can share the directory.
    sessions::FileStore::Options django = sessions::FileStore::options_from_settings(settings);
    django.mtime_meaning = sessions::FileStore::MtimeMeaning::last_write;
    const sessions::FileStore::Options options = sessions::FileStore::options_from_url(url, django);
    std::filesystem::create_directories(options.directory);
    settings.file_path = options.directory;
    sessions::FileStore store{options};
    return serve(store, django_format);
  }
  if (url == "memory:") {
    sessions::MemoryStore store{settings.clock};
    return serve(store, django_format);
  }
  if (url == "signed-cookies:") {
    sessions::SignedCookieStore store{secret};
    return serve(store, sessions::JsonSerializer{});  // the cookie is the signed JSON itself
  }
  if (url == "encrypted-cookies:") {
    sessions::EncryptedCookieStore store{secret};
    return serve(store, sessions::JsonSerializer{});
  }
#ifdef VISIT_COUNTER_WITH_SQLITE
  if (scheme == "sqlite" || scheme == "sqlite3") {
    sessions::SqliteStore store{url, settings.clock, settings.logger};
    return serve(store, django_format);
  }
#endif
#ifdef VISIT_COUNTER_WITH_POSTGRES
  if (scheme == "postgresql" || scheme == "postgres") {
    sessions::PostgresStore store{url, settings.clock, settings.logger};
    return serve(store, django_format);
  }
#endif
#ifdef VISIT_COUNTER_WITH_REDIS
  if (scheme == "redis" || scheme == "rediss" || scheme == "redis+sentinel" || scheme == "redis+cluster" ||
      scheme == "unix") {
    sessions::RedisStore store{url, settings.clock, settings.logger};
    return serve(store, django_format);
  }
#endif
#ifdef VISIT_COUNTER_WITH_MEMCACHED
  if (scheme == "memcached") {
    sessions::MemcachedStore store{url, settings.clock, settings.logger};
    return serve(store, django_format);
  }
#endif
  const bool known = scheme == "sqlite" || scheme == "sqlite3" || scheme == "postgresql" || scheme == "postgres" ||
                     scheme == "redis" || scheme == "rediss" || scheme == "redis+sentinel" ||
                     scheme == "redis+cluster" || scheme == "unix" || scheme == "memcached";
  throw UnknownStore((known ? "this build has no client library for '" + scheme + ":' stores"
                            : "unknown store scheme '" + scheme + ":'") +
                     "; this build opens: " + available_schemes());
}

}  // namespace visit_counter
