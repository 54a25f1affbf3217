#!/usr/bin/env python3
"""Sessions shared with real Django (Debian's python3-django), through sessions::Session itself:

  - signed-cookie sessions: a cookie made by Django's signed_cookies SessionStore is read by
    Session<SignedCookieStore>, and a cookie made by Session<SignedCookieStore> is loaded by
    Django's SessionStore(session_key=cookie);
  - file sessions: a file written by Django's file backend (SESSION_FILE_PATH) is read by
    Session<FileStore, DjangoSignedSerializer>, and the reverse;
  - a cookie signed with another key, or tampered, is an empty session on both sides.

usage: test_session_interop.py PATH/TO/session_tool      (exits 1 on any mismatch or without Django)
"""
import importlib
import json
import subprocess
import sys
import tempfile

SECRET = "shared secret between Django and C++"

try:
    import django
    from django.conf import settings
except ImportError:
    print("FAIL: python3-django is not installed; this test must not skip", file=sys.stderr)
    sys.exit(1)

DIRECTORY = tempfile.mkdtemp(prefix="sessions-interop-")
settings.configure(
    SECRET_KEY=SECRET,
    INSTALLED_APPS=["django.contrib.sessions"],
    SESSION_FILE_PATH=DIRECTORY,
    USE_TZ=True,
)
django.setup()
SignedCookieStore = importlib.import_module("django.contrib.sessions.backends.signed_cookies").SessionStore
FileStore = importlib.import_module("django.contrib.sessions.backends.file").SessionStore

TOOL = sys.argv[1]
failures = []

SAMPLES = [
    {},
    {"num_visits": 1},
    {"_auth_user_id": "42", "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
     "_auth_user_hash": "a" * 64, "cart": [{"sku": i, "qty": i + 1, "price": 9.99 * i} for i in range(5)]},
    {"unicode": "Zoë 😀 \u2028 \"quoted\" <tag> & 'apostrophe'", "nested": {"a": [1, 2, {"b": None}]}},
    {"big": 18446744073709551617, "neg": -(2 ** 70), "float": 1e-05, "flag": True},
    {"text": "x" * 3000},  # compresses
]


def tool(*args, stdin=""):
    result = subprocess.run([TOOL, *args], input=stdin, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"session_tool {args[0]} failed: {result.stderr.strip()}")
    return result.stdout.strip()


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL:", what, flush=True)


for data in SAMPLES:
    # Django -> C++ (signed cookie)
    s = SignedCookieStore()
    s.update(data)
    s.save()
    ours = json.loads(tool("signed-cookie-read", SECRET, stdin=s.session_key))
    check(ours == data, f"C++ read Django's signed cookie: {ours!r} != {data!r}")

    # C++ -> Django (signed cookie)
    cookie = tool("signed-cookie-write", SECRET, stdin=json.dumps(data))
    theirs = SignedCookieStore(session_key=cookie).load()
    check(theirs == data, f"Django read our signed cookie: {theirs!r} != {data!r}")

    # Django -> C++ (file backend, Django's session_data format)
    f = FileStore()
    f.update(data)
    f.save()
    ours = json.loads(tool("file-read", SECRET, DIRECTORY, f.session_key))
    check(ours == data, f"C++ read Django's session file: {ours!r} != {data!r}")

    # C++ -> Django (file backend)
    key = tool("file-write", SECRET, DIRECTORY, stdin=json.dumps(data))
    check(len(key) == 32, f"our session key {key!r}")
    theirs = FileStore(session_key=key).load()
    check(theirs == data, f"Django read our session file: {theirs!r} != {data!r}")

# Wrong key and tampering: empty on both sides.
s = SignedCookieStore()
s["user"] = 1
s.save()
check(json.loads(tool("signed-cookie-read", "another secret", stdin=s.session_key)) == {},
      "a cookie signed with another key must read as empty")
tampered = s.session_key[:-2] + ("AA" if not s.session_key.endswith("AA") else "BB")
check(json.loads(tool("signed-cookie-read", SECRET, stdin=tampered)) == {}, "a tampered cookie must read as empty")
cookie = tool("signed-cookie-write", "another secret", stdin='{"user": 1}')
check(SignedCookieStore(session_key=cookie).load() == {}, "Django must refuse a cookie signed with another key")

if failures:
    print(f"{len(failures)} failure(s)")
    sys.exit(1)
print(f"session interop: OK ({len(SAMPLES)} samples, both directions, signed cookies and files)")
