#!/usr/bin/env python3
"""A user's sessions, from two browser profiles (two Chromium user-data-dirs, one Chromium at a
time): examples/visit_counter with Django logins (`--user-table`) on one SQLite file, whose store
keeps the per-user index.

  - profile "laptop" logs in on the site's form (a user Django created), then closes;
  - profile "phone" logs in as the same user; its /sessions lists both sessions, each with the
    browser it came from (each profile sends its own User-Agent) and the address, its own marked
    "this browser", never a whole session key;
  - "phone" logs out its other sessions (/logout-others): one revoked, one left, and the laptop's
    row is gone from django_session; the phone stays logged in, its /session.json showing the
    keys Django's login() writes;
  - "laptop" opens again with its profile (its cookie kept): it is logged out, /sessions refuses it,
    and /session.json no longer holds the user;
  - /metrics counts the store's calls, the index's among them, in Prometheus' text format.

usage: test_user_sessions_browser.py --cpp PATH/visit_counter --django PATH/manage.py [--artifacts DIR]
"""
import argparse
import json
import os
import re
import shutil
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

USER = "carol"
PASSWORD = "carol's password"
LOGGED_IN = f"Logged in as {USER}"
AGENTS = {"laptop": "SessionsTest/1.0 (laptop profile)", "phone": "SessionsTest/1.0 (phone profile)"}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cpp", required=True, metavar="VISIT_COUNTER")
    parser.add_argument("--django", required=True, metavar="MANAGE_PY")
    parser.add_argument("--artifacts", help="directory for the screenshots and the request logs")
    return parser.parse_args()


def create_user(manage_py, database):
    """auth_user and django_session in the site's SQLite file, and the user, made by Django itself
    in this process (migrate, create_user: a pbkdf2_sha256 hash), without starting its server."""
    users = harness.django_user_model(manage_py, database)
    from django.core.management import call_command
    call_command("migrate", verbosity=0)
    return users.objects.create_user(USER, password=PASSWORD)


class UserSessionsTest:
    def __init__(self, args):
        self.args = args
        self.checks = harness.Checks()
        self.work = harness.temp_dir("sessions-user-sessions-")
        self.artifacts = harness.make_dir(args.artifacts) if args.artifacts else None
        self.database = os.path.join(self.work, "site.db")
        self.user_pk = None

    def log_path(self, name):
        return os.path.join(self.artifacts, "user-sessions-" + name) if self.artifacts else None

    def screenshot(self, browser, name):
        if self.artifacts:
            browser.screenshot(self.log_path(f"{name}.png"))

    def open_profile(self, name):
        return harness.Browser(os.path.join(self.work, "profile-" + name), user_agent=AGENTS[name])

    def log_in(self, browser, site, name):
        """Types the user and password into the site's login form and clicks, as a person does;
        returns the session key the browser then holds."""
        from selenium.webdriver.common.by import By
        browser.get(site.url)
        form = browser.driver.find_element(By.CSS_SELECTOR, 'form[action="/login"]')
        form.find_element(By.NAME, "user").send_keys(USER)
        form.find_element(By.NAME, "password").send_keys(PASSWORD)
        form.find_element(By.TAG_NAME, "button").click()
        text = browser.wait_for_text(LOGGED_IN)
        self.checks.check(LOGGED_IN in text, f"{name}: the login form answers {text!r}")
        key = (browser.session_cookie() or {}).get("value")
        self.checks.check(key is not None and harness.session_rows(self.database, key) == 1,
                          f"{name}: the login left a session cookie whose row is stored: {key!r}")
        return key

    def listing(self, browser):
        """The /sessions page as (count, [(prefix, current, agent, address)], page text, HTML)."""
        from selenium.webdriver.common.by import By
        text = browser.text()
        match = re.search(r"Sessions: (\d+)", text)
        rows = []
        for item in browser.driver.find_elements(By.CSS_SELECTOR, "ul.sessions li.session"):
            rows.append((item.find_element(By.TAG_NAME, "code").text, "current" in item.get_attribute("class"),
                         item.find_element(By.CLASS_NAME, "agent").text,
                         item.find_element(By.CLASS_NAME, "address").text))
        return (int(match.group(1)) if match else None), rows, text, browser.driver.page_source

    def journey(self, site):
        c = self.checks
        laptop = self.open_profile("laptop")
        try:
            laptop_key = self.log_in(laptop, site, "laptop")
        finally:
            laptop.quit()

        phone = self.open_profile("phone")
        try:
            phone_key = self.log_in(phone, site, "phone")
            c.check(phone_key != laptop_key, "two profiles, two sessions")
            phone.get(site.url + "sessions")
            count, rows, text, html = self.listing(phone)
            c.equal(count, 2, f"/sessions lists both profiles' sessions: {text!r}")
            c.equal(sorted(agent for _, _, agent, _ in rows), sorted(AGENTS.values()),
                    "each session shows the browser it came from")
            c.check(all(address == "127.0.0.1" for _, _, _, address in rows), f"and its address: {rows!r}")
            current = [prefix for prefix, is_current, _, _ in rows if is_current]
            c.check(current == [phone_key[:8]] and AGENTS["phone"] in [a for _, cur, a, _ in rows if cur],
                    f"the phone's own session is the one marked as this browser: {rows!r}")
            c.check(laptop_key not in html and phone_key not in html, "the page never shows a whole session key")
            self.screenshot(phone, "both-sessions")

            from selenium.webdriver.common.by import By
            phone.driver.find_element(By.CSS_SELECTOR, "#logout-others button").click()
            text = phone.wait_for_text("Logged out 1 other session.")
            count, rows, text, _ = self.listing(phone)
            c.check("Logged out 1 other session." in text, f"/logout-others says what it did: {text!r}")
            c.check(count == 1 and [r[2] for r in rows] == [AGENTS["phone"]],
                    f"only the phone's session is left: {rows!r}")
            c.equal(harness.session_rows(self.database, laptop_key), 0, "the laptop's session row is deleted")
            c.equal(harness.session_rows(self.database, phone_key), 1, "the phone's session row stays")
            self.screenshot(phone, "after-logout-others")
            text = phone.get(site.url)
            c.check(LOGGED_IN in text, f"the phone stays logged in: {text!r}")
            status, body = phone.fetch("/session.json")
            data = json.loads(body) if status == 200 else {}
            c.check(data.get("_auth_user_id") == str(self.user_pk) and
                    data.get("_auth_user_backend") == "django.contrib.auth.backends.ModelBackend" and
                    "_auth_user_hash" in data,
                    f"/session.json shows the login as Django's login() records it: {status} {body!r}")
        finally:
            phone.quit()

        laptop = self.open_profile("laptop")
        try:
            laptop.get(site.url + "metrics")  # on the site's origin, through no session: the cookie as kept
            kept = (laptop.session_cookie() or {}).get("value")
            c.equal(kept, laptop_key, "the laptop's profile still sends its old session cookie")
            text = laptop.get(site.url)
            c.check("Logged in as" not in text, f"the laptop is logged out: {text!r}")
            laptop.get(site.url + "sessions")
            c.check("Log in to see your sessions." in laptop.text(), "/sessions refuses the logged-out laptop")
            status, body = laptop.fetch("/session.json")
            data = json.loads(body) if status == 200 else {}
            c.check(status == 200 and "_auth_user_id" not in data,
                    f"the laptop's session no longer holds the user: {status} {body!r}")
            self.screenshot(laptop, "laptop-logged-out")
        finally:
            laptop.quit()

        import urllib.request
        with urllib.request.urlopen(site.url + "metrics", timeout=30) as response:
            metrics = response.read().decode()
            c.check(response.headers.get("Content-Type", "").startswith("text/plain; version=0.0.4"),
                    f"/metrics is Prometheus' text format: {response.headers.get('Content-Type')!r}")
        for operation in ("load", "create", "index_session", "user_sessions"):
            c.check(re.search(r'^sessions_store_calls_total\{store="SqliteStore",operation="' + operation +
                              r'",outcome="\w+"\} [1-9]', metrics, re.M) is not None,
                    f"/metrics counts the store's {operation} calls")

    def run(self):
        site = None
        try:
            self.user_pk = create_user(self.args.django, self.database).pk
            url = f"sqlite://{self.database}"
            site = harness.CppSite(self.args.cpp, url, log_path=self.log_path("requests.log"),
                                   stderr_path=self.log_path("stderr.log"), extra_args=("--user-table", url))
            self.journey(site)
        finally:
            if site:
                self.checks.equal(site.stop(), 0, "the site exits with status 0 on SIGTERM")
            shutil.rmtree(self.work, ignore_errors=True)


def main():
    args = parse_args()
    started = time.monotonic()
    test = UserSessionsTest(args)
    test.run()
    print(f"{time.monotonic() - started:.1f} s", flush=True)
    return test.checks.finish("a user's sessions from two browser profiles")


if __name__ == "__main__":
    sys.exit(main())
