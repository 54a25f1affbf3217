#!/usr/bin/env python3
"""SQL store interop: Django 3.2's db session backend and our SqliteStore / PostgresStore (with
DjangoSignedSerializer) on the same SQLite file or PostgreSQL database.

usage: test_sql_interop.py sqlite|postgres PATH/TO/sessions_sql_interop

  - Django writes sessions (SessionStore.save, Session.objects.save with an expiry of zero and of
    non-zero microseconds, an already expired one); ours reads the same data and the same expiry
    to the microsecond, and not the expired one;
  - ours writes sessions (a new session through sessions::Session, raw rows with exact expiries,
    an expired row); Django's SessionStore(key).load() and Session.get_decoded() read the same
    data, the same expire_date, and nothing for the expired row;
  - modifications and deletions in either direction are seen by the other;
  - clear_expired (ours) and clearsessions (Django's) each remove the other's expired rows only;
  - the table ours creates is Django's: the same DDL (SQLite) / columns and indexes (PostgreSQL),
    and Django's `migrate --fake-initial` accepts it and works on it.
postgres: the server is SESSIONS_TEST_POSTGRES_URL (tests/servers/postgres.sh sets it).

Exits 1 on any mismatch, and also when Django, psycopg2 or the server is missing: this test must
never silently skip.
"""

import calendar
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

SECRET = "interop-sql-secret-key"
UTC = datetime.timezone.utc


class Checker:
    def __init__(self):
        self.passed = 0
        self.failures = []

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failures.append(what)
            print("FAIL:", what, flush=True)

    def equal(self, got, expected, what):
        self.check(got == expected, "%s: got %r, expected %r" % (what, got, expected))


def micros(dt):
    return calendar.timegm(dt.utctimetuple()) * 1_000_000 + dt.microsecond


class Ours:
    def __init__(self, helper, url):
        self.helper = helper
        self.url = url

    def __call__(self, *args):
        proc = subprocess.run([self.helper, self.url, SECRET] + [str(a) for a in args],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
        if proc.returncode != 0:
            raise RuntimeError("sessions_sql_interop %s failed (%d): %s"
                               % (" ".join(str(a) for a in args), proc.returncode, proc.stderr.decode()))
        return json.loads(proc.stdout)


def configure_django(kind, tmp):
    try:
        import django
        from django.conf import settings
    except ImportError as e:
        sys.exit("FAIL: Django is not importable (%s); install python3-django" % e)
    if kind == "sqlite":
        path = os.path.join(tmp, "django.sqlite3")
        database = {"ENGINE": "django.db.backends.sqlite3", "NAME": path}
        url = "sqlite://" + path
    else:
        try:
            import psycopg2  # noqa: F401
        except ImportError as e:
            sys.exit("FAIL: psycopg2 is not importable (%s); install python3-psycopg2" % e)
        url = os.environ.get("SESSIONS_TEST_POSTGRES_URL")
        if not url:
            sys.exit("FAIL: SESSIONS_TEST_POSTGRES_URL is not set; run under tests/servers/postgres.sh run -- ...")
        parts = urllib.parse.urlsplit(url)
        database = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": parts.path.lstrip("/"),
            "USER": urllib.parse.unquote(parts.username or ""),
            "PASSWORD": urllib.parse.unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
        }
    settings.configure(
        DEBUG=False,
        SECRET_KEY=SECRET,
        USE_TZ=True,
        TIME_ZONE="UTC",
        INSTALLED_APPS=["django.contrib.sessions"],
        SESSION_ENGINE="django.contrib.sessions.backends.db",
        DATABASES={"default": database},
    )
    django.setup()
    return url


def django_side():
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    return SessionStore, Session


def test_django_writes_ours_reads(c, ours):
    SessionStore, Session = django_side()
    data = {"user": "ada", "cart": [1, 2, 3], "nested": {"none": None, "yes": True, "pi": 3.25, "u": "caf\u00e9 \U0001F600"}}
    s = SessionStore()
    s.update(data)
    s.save()
    key = s.session_key
    row = Session.objects.get(pk=key)
    got = ours("load", key)
    c.check(got["found"], "ours loads Django's session")
    if got["found"]:
        c.equal(got["data"], data, "data of Django's session")
        c.equal(got["expires_us"], micros(row.expire_date), "expiry of Django's session (to the microsecond)")
    c.check(ours("exists", key)["exists"], "ours: Django's session exists")

    # Explicit expiries: microsecond 0 (Django omits the fraction in SQLite) and not 0.
    for suffix, when in (("zero", datetime.datetime(2100, 1, 2, 3, 4, 5, 0, tzinfo=UTC)),
                         ("frac", datetime.datetime(2100, 1, 2, 3, 4, 5, 123456, tzinfo=UTC))):
        k = "djangoexplicit" + suffix + "0000000000"
        Session.objects.save(k, {"which": suffix}, when)
        got = ours("load", k)
        c.check(got["found"], "ours loads Django's row with expiry %s" % when)
        if got["found"]:
            c.equal(got["data"], {"which": suffix}, "data of row " + suffix)
            c.equal(got["expires_us"], micros(when), "expiry of row " + suffix)

    # An expired row: absent for ours as for Django.
    e = SessionStore()
    e["x"] = 1
    e.set_expiry(-3600)
    e.save()
    c.check(not ours("load", e.session_key)["found"], "ours: Django's expired session is absent")
    c.check(not ours("exists", e.session_key)["exists"], "ours: Django's expired session does not exist")
    c.check(Session.objects.filter(pk=e.session_key).exists(), "Django's expired row is still in the table")

    # We modify Django's session; Django sees it.
    c.equal(ours("modify", key, json.dumps({"user": "grace"})), {"ok": True, "key": key}, "ours modifies Django's session")
    again = SessionStore(session_key=key)
    c.equal(again.load().get("user"), "grace", "Django reads our modification")
    c.equal(again.load().get("cart"), [1, 2, 3], "Django keeps the other values")
    # Ours never brings back a session Django deleted: the data goes to a new session (as Django).
    SessionStore(session_key=key).delete()
    modified = ours("modify", key, json.dumps({"user": "zombie"}))
    c.check(modified["ok"] and modified["key"] != key, "ours saves into a new session, not the deleted one")
    c.check(not Session.objects.filter(pk=key).exists(), "the deleted session stays deleted")
    c.equal(SessionStore(session_key=modified["key"]).load(), {"user": "zombie"}, "Django reads the new session")
    return e.session_key


def test_ours_writes_django_reads(c, ours):
    SessionStore, Session = django_side()
    data = {"visits": 41, "list": [None, False, "x"], "text": "\u00e9\u00e8 \U0001F680", "f": 0.5}
    saved = ours("save", json.dumps(data))
    key = saved["key"]
    s = SessionStore(session_key=key)
    c.equal(s.load(), data, "Django loads our session")
    c.equal(s.session_key, key, "Django keeps our key")
    row = Session.objects.get(pk=key)
    c.equal(row.get_decoded(), data, "Session.get_decoded() of our row")
    c.equal(micros(row.expire_date), saved["expires_us"], "Django reads our expire_date (to the microsecond)")

    # Raw rows with exact expiries, one of them expired.
    for suffix, when in (("zero", datetime.datetime(2099, 5, 6, 7, 8, 9, 0, tzinfo=UTC)),
                         ("frac", datetime.datetime(2099, 5, 6, 7, 8, 9, 654321, tzinfo=UTC))):
        k = "oursexplicit" + suffix + "000000000000"
        c.equal(ours("put", k, json.dumps({"which": suffix}), micros(when)), {"created": True}, "ours puts " + suffix)
        row = Session.objects.get(pk=k)
        c.equal(row.expire_date, when, "Django reads our expiry " + suffix)
        c.equal(SessionStore(session_key=k).load(), {"which": suffix}, "Django loads our row " + suffix)
    past = datetime.datetime.now(UTC) - datetime.timedelta(hours=1)
    expired_key = "oursexpired00000000000000000000x"
    c.equal(ours("put", expired_key, json.dumps({"x": 1}), micros(past)), {"created": True}, "ours puts an expired row")
    e = SessionStore(session_key=expired_key)
    c.equal(e.load(), {}, "Django: our expired row is absent")
    c.equal(e.session_key, None, "Django drops the key of our expired row")

    # Django modifies our session; ours sees it. Django deletes it; ours sees that.
    s = SessionStore(session_key=key)
    s["visits"] = 42
    s.save()
    got = ours("load", key)
    c.equal(got["data"]["visits"] if got["found"] else None, 42, "ours reads Django's modification")
    s.delete()
    c.check(not ours("load", key)["found"], "ours: the session Django deleted is gone")
    return expired_key


def test_clearing(c, ours, django_expired, ours_expired):
    from django.core.management import call_command
    SessionStore, Session = django_side()
    live = ours("save", json.dumps({"live": True}))["key"]
    before = Session.objects.count()
    removed = ours("clear_expired")["removed"]
    c.check(removed >= 2, "ours clear_expired removed the expired rows (%d)" % removed)
    c.check(not Session.objects.filter(pk__in=[django_expired, ours_expired]).exists(),
            "both expired rows are gone after our clear_expired")
    c.equal(Session.objects.count(), before - removed, "ours removed only expired rows")
    c.check(Session.objects.filter(pk=live).exists(), "the live row survives our clear_expired")

    # And Django's clearsessions on a row of ours.
    past = datetime.datetime.now(UTC) - datetime.timedelta(minutes=5)
    k = "oursexpiredagain000000000000000x"
    ours("put", k, json.dumps({"x": 2}), micros(past))
    call_command("clearsessions")
    c.check(not Session.objects.filter(pk=k).exists(), "Django's clearsessions removes our expired row")
    c.check(Session.objects.filter(pk=live).exists(), "Django's clearsessions keeps our live row")


def test_sqlite_schema(c, helper, tmp, django_path):
    """Our table on a fresh file is Django's, byte for byte, and Django works on it."""
    import sqlite3
    ours_path = os.path.join(tmp, "ours.sqlite3")
    Ours(helper, "sqlite://" + ours_path)("exists", "abcdefghabcdefgh")  # opening creates the table

    def schema(path):
        with sqlite3.connect(path) as conn:
            return sorted(r for r in conn.execute(
                "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'django_session' AND sql IS NOT NULL"))

    c.equal(schema(ours_path), schema(django_path), "the SQLite schema of our table is Django's")


def test_postgres_schema(c, helper, url):
    """Our table in a fresh schema is Django's: columns, types, indexes."""
    from django.db import connection
    with connection.cursor() as cur:
        cur.execute("CREATE SCHEMA ours")
    sep = "&" if "?" in url else "?"
    Ours(helper, url + sep + "options=" + urllib.parse.quote("-c search_path=ours"))("exists", "abcdefghabcdefgh")

    def describe(schema):
        with connection.cursor() as cur:
            cur.execute("SELECT column_name, data_type, character_maximum_length, is_nullable, column_default "
                        "FROM information_schema.columns WHERE table_schema = %s AND table_name = 'django_session' "
                        "ORDER BY ordinal_position", [schema])
            columns = cur.fetchall()
            cur.execute("SELECT indexname, replace(indexdef, %s, '') FROM pg_indexes "
                        "WHERE schemaname = %s AND tablename = 'django_session' ORDER BY indexname",
                        [schema + ".", schema])
            indexes = cur.fetchall()
        return columns, indexes

    ours_columns, ours_indexes = describe("ours")
    django_columns, django_indexes = describe("public")
    c.check(len(django_columns) == 3, "Django's table has 3 columns")
    c.equal(ours_columns, django_columns, "the columns of our table are Django's")
    c.equal(ours_indexes, django_indexes, "the indexes of our table are Django's")


def test_fake_initial(c, kind, helper, tmp, url):
    """Django on a database where ours created the table first: migrate --fake-initial, then both work."""
    code = r'''
import json, os, sys, django
from django.conf import settings
from django.core.management import call_command
settings.configure(SECRET_KEY=%(secret)r, USE_TZ=True, TIME_ZONE="UTC",
                   INSTALLED_APPS=["django.contrib.sessions"], DATABASES={"default": json.loads(sys.argv[1])})
django.setup()
call_command("migrate", "sessions", fake_initial=True, verbosity=0)
from django.contrib.sessions.backends.db import SessionStore
s = SessionStore(session_key=sys.argv[2])
data = s.load()
s["django"] = True
s.save()
print(json.dumps({"data": data, "key": s.session_key}))
''' % {"secret": SECRET}
    if kind == "sqlite":
        path = os.path.join(tmp, "ours-first.sqlite3")
        store_url = "sqlite://" + path
        database = {"ENGINE": "django.db.backends.sqlite3", "NAME": path}
    else:
        from django.db import connection
        with connection.cursor() as cur:
            cur.execute("CREATE SCHEMA oursfirst")
        sep = "&" if "?" in url else "?"
        store_url = url + sep + "options=" + urllib.parse.quote("-c search_path=oursfirst")
        parts = urllib.parse.urlsplit(url)
        database = {"ENGINE": "django.db.backends.postgresql", "NAME": parts.path.lstrip("/"),
                    "USER": parts.username or "", "PASSWORD": parts.password or "", "HOST": parts.hostname or "",
                    "PORT": str(parts.port or ""), "OPTIONS": {"options": "-c search_path=oursfirst"}}
    ours = Ours(helper, store_url)
    key = ours("save", json.dumps({"ours": 1}))["key"]
    proc = subprocess.run([sys.executable, "-c", code, json.dumps(database), key],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    c.check(proc.returncode == 0, "Django migrate --fake-initial on our table: %s" % proc.stderr.decode()[-2000:])
    if proc.returncode == 0:
        out = json.loads(proc.stdout)
        c.equal(out["data"], {"ours": 1}, "Django reads our session in the table ours created")
        c.equal(out["key"], key, "Django keeps the key")
        got = ours("load", key)
        c.equal(got.get("data"), {"ours": 1, "django": True}, "ours reads Django's save in the table ours created")


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("sqlite", "postgres"):
        sys.exit(__doc__)
    kind, helper = sys.argv[1], os.path.abspath(sys.argv[2])
    if not os.access(helper, os.X_OK):
        sys.exit("FAIL: %s is not an executable" % helper)
    tmp = tempfile.mkdtemp(prefix="sessions-sql-interop-")
    c = Checker()
    try:
        url = configure_django(kind, tmp)
        from django.core.management import call_command
        call_command("migrate", "sessions", verbosity=0)
        ours = Ours(helper, url)
        django_expired = test_django_writes_ours_reads(c, ours)
        ours_expired = test_ours_writes_django_reads(c, ours)
        test_clearing(c, ours, django_expired, ours_expired)
        if kind == "sqlite":
            test_sqlite_schema(c, helper, tmp, os.path.join(tmp, "django.sqlite3"))
        else:
            test_postgres_schema(c, helper, url)
        test_fake_initial(c, kind, helper, tmp, url)
    except Exception as e:  # a crash is a failure with its reason, never a silent pass
        import traceback
        traceback.print_exc()
        c.failures.append("exception: %r" % e)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%s: %d checks passed, %d failed" % (kind, c.passed, len(c.failures)))
    if c.passed == 0:
        print("%s: FAILED: no check ran" % kind)  # a run that checked nothing proves nothing
    sys.exit(1 if c.failures or c.passed == 0 else 0)


if __name__ == "__main__":
    main()
