#!/usr/bin/env python3
"""sessionctl's store commands against sessions Django wrote (Debian's python3-django):

  - `show --store URL KEY` prints what Django's SessionStore(key).load() sees, as compact JSON;
    a missing or expired session exits 1 with a message;
  - `clearsessions --store URL` removes the expired sessions and prints how many;
  - a store that cannot be reached is one line on stderr and exit 1, quickly;
  - the per-user index: sessions Django wrote with `_auth_user_id` appear in `user-sessions` once
    `reindex` has read them (one line each, the documented fields); `revoke-user --except KEY`
    deletes the others (Django no longer finds them); `purge --batch N` removes the expired ones;
    a store without the index (memcached) is refused with exit 1.

Stores: Django's db backend on SQLite (sqlite:///path, sqlite:/path) and its file backend (file:///dir, file:/dir).

usage: test_sessionctl_stores.py PATH/TO/sessionctl      (exits 1 on any failure or without Django)
"""
import base64
import datetime
import importlib
import re
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
SessionRow = importlib.import_module("django.contrib.sessions.models").Session

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



class Batch:
    """Many sessionctl commands in one `sessionctl batch` process (one start, not one per command)."""

    def __init__(self):
        self.proc = subprocess.Popen([CTL, "batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def run(self, *args):
        self.proc.stdin.write(json.dumps({"args": list(args), "stdin": ""}) + "\n")
        self.proc.stdin.flush()
        answer = json.loads(self.proc.stdout.readline())

        def text(field):
            return base64.urlsafe_b64decode(answer[field] + "=" * (-len(answer[field]) % 4)).decode()
        return answer["status"], text("stdout"), text("stderr")

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


# KEY_PREFIX  CREATED  LAST_SEEN  EXPIRES  USER_AGENT  ADDRESS (user_commands.hpp)
ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
LISTING_LINE = re.compile(rf"([a-z0-9]{{8}})\t({ISO})\t({ISO})\t({ISO})\t(-)\t(-)")


def listed(answer, what):
    """The lines of a user-sessions answer, each checked against the documented format."""
    status, out, err = answer
    check(status == 0 and err == "", f"{what}: exit {status}, stderr {err!r}")
    check(out == "" or out.endswith("\n"), f"{what}: every line ends with a newline: {out!r}")
    lines = out.splitlines()
    for line in lines:
        check(LISTING_LINE.fullmatch(line) is not None, f"{what}: {line!r} is not KEY_PREFIX CREATED LAST_SEEN "
                                                       "EXPIRES - - (tab-separated)")
    return [LISTING_LINE.fullmatch(line) for line in lines if LISTING_LINE.fullmatch(line)]


def utc_text(when):
    return when.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


ctl = Batch()
for name, Store, url in (("db", DbStore, "sqlite://" + DB), ("file", FileStore, "file://" + FILES)):
    def login(user_id, expiry=3600):
        # What Django's login() leaves in a session (the hash is not checked by the index).
        session = Store()
        session.update({"_auth_user_id": user_id, "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
                        "_auth_user_hash": "0" * 64, "num_visits": 1})
        session.set_expiry(expiry)
        session.save()
        return session

    desk, laptop, other_user = login("42"), login("42"), login("7")
    anonymous = Store()
    anonymous["num_visits"] = 5
    anonymous.save()
    check(listed(ctl.run("user-sessions", "--store", url, "42"), f"{name}: before reindex") == [],
          f"{name}: nothing is listed before reindex (Django's writes keep no index)")
    status, out, err = ctl.run("reindex", "--store", url, "--key", SECRET)
    check((status, out, err) == (0, "indexed 3\n", ""), f"{name}: reindex: {status} {out!r} {err!r}")
    rows = listed(ctl.run("user-sessions", "--store", url, "42"), f"{name}: user 42")
    check(sorted(m.group(1) for m in rows) == sorted([desk.session_key[:8], laptop.session_key[:8]]),
          f"{name}: user 42's two Django sessions are listed by their key prefix: {[m.group(0) for m in rows]}")
    for m in rows:
        session = desk if desk.session_key.startswith(m.group(1)) else laptop
        if name == "db":  # Django's own expiry: the row's expire_date
            stored = SessionRow.objects.get(session_key=session.session_key).expire_date
            check(m.group(4) == utc_text(stored), f"{name}: the listed expiry {m.group(4)} is the row's {stored}")
        else:  # the file's: a date to come (the file backend keeps no date of its own)
            check(m.group(4) > utc_text(datetime.datetime.now(datetime.timezone.utc)),
                  f"{name}: the listed expiry {m.group(4)} is to come")
        check(session.session_key not in m.group(0), f"{name}: a line never holds the whole key")
    check(len(listed(ctl.run("user-sessions", "--store", url, "7"), f"{name}: user 7")) == 1,
          f"{name}: user 7's session is listed")
    check(ctl.run("user-sessions", "--store", url, "99") == (0, "", ""), f"{name}: a user without sessions: no line")
    again = ctl.run("reindex", "--store", url, "--key", SECRET)
    check(again[1] == "indexed 3\n" and len(listed(ctl.run("user-sessions", "--store", url, "42"), name)) == 2,
          f"{name}: a second reindex lists each session once: {again!r}")

    status, out, err = ctl.run("revoke-user", "--store", url, "42", "--except", desk.session_key)
    check((status, out) == (0, "1\n"), f"{name}: revoke-user --except revokes the one other session: {out!r} {err!r}")
    check(not Store().exists(laptop.session_key) and Store().exists(desk.session_key),
          f"{name}: Django no longer finds the revoked session, and still finds the kept one")
    rows = listed(ctl.run("user-sessions", "--store", url, "42"), f"{name}: after revoke-user")
    check([m.group(1) for m in rows] == [desk.session_key[:8]], f"{name}: only the kept session is listed")
    check(ctl.run("revoke-user", "--store", url, "7")[1] == "1\n" and not Store().exists(other_user.session_key),
          f"{name}: revoke-user without --except logs the user out everywhere")

    stale = [login("42", expiry=-3600 if name == "db" else 1) for _ in range(3)]
    for session in stale:
        if name == "file":  # an int expiry counts from the file's time: age the files
            past = time.time() - 2 * 1209600
            os.utime(os.path.join(FILES, "sessionid" + session.session_key), (past, past))
    check(ctl.run("purge", "--store", url, "--batch", "2")[:2] == (0, "3\n"),
          f"{name}: purge --batch 2 removes the three expired sessions in steps of two")
    check(ctl.run("purge", "--store", url, "--batch", "2")[:2] == (0, "0\n"), f"{name}: then nothing is left")
    check(Store().exists(desk.session_key) and Store().exists(anonymous.session_key),
          f"{name}: purge leaves the live sessions")

refused = ctl.run("user-sessions", "--store", "memcached://127.0.0.1:1", "42")
check(refused[0] == 1 and refused[2].startswith("Unsupported: ") and refused[1] == "",
      f"a store without the index is refused with exit 1: {refused!r}")
usage = ctl.run("purge", "--store", "sqlite://" + DB, "--batch", "0")
check(usage[0] == 2 and "usage:" in usage[2], f"purge --batch 0 is a usage error: {usage!r}")
ctl.close()

if failures:
    print(f"{len(failures)} failure(s)")
    sys.exit(1)
print("sessionctl store commands: OK")
