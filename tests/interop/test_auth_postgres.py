#!/usr/bin/env python3
"""sessionctl whoami against Django's PostgreSQL database (Debian's python3-django and
python3-psycopg2): Django's db session backend and auth_user in one database, read by the C++
side (PostgresStore for the session, auth::PostgresUserTable for the user). Run inside
tests/servers/postgres.sh, which gives SESSIONS_TEST_POSTGRES_URL.

usage: test_auth_postgres.py PATH/TO/sessionctl   (exits 1 on any failure)
"""
import os
import subprocess
import sys
import urllib.parse

SECRET = "shared secret between Django and C++ for auth on PostgreSQL"
URL = os.environ.get("SESSIONS_TEST_POSTGRES_URL", "")
if not URL:
    print("FAIL: SESSIONS_TEST_POSTGRES_URL is not set (run inside tests/servers/postgres.sh)", file=sys.stderr)
    sys.exit(1)
try:
    import django
    from django.conf import settings
except ImportError:
    print("FAIL: python3-django is not installed; this test must not skip", file=sys.stderr)
    sys.exit(1)

parts = urllib.parse.urlsplit(URL)
settings.configure(
    SECRET_KEY=SECRET, USE_TZ=True, ALLOWED_HOSTS=["testserver"],
    INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions"],
    DATABASES={"default": {"ENGINE": "django.db.backends.postgresql", "NAME": parts.path.lstrip("/"),
                           "USER": parts.username or "", "HOST": parts.hostname, "PORT": parts.port}},
    SESSION_ENGINE="django.contrib.sessions.backends.db",
)
django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

SESSIONCTL = sys.argv[1]
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def whoami(key):
    result = subprocess.run([SESSIONCTL, "whoami", "--store", URL, "--key", SECRET, key],
                            capture_output=True, text=True, timeout=60)
    return result.returncode, result.stdout.strip(), result.stderr.strip()


call_command("migrate", verbosity=0)
dave = User.objects.create_user("dave", password="dave's password")
client = Client()
client.force_login(dave)
key = client.cookies[settings.SESSION_COOKIE_NAME].value
check(whoami(key) == (0, str(dave.pk), ""), "whoami on PostgreSQL prints the id of a Django login")


def sessionctl(*args):
    result = subprocess.run([SESSIONCTL, *args], capture_output=True, text=True, timeout=60)
    return result.returncode, result.stdout, result.stderr


# The per-user index over Django's own table: reindex reads the login Django wrote, user-sessions
# lists it (the key's prefix first, never the whole key).
check(sessionctl("user-sessions", "--store", URL, str(dave.pk)) == (0, "", ""),
      "user-sessions on PostgreSQL lists nothing before reindex")
check(sessionctl("reindex", "--store", URL, "--key", SECRET) == (0, "indexed 1\n", ""),
      "reindex on PostgreSQL indexes Django's login")
code, out, err = sessionctl("user-sessions", "--store", URL, str(dave.pk))
lines = out.splitlines()
check(code == 0 and len(lines) == 1 and lines[0].split("\t")[0] == key[:8] and key not in out,
      f"user-sessions on PostgreSQL lists Django's login after reindex: {out!r} {err!r}")
dave.set_password("dave's new password")
dave.save()
check(whoami(key) == (1, "", "hash mismatch"), "whoami on PostgreSQL: a password changed since the login")
session = client.session
session["_auth_user_id"] = "not a number"
session.save()
check(whoami(key) == (1, "", "unknown user"), "whoami on PostgreSQL: an id the integer key cannot hold is no user")

if failures:
    sys.exit(1)
print("all PostgreSQL auth checks passed")
