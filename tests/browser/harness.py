"""What the end-to-end tests share: the two example sites as child processes, a headless Chromium
driven by Selenium, an HTTP client with one cookie jar, and a list of failed checks.

Every missing piece (Selenium, Chromium, chromedriver, Django) is a FAILURE with an explanation,
never a skip: these tests are the proof that the sessions work in a real browser and next to a
real Django.
"""
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

# Both sites sign with it (the C++ site and examples/django_site read SESSIONS_SECRET_KEY).
SECRET_KEY = "end-to-end tests: a secret shared by the C++ site and Django"

CHROMIUM_CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
CHROMEDRIVER_CANDIDATES = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]


class Checks:
    """Collects failed checks, so that one run reports every mismatch, not only the first."""

    def __init__(self):
        self.failures = []
        self.passed = 0

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failures.append(what)
            print("FAIL:", what, flush=True)
        return ok

    def equal(self, actual, expected, what):
        return self.check(actual == expected, f"{what}: got {actual!r}, expected {expected!r}")

    def finish(self, name):
        if not self.failures and self.passed == 0:
            # A run that checked nothing proves nothing: a skipped scenario must not read as a pass.
            print(f"{name}: FAILED: no check ran", flush=True)
            return 1
        if self.failures:
            print(f"{name}: {len(self.failures)} of {self.passed + len(self.failures)} checks FAILED", flush=True)
            return 1
        print(f"{name}: all {self.passed} checks passed", flush=True)
        return 0


def fail_setup(message):
    print(f"FAIL: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.1)
    return False


class _LineLog:
    """Reads a child's output on a thread: keeps the lines, copies them to a file as they come."""

    def __init__(self, stream, path):
        self.lines = []
        self._cond = threading.Condition()
        self._file = open(path, "w", encoding="utf-8") if path else None
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream):
        for line in stream:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                if self._file:
                    self._file.write(line)
                    self._file.flush()
                self._cond.notify_all()
        with self._cond:
            self.lines.append(None)  # end of stream
            self._cond.notify_all()

    def wait_first_line(self, timeout):
        with self._cond:
            self._cond.wait_for(lambda: self.lines, timeout)
            return self.lines[0] if self.lines else None

    def join(self, timeout=10):
        self._thread.join(timeout)
        if self._file:
            self._file.close()

    def text(self):
        return "\n".join(line for line in self.lines if line is not None)


class CppSite:
    """examples/visit_counter on a free port: `visit_counter --port 0 --store URL`. The first stdout
    line is `listening on http://HOST:PORT/`; every other line is the request log, saved to
    `log_path`. stop() sends SIGTERM and expects `stopped` and exit status 0."""

    def __init__(self, binary, store, log_path=None, stderr_path=None, extra_args=()):
        if not os.access(binary, os.X_OK):
            fail_setup(f"the site binary {binary} is missing or not executable")
        env = dict(os.environ, SESSIONS_SECRET_KEY=SECRET_KEY)
        self._stderr = open(stderr_path, "w", encoding="utf-8") if stderr_path else subprocess.DEVNULL
        self.proc = subprocess.Popen([binary, "--host", "127.0.0.1", "--port", "0", "--store", store, *extra_args],
                                     stdout=subprocess.PIPE, stderr=self._stderr, text=True, env=env)
        self.log = _LineLog(self.proc.stdout, log_path)
        first = self.log.wait_first_line(timeout=30)
        match = re.fullmatch(r"listening on (http://127\.0\.0\.1:(\d+)/)", first or "")
        if not match:
            self.proc.kill()
            fail_setup(f"{binary} --store {store}: expected `listening on http://127.0.0.1:PORT/` on the first "
                       f"stdout line, got {first!r} (exit status {self.proc.poll()})")
        self.url = match.group(1)
        self.port = int(match.group(2))
        self.exit_status = None

    def stop(self):
        """SIGTERM; returns the exit status (the spec says 0 after printing `stopped`)."""
        if self.exit_status is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.exit_status = self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.exit_status = self.proc.wait()
            self.log.join()
            if self._stderr is not subprocess.DEVNULL:
                self._stderr.close()
        return self.exit_status

    def request_lines(self):
        """The request log: every stdout line after the first, without the final `stopped`."""
        return [line for line in self.log.lines[1:] if line is not None and line != "stopped"]


class DjangoSite:
    """examples/django_site under `manage.py runserver --noreload 127.0.0.1:PORT`; its request log
    (runserver writes it to stderr) goes to `log_path`."""

    def __init__(self, manage_py, python, engine, database, log_path=None, migrate_args=()):
        self.env = dict(os.environ, SESSIONS_SECRET_KEY=SECRET_KEY, SESSIONS_DJANGO_DB=database,
                        SESSIONS_DJANGO_ENGINE=engine, PYTHONDONTWRITEBYTECODE="1")
        self.manage_py = manage_py
        self.python = python
        if engine == "db":
            self.manage("migrate", "--no-input", *migrate_args)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.proc = subprocess.Popen([python, manage_py, "runserver", "--noreload", f"127.0.0.1:{self.port}"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=self.env)
        self.log = _LineLog(self.proc.stderr, log_path)
        if not wait_for_port(self.port, 60, self.proc):
            self.proc.kill()
            self.log.join()
            fail_setup(f"Django's runserver did not listen on port {self.port}:\n{self.log.text()}")

    def manage(self, *args):
        result = subprocess.run([self.python, self.manage_py, *args], env=self.env, capture_output=True, text=True,
                                timeout=120)
        if result.returncode != 0:
            fail_setup(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result.stdout

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.join()


class HttpClient:
    """urllib with ONE cookie jar for every site: cookies belong to a host, not to a port, so
    127.0.0.1:A and 127.0.0.1:B see the same `sessionid`, as a browser's would."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(self, url, data=None, method=None, headers=None):
        """Returns (status, headers, body text); HTTP errors are answers too."""
        request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.headers, response.read().decode("utf-8")
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode("utf-8", "replace")

    def get(self, url):
        return self.request(url)

    def post_json(self, url, value):
        return self.request(url, data=json.dumps(value).encode(), method="POST",
                            headers={"Content-Type": "application/json"})

    def post_form(self, url, fields):
        return self.request(url, data=urllib.parse.urlencode(fields).encode(), method="POST",
                            headers={"Content-Type": "application/x-www-form-urlencoded"})

    def cookie(self, name="sessionid"):
        values = [c.value for c in self.jar if c.name == name]
        return values[0] if values else None

    def set_cookie(self, value, name="sessionid", host="127.0.0.1"):
        """Puts `value` in the jar as the cookie (replacing its value, or adding a host-only cookie
        for `host`): what a tamperer, or a replay of an old cookie, does."""
        for c in list(self.jar):
            if c.name == name:
                c.value = value
                return
        self.jar.set_cookie(http.cookiejar.Cookie(
            version=0, name=name, value=value, port=None, port_specified=False, domain=host,
            domain_specified=False, domain_initial_dot=False, path="/", path_specified=True, secure=False,
            expires=None, discard=True, comment=None, comment_url=None, rest={"HttpOnly": None}, rfc2109=False))


def visits(text):
    """The number on a page's `Visits: N` line, or None."""
    match = re.search(r"Visits: (\d+)", text)
    return int(match.group(1)) if match else None


def find_executable(candidates, name):
    for path in candidates:
        if os.access(path, os.X_OK):
            return path
    found = shutil.which(name)
    return found


class Browser:
    """Headless Chromium with its own profile directory (so that a restart with the same directory
    keeps the cookies, as a person's browser does). Flags: no sandbox (tests run as root in CI), and
    nothing that phones home (CI has no network)."""

    def __init__(self, profile_dir, user_agent=None):
        try:
            from selenium import webdriver
            from selenium.webdriver.chrome.service import Service
        except ImportError:
            fail_setup("Selenium is not installed (Debian: python3-selenium); this test must not skip. "
                       f"Interpreter: {sys.executable}")
        chromium = find_executable(CHROMIUM_CANDIDATES, "chromium")
        driver = find_executable(CHROMEDRIVER_CANDIDATES, "chromedriver")
        if not chromium:
            fail_setup("Chromium is not installed (Debian: chromium); this test must not skip")
        if not driver:
            fail_setup("chromedriver is not installed (Debian: chromium-driver); this test must not skip")
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-default-apps", "--disable-extensions", "--no-first-run",
                     "--no-default-browser-check", "--password-store=basic", "--window-size=900,600",
                     f"--user-data-dir={profile_dir}"):
            options.add_argument(flag)
        if user_agent:  # tells two profiles apart in a listing of sessions
            options.add_argument(f"--user-agent={user_agent}")
        try:
            self.driver = webdriver.Chrome(service=Service(driver), options=options)
        except Exception as e:  # a broken install is a failure with the reason, not a traceback
            fail_setup(f"cannot start {chromium} through {driver}: {e}")
        self.driver.set_page_load_timeout(60)
        self.driver.set_script_timeout(60)

    def get(self, url):
        self.driver.get(url)
        return self.text()

    def text(self):
        from selenium.webdriver.common.by import By
        return self.driver.find_element(By.TAG_NAME, "body").text

    def wait_for_text(self, needle, timeout=15):
        """Waits until the current page's text contains `needle` (after a form submission)."""
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            try:
                text = self.text()
                if needle in text:
                    return text
            except Exception:  # the page is being replaced
                pass
            time.sleep(0.1)
        return text

    def submit_form(self, action, fields):
        """Builds a POST form in the current page and submits it, as a person clicking would."""
        self.driver.execute_script(
            """
            const [action, fields] = arguments;
            const form = document.createElement('form');
            form.method = 'post';
            form.action = action;
            for (const [name, value] of Object.entries(fields)) {
              const input = document.createElement('input');
              input.name = name;
              input.value = value;
              form.appendChild(input);
            }
            document.body.appendChild(form);
            form.submit();
            """, action, fields)

    def fetch(self, path, method="GET", body=None, content_type=None):
        """fetch() from the page (cookies of the page's origin included); returns (status, text)."""
        result = self.driver.execute_async_script(
            """
            const [path, method, body, contentType, done] = arguments;
            const init = {method, credentials: 'same-origin'};
            if (body !== null) { init.body = body; init.headers = {'Content-Type': contentType}; }
            fetch(path, init).then(r => r.text().then(t => done([r.status, t])))
                             .catch(e => done([0, String(e)]));
            """, path, method, body, content_type)
        return result[0], result[1]

    def session_cookie(self, name="sessionid"):
        return self.driver.get_cookie(name)

    def document_cookie(self):
        return self.driver.execute_script("return document.cookie;")

    def screenshot(self, path):
        self.driver.save_screenshot(path)

    def quit(self):
        self.driver.quit()


def make_dir(path):
    os.makedirs(path, exist_ok=True)
    return path


def temp_dir(prefix):
    return tempfile.mkdtemp(prefix=prefix)


def django_user_model(manage_py, database):
    """Django's User model in this process, on the sites' SQLite file (examples/django_site's
    settings): tests create users and change passwords the way Django code does, not by writing
    the table."""
    os.environ.update(SESSIONS_SECRET_KEY=SECRET_KEY, SESSIONS_DJANGO_DB=database,
                      SESSIONS_DJANGO_ENGINE="db", DJANGO_SETTINGS_MODULE="django_site.settings")
    sys.path.insert(0, os.path.dirname(os.path.abspath(manage_py)))
    try:
        import django
        django.setup()
        from django.contrib.auth.models import User
    except ImportError as e:
        fail_setup(f"Django is not installed (Debian: python3-django); this test must not skip: {e}")
    return User


def session_rows(database, key):
    """How many rows of Django's django_session in `database` hold `key` (0 or 1)."""
    with sqlite3.connect(database, timeout=10) as db:
        return db.execute('SELECT count(*) FROM "django_session" WHERE "session_key" = ?', (key,)).fetchone()[0]
