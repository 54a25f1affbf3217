// docs/django-guide.md, "Sharing sessions with a Django application: SQLite". The C++ side of
// examples/django_site: Django's django_session table in the same SQLite file, Django's signed
// session_data, the same SECRET_KEY. Run by CTest (docs_snippet_sqlite_django) on a file in the
// build tree; examples/django_site and tests/interop check the Django side.
//
//   sqlite_django [DATABASE]      default: sessions.db, as examples/django_site
#include <sessions/sessions.hpp>
#include <sessions/storage/sqlite.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace {
// settings.py: SECRET_KEY = os.environ["SESSIONS_SECRET_KEY"]
std::string secret_key() {
  const char* key = std::getenv("SESSIONS_SECRET_KEY");
  return key != nullptr && *key != '\0' ? key : "sessions-visit-counter-insecure-development-key";
}
}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path database = argc > 1 ? argv[1] : "sessions.db";

  // SESSION_ENGINE = "django.contrib.sessions.backends.db" on DATABASES["default"] (sqlite3)
  using SessionT = sessions::Session<sessions::SqliteStore, sessions::DjangoSignedSerializer>;
  sessions::Settings settings;                                   // Django's defaults
  sessions::SqliteStore store{sessions::SqliteStore::Options{.path = database}};
  const sessions::DjangoSignedSerializer serializer{secret_key()};  // salt: django.contrib.sessions.SessionStore
  const sessions::Middleware<SessionT> middleware{store, settings, serializer};

  SessionT session = middleware.open("");                        // a request without a cookie
  session.set("num_visits", session.get("num_visits", 0) + 1);
  const sessions::HeaderFields headers = middleware.finish(session, 200);  // INSERT INTO django_session
  const std::string key = *session.session_key();

  // What Django's SessionStore(session_key=key).load() reads: the row, then signing.loads().
  const auto row = store.load(key);
  const bool shared = row && serializer.loads(row->payload) == sessions::Data{{"num_visits", 1}};
  SessionT next = middleware.open("sessionid=" + key);
  const bool read_back = next.get("num_visits", 0) == 1;

  std::printf("%s: session %s... in django_session, session_data %s\n", database.c_str(),
              std::string(sessions::loggable_key_prefix(key)).c_str(), shared ? "in Django's format" : "WRONG");
  return shared && read_back && !headers.empty() ? 0 : 1;
}
