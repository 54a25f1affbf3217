#!/usr/bin/env python3
"""Drives the visit counter over HTTP with a cookie jar, as a browser would: the count grows
within a session, survives a restart of the server (file store), and logout deletes the cookie."""
import http.cookiejar
import subprocess
import sys
import tempfile
import urllib.request


def start(binary, directory):
    proc = subprocess.Popen([binary, "--port", "0", "--dir", directory], stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()
    assert line.startswith("listening on "), line
    return proc, line[len("listening on "):]


def stop(proc):
    proc.terminate()
    out, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0, proc.returncode
    return out


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as directory:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        proc, base = start(binary, directory)
        try:
            for expected in (1, 2, 3):
                with opener.open(base) as response:
                    body = response.read().decode()
                    assert f"Visits: {expected}" in body, body
                    assert response.headers["Vary"] == "Cookie"
            cookie = next(iter(jar))
            assert cookie.name == "sessionid" and len(cookie.value) == 32, cookie
            assert cookie.has_nonstandard_attr("HttpOnly")
        finally:
            log = stop(proc)
        assert "GET / -> 200" in log, log

        proc, base = start(binary, directory)  # the same sessions, a new process
        try:
            with opener.open(base) as response:
                assert "Visits: 4" in response.read().decode()
            with opener.open(urllib.request.Request(base + "logout", data=b"", method="POST")) as response:
                assert "Max-Age=0" in response.headers["Set-Cookie"], response.headers
            assert len(jar) == 0, list(jar)
            with opener.open(base) as response:
                assert "Visits: 1" in response.read().decode()
        finally:
            stop(proc)
    print("visit counter: OK")


if __name__ == "__main__":
    main()
