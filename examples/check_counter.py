#!/usr/bin/env python3
"""Drives a visit counter example (beast_counter, poco_counter, pistache_counter: one per HTTP
library) over HTTP with a cookie jar: the count grows within a session, a second browser starts
at 1, and the session cookie is Django's (sessionid, HttpOnly, SameSite=Lax)."""
import http.cookiejar
import os
import re
import subprocess
import sys
import urllib.request


def main():
    proc = subprocess.Popen([sys.argv[1], "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        assert re.fullmatch(r"listening on http://127\.0\.0\.1:\d+/", line), line
        base = line[len("listening on "):]
        browsers = [urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
                    for _ in range(2)]
        for expected in (1, 2, 3):
            with browsers[0].open(base) as response:
                assert f"Visits: {expected}<" in response.read().decode()
                assert response.headers["Vary"] == "Cookie", response.headers
                cookie = response.headers["Set-Cookie"]
                assert re.match(r"sessionid=[a-z0-9]{32}; expires=", cookie) and "HttpOnly" in cookie, cookie
        with browsers[1].open(base) as response:
            assert "Visits: 1<" in response.read().decode()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(f"{os.path.basename(sys.argv[1])}: OK")


if __name__ == "__main__":
    main()
