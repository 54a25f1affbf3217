#!/usr/bin/env python3
"""Middleware conformance: the same requests through Django's own SessionMiddleware and through our
Middleware (middleware_driver, a small C++ program), compared header by header.

    test_django_middleware.py <path to middleware_driver>

Django (python3-django) runs in this process with a minimal settings module: the cache session
backend over local memory (a server-side store that, like ours, refuses to update a session that is
not there). Each scenario is one request: a status, SESSION_SAVE_EVERY_REQUEST,
SESSION_EXPIRE_AT_BROWSER_CLOSE, which session cookie the request carries and what the view does
with the session. Compared: Set-Cookie (every attribute, in order; the key is compared as "the
request's key" or "a new key", the expires date as a well-formed date or the 1970 deletion date),
Vary and Cache-Control, or the exception raised.

DELIBERATE below lists, once, the scenarios in which we differ from Django 3.2 on purpose (the
README's "Where we differ from Django, on purpose" gives the reasons); for those the test checks
that the two do differ, so the list cannot go stale. Exit status 1 on any other difference, or when
no scenario ran.
"""

import os
import re
import subprocess
import sys

SCENARIOS = [
    # name                         status every close cookie action
    ("new_set_200",                  200, 0, 0, "none",  "set"),
    ("new_set_302",                  302, 0, 0, "none",  "set"),
    ("new_set_404",                  404, 0, 0, "none",  "set"),
    ("new_set_499",                  499, 0, 0, "none",  "set"),
    ("new_set_500",                  500, 0, 0, "none",  "set"),
    ("new_set_503",                  503, 0, 0, "none",  "set"),
    ("new_untouched",                200, 0, 0, "none",  "none"),
    ("new_read_only",                200, 0, 0, "none",  "read"),
    ("new_flush",                    200, 0, 0, "none",  "flush"),
    ("live_untouched",               200, 0, 0, "live",  "none"),
    ("live_read",                    200, 0, 0, "live",  "read"),
    ("live_set",                     200, 0, 0, "live",  "set"),
    ("live_set_500",                 500, 0, 0, "live",  "set"),
    ("live_set_404",                 404, 0, 0, "live",  "set"),
    ("live_clear_emptied",           200, 0, 0, "live",  "clear"),
    ("live_flush",                   200, 0, 0, "live",  "flush"),
    ("live_nested_change",           200, 0, 0, "live",  "nested"),
    ("every_live_untouched",         200, 1, 0, "live",  "none"),
    ("every_live_read",              200, 1, 0, "live",  "read"),
    ("every_live_set",               200, 1, 0, "live",  "set"),
    ("every_live_untouched_500",     500, 1, 0, "live",  "none"),
    ("every_new_untouched",          200, 1, 0, "none",  "none"),
    ("every_new_set",                200, 1, 0, "none",  "set"),
    ("every_stale_untouched",        200, 1, 0, "stale", "none"),
    ("close_new_set",                200, 0, 1, "none",  "set"),
    ("close_live_set",               200, 0, 1, "live",  "set"),
    ("close_every_live_untouched",   200, 1, 1, "live",  "none"),
    ("close_live_clear_emptied",     200, 0, 1, "live",  "clear"),
    ("stale_untouched",              200, 0, 0, "stale", "none"),
    ("stale_read",                   200, 0, 0, "stale", "read"),
    ("stale_set",                    200, 0, 0, "stale", "set"),
]

# The deliberate differences, each listed once (README: "Where we differ from Django, on purpose").
DELIBERATE = {
    "new_set_503": "5xx: no session is saved for any status >= Settings::no_save_status_from (500), as "
                   "Django 4.2+; Django 3.2 skipped the save only for exactly 500",
    "live_nested_change": "a change nested inside a value is saved; Django saves only when "
                          "request.session.modified was set",
    "every_stale_untouched": "a stale key with SESSION_SAVE_EVERY_REQUEST deletes the cookie (and sets Vary); "
                             "Django 3.2 saves an empty session under a new key here (its database backend's "
                             "save raises instead)",
}

KEY = re.compile(r"^[a-z0-9]{32}$")
EXPIRES = re.compile(r"^expires=(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                     r"\d{4} \d\d:\d\d:\d\d GMT$")


def normalise_set_cookie(value, key_in):
    parts = value.split("; ")
    name, _, cookie_value = parts[0].partition("=")
    if cookie_value == key_in and key_in:
        cookie_value = "<the request's key>"
    elif KEY.match(cookie_value):
        cookie_value = "<a new key>"
    out = [name + "=" + cookie_value]
    for part in parts[1:]:
        if part.startswith("expires=") and part != "expires=Thu, 01 Jan 1970 00:00:00 GMT":
            part = "expires=<date>" if EXPIRES.match(part) else "expires=<MALFORMED " + part + ">"
        out.append(part)
    return "; ".join(out)


def normalise(headers, key_in):
    out = []
    for name, value in headers:
        if name == "Set-Cookie":
            value = normalise_set_cookie(value, key_in)
        out.append(name + ": " + value)
    return sorted(out)


def ours(driver):
    lines = "".join("%s %d %d %d %s %s\n" % s for s in SCENARIOS)
    out = subprocess.run([driver], input=lines, stdout=subprocess.PIPE, text=True, check=True).stdout
    results = {}
    name, key_in, headers = None, None, []
    for line in out.splitlines():
        if line.startswith("scenario "):
            name, headers = line.split(" ", 1)[1], []
        elif line.startswith("in "):
            key_in = line[3:] if line[3:] != "-" else None
        elif line == "end":
            results[name] = normalise(headers, key_in)
        elif line.startswith("raises "):
            headers.append(("raises", line[len("raises "):]))
        else:
            header, _, value = line.partition(": ")
            headers.append((header, value))
    return results


def configure_django():
    try:
        import django
        from django.conf import settings
    except ImportError as e:
        sys.exit("FAIL: Django is not importable (%s); install python3-django" % e)
    settings.configure(
        SECRET_KEY="conformance-test-secret-key",
        INSTALLED_APPS=["django.contrib.sessions"],
        SESSION_ENGINE="django.contrib.sessions.backends.cache",
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        USE_TZ=True,
    )
    django.setup()


def django_side():
    from django.contrib.sessions.backends.cache import SessionStore
    from django.contrib.sessions.exceptions import SessionInterrupted
    from django.contrib.sessions.middleware import SessionMiddleware
    from django.http import HttpResponse
    from django.test import RequestFactory, override_settings

    factory = RequestFactory()
    results = {}
    for name, status, every, close, cookie, action in SCENARIOS:
        with override_settings(SESSION_SAVE_EVERY_REQUEST=bool(every), SESSION_EXPIRE_AT_BROWSER_CLOSE=bool(close)):
            key_in = None
            if cookie == "live":
                setup = SessionStore()
                setup["a"] = 1
                setup["cart"] = [1]
                setup.save()
                key_in = setup.session_key
            elif cookie == "stale":
                key_in = "q" * 32
            request = factory.get("/")
            if key_in:
                request.COOKIES["sessionid"] = key_in

            def view(request, action=action, status=status):
                s = request.session
                if action == "read":
                    s.get("a")
                elif action == "set":
                    s["hello"] = "world"
                elif action == "clear":
                    s.clear()
                elif action == "flush":
                    s.flush()
                elif action == "nested":
                    s["cart"].append(2)
                return HttpResponse(status=status)

            headers = []
            try:
                response = SessionMiddleware(view)(request)
                if "sessionid" in response.cookies:
                    headers.append(("Set-Cookie", response.cookies["sessionid"].OutputString()))
                for header in ("Vary", "Cache-Control"):
                    if response.has_header(header):
                        headers.append((header, response[header]))
            except SessionInterrupted:
                headers.append(("raises", "SessionInterrupted"))
            results[name] = normalise(headers, key_in)
    return results


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    driver = os.path.abspath(sys.argv[1])
    configure_django()
    theirs = django_side()
    mine = ours(driver)
    checked, failures = 0, []
    for scenario in SCENARIOS:
        name = scenario[0]
        if name not in mine:
            failures.append("%s: our driver gave no result" % name)
            continue
        same = mine[name] == theirs[name]
        if name in DELIBERATE:
            if same:
                failures.append("%s: listed as a deliberate difference (%s) but we now behave as Django: %s"
                                % (name, DELIBERATE[name], mine[name]))
            else:
                print("differs on purpose: %s (%s)\n    Django: %s\n    ours:   %s"
                      % (name, DELIBERATE[name], theirs[name], mine[name]))
        elif not same:
            failures.append("%s: Django %s, ours %s" % (name, theirs[name], mine[name]))
        checked += 1
    for failure in failures:
        print("FAIL:", failure)
    print("middleware conformance: %d scenarios compared with Django's SessionMiddleware, %d deliberate "
          "differences, %d failed" % (checked, len(DELIBERATE), len(failures)))
    if checked == 0:
        print("FAIL: no scenario ran")
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
