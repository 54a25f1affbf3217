"""Settings of the Django twin of examples/visit_counter.

Everything that decides how a session looks on the wire or on disk is Django's default, which is
also what the C++ library's sessions::Settings defaults to: cookie `sessionid`, two weeks,
HttpOnly, SameSite=Lax, JSONSerializer, USE_TZ=True (expire_date is naive UTC text in SQLite).
Only what the two sites must agree on comes from the environment:

  SESSIONS_SECRET_KEY     the secret both sites sign with (the C++ site reads the same variable);
                          unset: the C++ site's insecure development key, with a warning
  SESSIONS_DJANGO_DB      the SQLite file; give the C++ site `--store sqlite:///<same path>`
                          (default: sessions.db in the current directory, the C++ default too)
  SESSIONS_DJANGO_ENGINE  `db` (default: django.contrib.sessions.backends.db, table
                          django_session) or `signed_cookies` (the session lives in the cookie;
                          give the C++ site `--store signed-cookies:`)
  SESSIONS_DJANGO_DEBUG   `1` for Django's debug pages

Django's users and messages are installed too (auth_user in the same file, messages in the
session), so that a login on either site, and its message, is seen by the other.
"""
import os
import sys

# The C++ site's fallback (examples/visit_counter): both fall back to the same key, so that the
# pair works out of the box on a developer's machine. Never use it for anything real.
_DEVELOPMENT_KEY = "visit-counter-insecure-development-key-do-not-deploy"

SECRET_KEY = os.environ.get("SESSIONS_SECRET_KEY", "")
if not SECRET_KEY:
    SECRET_KEY = _DEVELOPMENT_KEY
    print("django_site: SESSIONS_SECRET_KEY is not set; using the insecure development key",
          file=sys.stderr)

_ENGINES = {
    "db": "django.contrib.sessions.backends.db",
    "signed_cookies": "django.contrib.sessions.backends.signed_cookies",
}
_engine = os.environ.get("SESSIONS_DJANGO_ENGINE", "db")
if _engine not in _ENGINES:
    raise SystemExit(f"django_site: SESSIONS_DJANGO_ENGINE must be one of {', '.join(_ENGINES)}, not {_engine!r}")
SESSION_ENGINE = _ENGINES[_engine]
SESSION_SERIALIZER = "django.contrib.sessions.serializers.JSONSerializer"

DEBUG = os.environ.get("SESSIONS_DJANGO_DEBUG") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

# Django's users and messages, as the C++ site's `--user-table` login reads them: auth_user in the
# same SQLite file (migrate creates it), the _auth_user_* session keys, and the messages kept in
# the session (`_messages`), not in a cookie of their own, so that the other site can show them.
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "django.contrib.messages",
                  "django.contrib.sessions"]
# No CSRF middleware: POST /session.json and /login take requests from scripts and tests, as the
# C++ site does. A real application keeps CsrfViewMiddleware.
MIDDLEWARE = ["django.contrib.sessions.middleware.SessionMiddleware",
              "django.contrib.auth.middleware.AuthenticationMiddleware",
              "django.contrib.messages.middleware.MessageMiddleware"]
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
ROOT_URLCONF = "django_site.urls"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.path.abspath(os.environ.get("SESSIONS_DJANGO_DB", "sessions.db")),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = False

# Logging: Django's default (runserver logs one line per request on stderr).
