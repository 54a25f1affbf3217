#!/usr/bin/env python3
"""Drives the visit counter over HTTP with a cookie jar, as a browser would.

    check_site.py path/to/visit_counter

Per store (sqlite, file, memory, signed-cookies, encrypted-cookies): the count grows within a
session; with sqlite and file it survives a restart of the server (and so do the cookie stores,
whose data is the cookie). On sqlite, in depth: /about sees the test cookie, /login gives a new key
and keeps the data, /logout deletes the cookie, /session.json reads and updates the session, /cookies
counts once a day and resets a tampered signed count, and the stored row is Django's signed format.
Prints the server's request log of the sqlite run."""
import base64
import hashlib
import hmac
import http.cookiejar
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib

SECRET = "check-site-secret-key"
LOG_LINE = re.compile(r"^(GET|POST) \S+ \d{3} session=(-|[A-Za-z0-9._:-]{1,6}\.\.\.) new=[01] accessed=[01] modified=[01] "
                      r"cookie=(set|deleted|kept|none)$")


def start(binary, store, cwd, env_secret=SECRET):
    env = dict(os.environ)
    env.pop("SESSIONS_SECRET_KEY", None)
    if env_secret is not None:
        env["SESSIONS_SECRET_KEY"] = env_secret
    proc = subprocess.Popen([binary, "--port", "0", "--store", store], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=cwd, env=env)
    line = proc.stdout.readline().strip()
    assert re.fullmatch(r"listening on http://127\.0\.0\.1:\d+/", line), (line, proc.stderr.read())
    return proc, line[len("listening on "):]


def stop(proc):
    proc.send_signal(2)  # SIGINT, as Ctrl-C
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, (proc.returncode, err)
    lines = out.splitlines()
    assert lines[-1] == "stopped", lines[-3:]
    for line in lines[:-1]:
        assert LOG_LINE.match(line), line
    return lines[:-1], err


class Browser:
    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(self, url, data=None, content_type=None):
        req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
        if content_type:
            req.add_header("Content-Type", content_type)
        try:
            with self.opener.open(req) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode()

    def get(self, url):
        return self.request(url)

    def post_form(self, url, fields):
        return self.request(url, urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded")

    def post_json(self, url, value):
        return self.request(url, json.dumps(value).encode(), "application/json")

    def cookie(self, name):
        return next((c for c in self.jar if c.name == name), None)


def visits(body):
    match = re.search(r"Visits: (\d+)", body)
    assert match, body
    return int(match.group(1))


def django_loads(value, secret, salt="django.contrib.sessions.SessionStore"):
    """Django's signing.loads (no max_age), written out: the stored data must be Django's format."""
    signed, signature = value.rsplit(":", 1)
    key = hashlib.sha256((salt + "signer" + secret).encode()).digest()
    expected = base64.urlsafe_b64encode(hmac.new(key, signed.encode(), hashlib.sha256).digest()).rstrip(b"=")
    assert hmac.compare_digest(expected.decode(), signature), "bad signature on the stored session"
    payload = signed.rsplit(":", 1)[0]
    compressed = payload.startswith(".")
    raw = base64.urlsafe_b64decode(payload.lstrip(".") + "=" * (-len(payload.lstrip(".")) % 4))
    return json.loads(zlib.decompress(raw) if compressed else raw)


def check_counting(binary, store, workdir, persistent):
    browser = Browser()
    proc, base = start(binary, store, workdir)
    try:
        for expected in (1, 2, 3):
            status, headers, body = browser.get(base)
            assert status == 200 and visits(body) == expected, (store, status, body)
            assert headers["Vary"] == "Cookie", headers
        session = browser.cookie("sessionid")
        assert session is not None and session.has_nonstandard_attr("HttpOnly"), store
    finally:
        log, _ = stop(proc)
    assert len(log) == 3 and log[0].startswith("GET / 200 ") and " new=1 " in log[0] and " cookie=set" in log[0], log
    if persistent:
        proc, base = start(binary, store, workdir)
        try:
            status, _, body = browser.get(base)
            assert status == 200 and visits(body) == 4, (store, "after a restart", body)
        finally:
            stop(proc)
    return browser


def check_sqlite_site(binary, workdir):
    browser = Browser()
    proc, base = start(binary, "sqlite:sessions.db", workdir)
    try:
        # A first look at /about: no session yet, no cookie, nothing saved.
        status, headers, body = browser.get(base + "about")
        assert status == 200 and "Test cookie not set" in body and visits(body) == 0, body
        assert "Set-Cookie" not in headers and re.search(r"Expires: \w{3}, \d{2} \w{3} \d{4}", body), body

        for expected in (1, 2):
            status, headers, body = browser.get(base)
            assert visits(body) == expected, body
        first = browser.cookie("sessionid")
        assert len(first.value) == 32 and first.path == "/", first
        set_cookie = headers["Set-Cookie"]
        for attribute in ("HttpOnly", "Max-Age=1209600", "Path=/", "SameSite=Lax", "expires="):
            assert attribute in set_cookie, set_cookie

        status, headers, body = browser.get(base + "about")
        assert "Test cookie worked" in body and visits(body) == 2, body
        assert "Set-Cookie" not in headers and headers["Vary"] == "Cookie", headers  # read only: no save

        # Django's format on disk: the row decodes with the secret key.
        with sqlite3.connect(os.path.join(workdir, "sessions.db")) as db:
            (data,) = db.execute("SELECT session_data FROM django_session WHERE session_key = ?",
                                 (first.value,)).fetchone()
        assert django_loads(data, SECRET)["num_visits"] == 2, data

        # /login: a new key, the data kept, the user added.
        status, headers, body = browser.post_form(base + "login", {"user": "alice <admin>"})
        assert status == 200 and "Logged in as alice &lt;admin&gt;" in body, body
        second = browser.cookie("sessionid")
        assert second.value != first.value and len(second.value) == 32, (first.value, second.value)
        status, _, body = browser.get(base + "session.json")
        data = json.loads(body)
        assert data["num_visits"] == 2 and data["user"] == "alice <admin>" and data["testcookie"] == "worked", data
        with sqlite3.connect(os.path.join(workdir, "sessions.db")) as db:
            keys = [row[0] for row in db.execute("SELECT session_key FROM django_session")]
        assert first.value not in keys and second.value in keys, keys  # the old key is gone
        status, _, _ = browser.post_form(base + "login", {})
        assert status == 400

        # /session.json: POST adds keys; a body that is not an object is refused.
        status, _, body = browser.post_json(base + "session.json", {"cart": [1, 2], "theme": "dark"})
        assert status == 200 and json.loads(body)["cart"] == [1, 2], body
        status, _, body = browser.get(base + "session.json")
        assert json.loads(body)["theme"] == "dark" and json.loads(body)["num_visits"] == 2, body
        status, _, _ = browser.post_json(base + "session.json", [1, 2])
        assert status == 400
        status, _, _ = browser.request(base + "session.json", b"{not json", "application/json")
        assert status == 400

        # /short: a session that ends after 30 s.
        status, headers, body = browser.get(base + "short")
        assert visits(body) == 3 and "Max-Age=30;" in headers["Set-Cookie"], headers

        # /cookies: plain cookies, counted once a day; the signed one resists tampering.
        status, headers, body = browser.get(base + "cookies")
        assert "Cookie visits: 1" in body and "Signed visits: 1" in body, body
        status, _, body = browser.get(base + "cookies")
        assert "Cookie visits: 1" in body and "Signed visits: 1" in body, "counted twice in a day: " + body
        browser.cookie("last_visit").value = str(int(time.time()) - 2 * 86400)  # the last visit was 2 days ago
        status, _, body = browser.get(base + "cookies")
        assert "Cookie visits: 2" in body and "Signed visits: 2" in body, body
        browser.cookie("visits").value = "41"              # the plain count believes the client
        signed = browser.cookie("signed_visits")
        signed.value = "41" + signed.value[1:]             # the signed one does not
        browser.cookie("last_visit").value = str(int(time.time()) - 2 * 86400)
        status, _, body = browser.get(base + "cookies")
        assert "Cookie visits: 42" in body and "Signed visits: 1" in body, body

        # /logout: the cookie is deleted and the next visit starts over under a new key.
        status, headers, body = browser.request(base + "logout", b"")
        assert status == 200 and "Logged out" in body, body
        assert "Max-Age=0" in headers["Set-Cookie"] and headers["Set-Cookie"].startswith('sessionid=""'), headers
        assert browser.cookie("sessionid") is None
        status, _, body = browser.get(base)
        assert visits(body) == 1, body
        assert browser.cookie("sessionid").value not in (first.value, second.value)

        # A cookie naming no session: deleted on a read, replaced on a write.
        stale = Browser()
        stale.jar.set_cookie(http.cookiejar.Cookie(0, "sessionid", "abcdefghijklmnopqrstuvwxyz012345", None, False,
                                                   "127.0.0.1", False, False, "/", True, False, None, False, None,
                                                   None, {}))
        status, headers, body = stale.get(base + "about")
        assert "Max-Age=0" in headers["Set-Cookie"], headers

        # `curl -X POST URL`: no Content-Length, no body (an empty body, RFC 9112 6.3), answered at once.
        status, _, body = browser.get(base)
        reply = post_without_length(base, "/logout", "sessionid=" + browser.cookie("sessionid").value)
        assert reply.startswith("HTTP/1.1 200 ") and "Logged out" in reply, reply
        assert 'Set-Cookie: sessionid=""' in reply and "Max-Age=0" in reply, reply
    finally:
        log, err = stop(proc)
    assert "insecure development key" not in err, err
    assert any(line.startswith("POST /login 200 ") and " cookie=set" in line for line in log), log
    assert any(line.startswith("POST /logout 200 ") and " cookie=deleted" in line for line in log), log
    assert any(line.startswith("GET /about 200 ") and " cookie=kept" in line for line in log), log
    assert all(first.value not in line and second.value not in line for line in log), "a whole key in the log"
    return log


def post_without_length(base, path, cookie):
    """A POST as `curl -X POST` sends it (no Content-Length, no body); the whole reply, or what came
    within 3 s."""
    host, port = urllib.parse.urlsplit(base).netloc.split(":")
    with socket.create_connection((host, int(port)), timeout=3) as conn:
        conn.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n".encode())
        reply = b""
        try:
            while chunk := conn.recv(4096):
                reply += chunk
        except socket.timeout:
            pass
    return reply.decode(errors="replace")


def check_errors(binary, workdir):
    env = dict(os.environ, SESSIONS_SECRET_KEY=SECRET)
    result = subprocess.run([binary, "--port", "0", "--store", "nosuch:thing"], capture_output=True, text=True,
                            cwd=workdir, env=env, timeout=20)
    assert result.returncode == 2 and result.stdout == "" and len(result.stderr.splitlines()) == 1, result
    result = subprocess.run([binary, "--bogus"], capture_output=True, text=True, cwd=workdir, timeout=20)
    assert result.returncode == 2, result
    # No secret configured: a warning, and the site still works.
    proc, base = start(binary, "memory:", workdir, env_secret=None)
    try:
        status, _, body = Browser().get(base)
        assert status == 200 and visits(body) == 1
    finally:
        _, err = stop(proc)
    assert "insecure development key" in err, err


def main():
    binary = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as workdir:
        log = check_sqlite_site(binary, workdir)
        check_counting(binary, "sqlite:sessions.db", workdir, persistent=True)
        check_counting(binary, "sqlite:///" + os.path.join(workdir, "abs.db").lstrip("/"), workdir, persistent=True)
        check_counting(binary, "file:file-sessions", workdir, persistent=True)
        assert any(name.startswith("sessionid") for name in os.listdir(os.path.join(workdir, "file-sessions")))
        check_counting(binary, "memory:", workdir, persistent=False)
        check_counting(binary, "signed-cookies:", workdir, persistent=True)
        check_counting(binary, "encrypted-cookies:", workdir, persistent=True)
        check_errors(binary, workdir)
    print("request log of the sqlite run:")
    for line in log:
        print("  " + line)
    print("visit counter: OK")


if __name__ == "__main__":
    main()
