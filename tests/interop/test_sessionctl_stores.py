#!/usr/bin/env python3
"""sessionctl's store commands against sessions Django wrote (Debian's python3-django):

  - `show --store URL KEY` prints what Django's SessionStore(key).load() sees, as compact JSON;
    a missing or expired session exits 1 with a message;
  - `clearsessions --store URL` removes the expired sessions and prints how many;
  - a store that cannot be reached is one line on stderr and exit 1, quickly.

Stores: Django's db backend on SQLite (sqlite:///path, sqlite:/path) and its file backend (file:///dir, file:/dir).

usage: test_sessionctl_stores.py PATH/TO/sessionctl      (exits 1 on any failure or without Django)
"""
import datetime
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time

SECRET = "sessionctl store test secret"
try:
    import django
    from django.conf import settings
except ImportError:
    print("FAIL: python3-django is not installed; this test must not skip", file=sys.stderr)
    sys.exit(1)

WORK = tempfile.mkdtemp(prefix="sessionctl-stores-")
DB = os.path.join(WORK, "db.sqlite3")
FILES = os.path.join(WORK, "files")
os.mkdir(FILES)
settings.configure(
    SECRET_KEY=SECRET,
    INSTALLED_APPS=["django.contrib.sessions"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": DB}},
    SESSION_FILE_PATH=FILES,
    USE_TZ=True,
)
django.setup()
from django.core.management import call_command  # noqa: E402

call_command("migrate", "sessions", verbosity=0)
DbStore = importlib.import_module("django.contrib.sessions.backends.db").SessionStore
FileStore = importlib.import_module("django.contrib.sessions.backends.file").SessionStore

CTL = sys.argv[1]
failures = []


def run(*args):
    return subprocess.run([CTL, *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "SESSIONS_SECRET_KEY": SECRET})


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL:", what, flush=True)


DATA = {"num_visits": 3, "user": "Zoë 😀", "cart": [1, 2.5, None]}
for name, Store, url in (("db", DbStore, "sqlite://" + DB), ("file", FileStore, "file://" + FILES)):
    live = Store()
    live.update(DATA)
    live.set_expiry(3600)
    live.save()
    expired = Store()
    expired["old"] = True
    expired.set_expiry(-3600 if name == "db" else 1)
    expired.save()
    if name == "file":  # Django's file backend: an int expiry counts from the file's time
        past = time.time() - 2 * 1209600
        os.utime(os.path.join(FILES, "sessionid" + expired.session_key), (past, past))

    shown = run("show", "--store", url, live.session_key)
    check(shown.returncode == 0, f"{name}: show exit {shown.returncode}: {shown.stderr}")
    check(json.loads(shown.stdout or "null") == DbStore(session_key=live.session_key).load() if name == "db"
          else json.loads(shown.stdout or "null") == FileStore(session_key=live.session_key).load(),
          f"{name}: show printed {shown.stdout!r}")
    check(shown.stdout.strip() == json.dumps(live.load(), separators=(",", ":")),
          f"{name}: show is not Django's compact JSON: {shown.stdout!r}")

    missing = run("show", "--store", url, "abcdefgh12345678abcdefgh12345678")
    check(missing.returncode == 1 and missing.stderr.strip(), f"{name}: a missing session must exit 1 with a message")

    cleared = run("clearsessions", "--store", url)
    check(cleared.returncode == 0 and cleared.stdout.strip() == "1",
          f"{name}: clearsessions printed {cleared.stdout!r} {cleared.stderr!r}")
    survivor = Store(session_key=live.session_key).load()
    survivor.pop("_session_expiry", None)
    check(survivor == DATA, f"{name}: the live session must survive, got {survivor!r}")
    gone = run("show", "--store", url, expired.session_key)
    check(gone.returncode == 1, f"{name}: an expired session must exit 1, got {gone.returncode} {gone.stdout!r}")
    again = run("clearsessions", "--store", url)
    check(again.stdout.strip() == "0", f"{name}: a second clearsessions must remove nothing, printed {again.stdout!r}")

usage = run("show", "--store", "sqlite://" + DB)
check(usage.returncode == 2 and "usage:" in usage.stderr, f"show without a key must be a usage error: {usage.stderr!r}")
unknown = run("clearsessions", "--store", "gopher://host/x")
check(unknown.returncode == 2 and "unknown store scheme 'gopher:'" in unknown.stderr,
      f"an unknown scheme is a usage error that says so: {unknown.stderr!r}")
# An absolute path without an authority (RFC 3986, the form file: URLs use) names the same file.
no_authority = run("clearsessions", "--store", "sqlite:" + DB)
check(no_authority.returncode == 0 and no_authority.stdout.strip() == "0",
      f"sqlite:/abs/path must open the database: {no_authority.returncode} {no_authority.stderr!r}")
no_authority_file = run("clearsessions", "--store", "file:" + FILES)
check(no_authority_file.returncode == 0 and no_authority_file.stdout.strip() == "0",
      f"file:/abs/dir must open the directory: {no_authority_file.returncode} {no_authority_file.stderr!r}")

for url in ("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2", "redis://127.0.0.1:1/0",
            "memcached://127.0.0.1:1"):
    started = time.monotonic()
    down = run("clearsessions", "--store", url) if not url.startswith("memcached") else run(
        "show", "--store", url, "abcdefgh12345678abcdefgh12345678")
    elapsed = time.monotonic() - started
    lines = down.stderr.strip().splitlines()
    check(down.returncode == 1 and len(lines) == 1, f"{url}: unreachable must be one line, exit 1: {down.returncode} {down.stderr!r}")
    check(elapsed < 15, f"{url}: took {elapsed:.1f} s")

if failures:
    print(f"{len(failures)} failure(s)")
    sys.exit(1)
print("sessionctl store commands: OK")
