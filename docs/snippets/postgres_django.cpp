// docs/django-guide.md, "Sharing sessions with a Django application: PostgreSQL": Django's
// django_session table in the database of the Django project (DATABASES["default"]), Django's
// signed session_data, the same SECRET_KEY. Run by CTest (docs_snippet_postgres_django) inside
// tests/servers/postgres.sh, which provides a throw-away server.
//
//   postgres_django [URL]     default: $SESSIONS_TEST_POSTGRES_URL, else $DATABASE_URL
#include <sessions/sessions.hpp>
#include <sessions/storage/postgres.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {
std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}
}  // namespace

int main(int argc, char** argv) {
  std::string url = argc > 1 ? argv[1] : env("SESSIONS_TEST_POSTGRES_URL");
  if (url.empty()) url = env("DATABASE_URL");
  if (url.empty()) {
    std::fprintf(stderr, "postgres_django: give a postgresql:// URL\n");
    return 2;
  }
  const std::string secret_key = env("SESSIONS_SECRET_KEY").empty() ? "dev key" : env("SESSIONS_SECRET_KEY");

  // DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "HOST": ..., "NAME": ...}}
  using SessionT = sessions::Session<sessions::PostgresStore, sessions::DjangoSignedSerializer>;
  sessions::Settings settings;
  sessions::PostgresStore store{url};  // e.g. "postgresql://app@db.internal/app?pool_size=8&sslmode=require"
  const sessions::Middleware<SessionT> middleware{store, settings, sessions::DjangoSignedSerializer{secret_key}};

  SessionT session = middleware.open("");
  session.set("num_visits", 1);
  const sessions::HeaderFields headers = middleware.finish(session, 200);

  SessionT next = middleware.open("sessionid=" + *session.session_key());
  const bool ok = next.get("num_visits", 0) == 1 && !headers.empty();
  next.flush();
  std::printf("PostgreSQL django_session: %s\n", ok ? "written and read back" : "WRONG");
  return ok ? 0 : 1;
}
