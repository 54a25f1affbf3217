#!/usr/bin/env python3
"""The visit counter's Django logins (--user-table), against Django 3.2 on one SQLite file:

  - Django creates the tables and a user (migrate, create_user: a pbkdf2_sha256 hash);
  - POST /login with a wrong password is refused (403), with the right one answers "Logged in as
    NAME"; the next page shows the success message and "Logged in as NAME", the page after that
    only the latter (the message is shown once);
  - Django's own test client sees the C++ login as request.user (same session table);
  - a password changed in Django logs the C++ session out at its next request;
  - a user logged in through Django's test client is "Logged in as NAME" on the C++ site.

usage: check_django_login.py path/to/visit_counter   (exits 1 on any failure; Django is required)
"""
import http.cookiejar
import os
import re
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request

SECRET = "check-django-login-secret"
DIRECTORY = tempfile.mkdtemp(prefix="visit-counter-login-")
DB = os.path.join(DIRECTORY, "site.sqlite3")

try:
    import django
    from django.conf import settings
except ImportError:
    print("FAIL: python3-django is not installed; this test must not skip", file=sys.stderr)
    sys.exit(1)

settings.configure(
    SECRET_KEY=SECRET, ALLOWED_HOSTS=["testserver"], USE_TZ=True,
    INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": DB}},
    MIDDLEWARE=["django.contrib.sessions.middleware.SessionMiddleware",
                "django.contrib.auth.middleware.AuthenticationMiddleware"],
    ROOT_URLCONF=__name__,
)
django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import path  # noqa: E402

urlpatterns = [path("whoami", lambda request: HttpResponse(request.user.username or "anonymous"))]
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


class Browser:
    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(self, url, fields=None):
        data = urllib.parse.urlencode(fields).encode() if fields is not None else None
        try:
            with self.opener.open(urllib.request.Request(url, data=data)) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def session_key(self):
        return next((c.value for c in self.jar if c.name == "sessionid"), None)


call_command("migrate", verbosity=0)
alice = User.objects.create_user("alice", password="alice's password")

env = dict(os.environ, SESSIONS_SECRET_KEY=SECRET)
url = "sqlite:///" + DB
server = subprocess.Popen([sys.argv[1], "--port", "0", "--store", url, "--user-table", url], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, env=env)
try:
    line = server.stdout.readline().strip()
    assert re.fullmatch(r"listening on http://127\.0\.0\.1:\d+/", line), line
    base = line[len("listening on "):]
    browser = Browser()
    status, _ = browser.request(base + "login", {"user": "alice", "password": "wrong"})
    check(status == 403, "a wrong password is refused")
    status, body = browser.request(base + "login", {"user": "alice", "password": "alice's password"})
    check(status == 200 and "Logged in as alice" in body, "the right password: Logged in as alice")
    _, body = browser.request(base)
    check("Welcome back, alice." in body and 'class="success"' in body and "Logged in as alice" in body,
          "the next page shows the success message and who is logged in")
    _, body = browser.request(base)
    check("Welcome back" not in body and "Logged in as alice" in body, "the message is shown once")

    django_client = Client()
    django_client.cookies["sessionid"] = browser.session_key()
    check(django_client.get("/whoami").content.decode() == "alice", "Django sees the C++ login as request.user")

    alice.set_password("a new password")
    alice.save()
    _, body = browser.request(base)
    check("Logged in as" not in body, "a password changed in Django logs the C++ session out")
    check(django_client.get("/whoami").content.decode() == "anonymous", "... for Django too (the session was flushed)")

    django_login = Client()
    django_login.force_login(alice)
    other = Browser()
    cookie = http.cookiejar.Cookie(0, "sessionid", django_login.cookies["sessionid"].value, None, False, "127.0.0.1",
                                   False, False, "/", True, False, None, False, None, None, {})
    other.jar.set_cookie(cookie)
    _, body = other.request(base)
    check("Logged in as alice" in body, "a Django login is 'Logged in as alice' on the C++ site")
finally:
    server.send_signal(2)
    out, err = server.communicate(timeout=20)
    if failures:
        print(err, file=sys.stderr)

if failures:
    sys.exit(1)
print("all Django login checks passed")
