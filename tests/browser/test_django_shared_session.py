#!/usr/bin/env python3
"""One session, two sites: examples/visit_counter (C++) and examples/django_site (Django 3.2)
run side by side with the same secret key, and ONE client drives both. Cookies belong to a host,
not to a port, so 127.0.0.1:A and 127.0.0.1:B share `sessionid`, as a browser's would.

Twice: with stored sessions (the C++ SqliteStore and Django's db backend on the same SQLite
file, table django_session) and with signed-cookie sessions (`--store signed-cookies:` and
Django's signed_cookies engine). Each time:

  - the visit count continues across the two sites (Django 1, C++ 2, Django 3, ...);
  - a value set through Django's /session.json is read by the C++ handler, and the reverse,
    including non-ASCII text and nested values;
  - the test cookie set by one site is seen by the other's /about;
  - /login on one site cycles the key and the other sees the user; the pre-login key is dead;
  - set_expiry(30) made by one site (/short) gives the other's cookie Max-Age=30;
  - a tampered cookie is a fresh session on both sites;
  - logout on one site ends the session on the other: with stored sessions a copy of the cookie
    is dead on both; with signed cookies it still works on both (Django's documented limit).
With stored sessions also: the table the C++ store creates on a fresh file is exactly the one
Django's migrate creates, Django adopts such a file with `migrate --fake-initial` and continues
its sessions, and Django's clearsessions removes a row C++ wrote once it expired.

--browser: the same journey in headless Chromium (one browser, both sites), with screenshots in
--artifacts.

usage: test_django_shared_session.py --cpp PATH/visit_counter --django PATH/manage.py
                                     [--browser --artifacts DIR]
"""
import argparse
import datetime
import json
import os
import re
import shutil
import sqlite3
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

UNICODE_TEXT = "Zoë ✓ 😀 \"quoted\" <tag> & 'apostrophe'"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cpp", required=True, metavar="VISIT_COUNTER")
    parser.add_argument("--django", required=True, metavar="MANAGE_PY")
    parser.add_argument("--browser", action="store_true", help="drive the two sites with headless Chromium")
    parser.add_argument("--artifacts", help="directory for the request logs (and screenshots with --browser)")
    return parser.parse_args()


def set_cookie_header(headers):
    """The response's sessionid Set-Cookie header, or None."""
    for value in headers.get_all("Set-Cookie") or []:
        if value.lstrip().startswith("sessionid="):
            return value
    return None


def max_age(headers):
    value = set_cookie_header(headers)
    match = re.search(r"Max-Age=(\d+)", value or "", re.IGNORECASE)
    return int(match.group(1)) if match else None


def tamper(value):
    """Changes one character of a cookie value (a key, or the payload of a signed cookie)."""
    i = 1 if value.startswith(".") else 0
    return value[:i] + ("a" if value[i] != "a" else "b") + value[i + 1:]


class SharedSessionTest:
    def __init__(self, args):
        self.args = args
        self.checks = harness.Checks()
        self.work = harness.temp_dir("sessions-django-site-")
        self.artifacts = harness.make_dir(args.artifacts) if args.artifacts else None
        self.python = sys.executable
        self.prefix = "shared-browser-" if args.browser else "shared-http-"

    def log_path(self, name):
        return os.path.join(self.artifacts, self.prefix + name) if self.artifacts else None

    def start_pair(self, engine, database):
        """Django first: `migrate` creates django_session, which the C++ store then opens."""
        label = "db" if engine == "db" else "signed-cookies"
        django = harness.DjangoSite(self.args.django, self.python, engine, database,
                                    log_path=self.log_path(f"{label}-django-requests.log"))
        store = f"sqlite://{database}" if engine == "db" else "signed-cookies:"
        try:
            cpp = harness.CppSite(self.args.cpp, store, log_path=self.log_path(f"{label}-cpp-requests.log"),
                                  stderr_path=self.log_path(f"{label}-cpp-stderr.log"))
        except SystemExit:
            django.stop()
            raise
        return django, cpp

    # --------------------------------------------------------------------------- over HTTP

    def journey(self, engine, django, cpp):
        """The shared-session checks with one urllib cookie jar."""
        c = self.checks
        stored = engine == "db"
        what = f"[{engine}]"
        client = harness.HttpClient()

        def visits(site, path="", expected=None, label=""):
            status, headers, body = client.get(site.url + path)
            c.equal(status, 200, f"{what} GET {site.url}{path} {label}")
            n = harness.visits(body)
            if expected is not None:
                c.equal(n, expected, f"{what} Visits on {'Django' if site is django else 'C++'} /{path} {label}")
            return headers, body

        # The count continues across the sites.
        visits(django, "", 1, "(Django starts the session)")
        first = client.cookie()
        c.check(first is not None, f"{what} Django set a sessionid cookie")
        headers, _ = visits(cpp, "", 2, "(C++ continues Django's session)")
        if stored:
            c.equal(client.cookie(), first, f"{what} C++ keeps Django's session key")
        visits(django, "", 3, "(Django continues after C++)")
        visits(cpp, "", 4)
        visits(django, "", 5)

        # Values set through one site's /session.json are read by the other's.
        from_django = {"from_django": UNICODE_TEXT, "nested": {"list": [1, 2.5, None, True, "x"], "n": -(2 ** 40)}}
        status, _, body = client.post_json(django.url + "session.json", from_django)
        c.equal(status, 200, f"{what} POST Django /session.json")
        status, _, body = client.get(cpp.url + "session.json")
        data = json.loads(body) if status == 200 else {}
        c.equal(status, 200, f"{what} GET C++ /session.json")
        for key, value in from_django.items():
            c.equal(data.get(key), value, f"{what} C++ reads `{key}` set by a Django view")
        c.equal(data.get("num_visits"), 5, f"{what} C++ reads num_visits")
        c.equal(data.get("testcookie"), "worked", f"{what} C++ sees Django's test cookie in the session")

        from_cpp = {"from_cpp": ["C++ ✓", {"deep": {"er": [None]}}], "num_visits": 41}
        status, _, body = client.post_json(cpp.url + "session.json", from_cpp)
        c.equal(status, 200, f"{what} POST C++ /session.json")
        status, _, body = client.get(django.url + "session.json")
        data = json.loads(body) if status == 200 else {}
        c.equal(status, 200, f"{what} GET Django /session.json")
        for key, value in from_cpp.items():
            c.equal(data.get(key), value, f"{what} Django reads `{key}` changed by a C++ handler")
        c.equal(data.get("from_django"), UNICODE_TEXT, f"{what} Django's own value is still there")
        visits(django, "", 42, "(Django counts on from C++'s change)")
        visits(cpp, "", 43)

        # Test cookie: set by C++'s /, seen by Django's /about (and the reverse, on a fresh jar below).
        _, body = visits(django, "about", 43, "(/about does not count)")
        c.check("Test cookie worked" in body, f"{what} Django's /about: the test cookie worked")

        # Login on C++: a new key, the user is seen by Django, the old key is dead on Django.
        before_login = client.cookie()
        status, _, body = client.post_form(cpp.url + "login", {"user": "alice"})
        c.check(status == 200 and "Logged in as alice" in body, f"{what} C++ /login: {status} {body[:200]!r}")
        after_login = client.cookie()
        c.check(after_login != before_login, f"{what} C++ /login changed the cookie")
        status, _, body = client.get(django.url + "session.json")
        data = json.loads(body) if status == 200 else {}
        c.equal(data.get("user"), "alice", f"{what} Django sees the user C++ logged in")
        c.equal(data.get("num_visits"), 43, f"{what} the count survives C++'s key cycle")
        if stored:
            client.set_cookie(before_login)
            visits(django, "", 1, "(the pre-login key is dead for Django too)")
            client.set_cookie(after_login)

        # Login on Django: C++ sees the user.
        before_login = client.cookie()
        status, _, body = client.post_form(django.url + "login", {"user": "bob"})
        c.check(status == 200 and "Logged in as bob" in body, f"{what} Django /login: {status} {body[:200]!r}")
        c.check(client.cookie() != before_login, f"{what} Django /login changed the cookie")
        _, body = visits(cpp, "about", None)
        c.check("User: bob" in body, f"{what} C++'s /about shows the user Django logged in: {body[:300]!r}")
        if stored:
            saved = client.cookie()
            client.set_cookie(before_login)
            visits(cpp, "", 1, "(the pre-login key is dead for C++ too)")
            client.set_cookie(saved)

        # set_expiry(30) by one site is honoured by the other.
        headers, _ = visits(django, "short")
        c.equal(max_age(headers), 30, f"{what} Django /short: Max-Age")
        headers, _ = visits(cpp, "")
        c.equal(max_age(headers), 30, f"{what} C++ keeps Django's set_expiry(30): Max-Age")
        status, _, body = client.get(cpp.url + "session.json")
        c.equal(json.loads(body).get("_session_expiry") if status == 200 else None, 30,
                f"{what} _session_expiry as Django stores it")
        for first_site, second_site, name in ((cpp, django, "C++ then Django"), (django, cpp, "Django then C++")):
            fresh = harness.HttpClient()
            status, headers, _ = fresh.get(first_site.url + "short")
            c.equal(max_age(headers), 30, f"{what} {name}: /short Max-Age")
            status, headers, body = fresh.get(second_site.url)
            c.equal(max_age(headers), 30, f"{what} {name}: the other site keeps the 30 s expiry")
            c.equal(harness.visits(body), 2, f"{what} {name}: the count continues")
            status, _, body = fresh.get(second_site.url + "about")
            c.check("Test cookie worked" in body, f"{what} {name}: the test cookie crosses over")

        # A tampered cookie: a fresh session on both sites.
        value = client.cookie()
        for site, name in ((cpp, "C++"), (django, "Django")):
            client.set_cookie(tamper(value))
            headers, _ = visits(site, "", 1, f"(a tampered cookie is a fresh session for {name})")
            c.check(client.cookie() not in (None, tamper(value), value), f"{what} {name} gives a new cookie")
        client.set_cookie(value)

        # Logout on Django: the cookie goes; with stored sessions the key is dead for C++ as well.
        replay = harness.HttpClient()  # someone who kept a copy of the cookie
        replay.set_cookie(value)
        _, _, body = replay.get(cpp.url + "about")
        c.check("User: bob" in body, f"{what} the copied cookie works before logout: {body[:300]!r}")
        status, headers, body = client.request(django.url + "logout", data=b"", method="POST")
        c.check(status == 200 and "Logged out" in body, f"{what} Django /logout")
        c.equal(client.cookie(), None, f"{what} Django /logout deletes the cookie")
        if stored:
            status, headers, body = replay.get(cpp.url + "about")
            c.equal(harness.visits(body), 0, f"{what} C++ after Django's logout: the copied cookie's session is gone")
            c.check("User:" not in body, f"{what} C++ after Django's logout: no user")
            c.check("Max-Age=0" in (set_cookie_header(headers) or ""),
                    f"{what} C++ deletes the dead cookie: {set_cookie_header(headers)!r}")
        else:
            # Django's documented limit of signed-cookie sessions, which the C++ store shares: the
            # server keeps nothing to revoke, so a copy of the cookie outlives a logout.
            for site, name in ((cpp, "C++"), (django, "Django")):
                _, _, body = replay.get(site.url + "about")
                c.check("User: bob" in body, f"{what} a copied signed cookie still works on {name} after logout")

    def compare_schema(self, migrated_db):
        """The C++ store's table on a fresh file is Django's (the same DDL text, the same index)."""
        c = self.checks
        fresh_db = os.path.join(self.work, "cpp-created.db")
        cpp = harness.CppSite(self.args.cpp, f"sqlite://{fresh_db}", stderr_path=None)
        client = harness.HttpClient()
        client.get(cpp.url)
        c.equal(cpp.stop(), 0, "the C++ site exits with status 0 on SIGTERM")

        def schema(path):
            with sqlite3.connect(path) as db:
                return sorted(db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                                         "WHERE tbl_name = 'django_session'").fetchall())

        ours, django = schema(fresh_db), schema(migrated_db)
        c.check(len(django) == 3, f"Django's migrate: table, primary key index and expire_date index: {django!r}")
        c.equal(ours, django, "the C++ store creates exactly Django's django_session table and indexes")

        # Django adopting a file the C++ site started: `migrate --fake-initial` accepts the table
        # as its own, and the visitor's session goes on.
        site = harness.DjangoSite(self.args.django, self.python, "db", fresh_db, migrate_args=("--fake-initial",))
        try:
            _, _, body = client.get(site.url)
            c.equal(harness.visits(body), 2, "Django (migrate --fake-initial) continues the session C++ started")
        finally:
            site.stop()

    def clearsessions(self, django, cpp, database):
        """A session C++ wrote, expired, is removed by Django's clearsessions."""
        c = self.checks
        client = harness.HttpClient()
        client.get(cpp.url)
        key = client.cookie()
        past = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=5)).replace(tzinfo=None)
        with sqlite3.connect(database, timeout=10) as db:
            c.equal(db.execute('UPDATE "django_session" SET "expire_date" = ? WHERE "session_key" = ?',
                               (past.strftime("%Y-%m-%d %H:%M:%S.%f"), key)).rowcount, 1,
                    "aging the session C++ wrote")
        django.manage("clearsessions")
        with sqlite3.connect(database, timeout=10) as db:
            left = db.execute('SELECT count(*) FROM "django_session" WHERE "session_key" = ?', (key,)).fetchone()[0]
        c.equal(left, 0, "Django's clearsessions removed the expired session C++ wrote")
        _, _, body = client.get(cpp.url)
        c.equal(harness.visits(body), 1, "the cleared session is a fresh one for C++")

    # ------------------------------------------------------------------------ in a browser

    def browser_journey(self, engine, django, cpp, browser):
        c = self.checks
        what = f"[browser, {engine}]"
        browser.driver.get(cpp.url + "about")
        browser.driver.delete_all_cookies()
        expected = 0
        for site, name in ((django, "Django"), (cpp, "C++"), (django, "Django"), (cpp, "C++")):
            expected += 1
            text = browser.get(site.url)
            c.equal(harness.visits(text), expected, f"{what} Visits on {name}")
        cookie = browser.session_cookie()
        c.check(cookie is not None and cookie.get("httpOnly") and cookie.get("sameSite") == "Lax",
                f"{what} one HttpOnly SameSite=Lax cookie for both sites: {cookie!r}")
        text = browser.get(django.url + "about")
        c.check("Test cookie worked" in text and harness.visits(text) == expected,
                f"{what} Django's /about after C++'s visit: {text!r}")
        self.screenshot(browser, f"{engine.replace('_', '-')}-django-about")
        browser.driver.get(cpp.url + "about")
        browser.submit_form("/login", {"user": "carol"})
        text = browser.wait_for_text("Logged in as carol")
        c.check("Logged in as carol" in text, f"{what} C++ /login in the browser: {text!r}")
        text = browser.get(django.url + "about")
        c.check("User: carol" in text, f"{what} Django's /about shows the user logged in through C++: {text!r}")
        self.screenshot(browser, f"{engine.replace('_', '-')}-django-sees-cpp-login")
        status, body = browser.fetch("/logout", method="POST", body="", content_type="text/plain")
        c.check(status == 200 and "Logged out" in body, f"{what} Django /logout via fetch: {status} {body[:100]!r}")
        c.equal(browser.session_cookie(), None, f"{what} logout deleted the cookie")
        text = browser.get(cpp.url)
        c.equal(harness.visits(text), 1, f"{what} C++ after Django's logout starts afresh")
        self.screenshot(browser, f"{engine.replace('_', '-')}-cpp-after-django-logout")

    def screenshot(self, browser, name):
        if self.artifacts:
            browser.screenshot(self.log_path(f"{name}.png"))

    # ------------------------------------------------------------------------------- run

    def run(self):
        browser = None
        if self.args.browser:
            browser = harness.Browser(os.path.join(self.work, "profile"))
        try:
            for engine in ("db", "signed_cookies"):
                database = os.path.join(self.work, f"{engine}.db")
                django, cpp = self.start_pair(engine, database)
                try:
                    if browser:
                        self.browser_journey(engine, django, cpp, browser)
                    else:
                        self.journey(engine, django, cpp)
                        if engine == "db":
                            self.clearsessions(django, cpp, database)
                finally:
                    self.checks.equal(cpp.stop(), 0, f"[{engine}] the C++ site exits with status 0 on SIGTERM")
                    django.stop()
                if engine == "db" and not browser:
                    self.compare_schema(database)
        finally:
            if browser:
                browser.quit()
            shutil.rmtree(self.work, ignore_errors=True)


def main():
    args = parse_args()
    started = time.monotonic()
    test = SharedSessionTest(args)
    test.run()
    print(f"{time.monotonic() - started:.1f} s", flush=True)
    return test.checks.finish("C++ and Django share sessions" + (" (browser)" if args.browser else ""))


if __name__ == "__main__":
    sys.exit(main())
