#!/usr/bin/env python3
"""Django's login, seen by the C++ site, in one headless Chromium: examples/django_site (with
django.contrib.auth and messages) and examples/visit_counter with `--user-table` on the same
SQLite file (django_session and auth_user), the same secret key and the same `sessionid` cookie.

  - a user created in Django (create_user: a pbkdf2_sha256 hash in auth_user) logs in on the
    Django site's login page (/accounts/login/, typed into the form);
  - the C++ site's / says "Logged in as NAME" and shows Django's success message, once;
  - the password changed in Django (set_password + save, as a password change does) logs that
    browser out of the C++ site at its next page: no user, a new session key, the old row gone;
  - a login on the C++ site's form (the new password) is request.user on the Django site, whose /
    shows the C++ site's success message, once.

usage: test_django_login_browser.py --cpp PATH/visit_counter --django PATH/manage.py [--artifacts DIR]
"""
import argparse
import os
import shutil
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

USER = "alice"
PASSWORD = "alice's first password"
NEW_PASSWORD = "alice's second password"
WELCOME = f"Welcome back, {USER}."
LOGGED_IN = f"Logged in as {USER}"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cpp", required=True, metavar="VISIT_COUNTER")
    parser.add_argument("--django", required=True, metavar="MANAGE_PY")
    parser.add_argument("--artifacts", help="directory for the screenshots and the request logs")
    return parser.parse_args()


class LoginTest:
    def __init__(self, args):
        self.args = args
        self.checks = harness.Checks()
        self.work = harness.temp_dir("sessions-django-login-")
        self.artifacts = harness.make_dir(args.artifacts) if args.artifacts else None
        self.database = os.path.join(self.work, "site.db")

    def log_path(self, name):
        return os.path.join(self.artifacts, "login-browser-" + name) if self.artifacts else None

    def screenshot(self, browser, name):
        if self.artifacts:
            browser.screenshot(self.log_path(f"{name}.png"))

    def type_and_submit(self, browser, form_selector, fields, expected):
        """Types into the page's form and clicks its button, as a person does; returns the answer."""
        from selenium.webdriver.common.by import By
        form = browser.driver.find_element(By.CSS_SELECTOR, form_selector)
        for name, value in fields.items():
            form.find_element(By.NAME, name).send_keys(value)
        form.find_element(By.TAG_NAME, "button").click()
        return browser.wait_for_text(expected)

    def login_and_message_seen(self, browser, site, name, other, shot):
        """`site`'s / says who logged in on the `other` site and shows its success message, once."""
        c = self.checks
        text = browser.get(site.url)
        c.check(LOGGED_IN in text, f"{name} sees the login made on {other}: {text!r}")
        c.check(WELCOME in text, f"{name} shows the message {other} added at login: {text!r}")
        self.screenshot(browser, shot)
        text = browser.get(site.url)
        c.check(LOGGED_IN in text and WELCOME not in text,
                f"{name}: the message is shown once, the login stays: {text!r}")

    def journey(self, django, cpp, browser, users):
        c = self.checks
        alice = users.objects.create_user(USER, password=PASSWORD)

        # Log in on Django's login page.
        browser.get(django.url + "accounts/login/")
        text = self.type_and_submit(browser, "#django-login", {"username": USER, "password": PASSWORD}, LOGGED_IN)
        c.check(LOGGED_IN in text, f"Django's login page: {text!r}")
        key = (browser.session_cookie() or {}).get("value")
        c.check(key is not None and harness.session_rows(self.database, key) == 1,
                f"Django's login left a session cookie whose row is in the shared file: {key!r}")

        self.login_and_message_seen(browser, cpp, "the C++ site", "Django", "cpp-sees-django-login")

        # The password changed in Django: the C++ site logs this browser out at its next page.
        alice.set_password(NEW_PASSWORD)
        alice.save()
        text = browser.get(cpp.url)
        c.check("Logged in as" not in text and harness.visits(text) == 1,
                f"after the password change the C++ site starts a fresh, anonymous session: {text!r}")
        new_key = (browser.session_cookie() or {}).get("value")
        c.check(new_key not in (None, key), f"the C++ site gave a new session cookie: {new_key!r}")
        c.equal(harness.session_rows(self.database, key), 0, "the logged-out session's row is gone from the shared file")
        self.screenshot(browser, "cpp-after-password-change")

        # The other way: a login on the C++ site's form is request.user on Django, with its message.
        text = self.type_and_submit(browser, 'form[action="/login"]', {"user": USER, "password": NEW_PASSWORD},
                                    LOGGED_IN)
        c.check(LOGGED_IN in text, f"the C++ site's login form with the new password: {text!r}")
        self.login_and_message_seen(browser, django, "Django", "the C++ site", "django-sees-cpp-login")

    def run(self):
        browser = None
        django = cpp = None
        try:
            # Django first: migrate creates django_session and auth_user, which the C++ site opens.
            django = harness.DjangoSite(self.args.django, sys.executable, "db", self.database,
                                        log_path=self.log_path("django-requests.log"))
            users = harness.django_user_model(self.args.django, self.database)
            url = f"sqlite://{self.database}"
            cpp = harness.CppSite(self.args.cpp, url, log_path=self.log_path("cpp-requests.log"),
                                  stderr_path=self.log_path("cpp-stderr.log"), extra_args=("--user-table", url))
            browser = harness.Browser(os.path.join(self.work, "profile"))
            self.journey(django, cpp, browser, users)
        finally:
            if browser:
                browser.quit()
            if cpp:
                self.checks.equal(cpp.stop(), 0, "the C++ site exits with status 0 on SIGTERM")
            if django:
                django.stop()
            shutil.rmtree(self.work, ignore_errors=True)


def main():
    args = parse_args()
    started = time.monotonic()
    test = LoginTest(args)
    test.run()
    print(f"{time.monotonic() - started:.1f} s", flush=True)
    return test.checks.finish("Django's login on the C++ site (browser)")


if __name__ == "__main__":
    sys.exit(main())
