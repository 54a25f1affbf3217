#!/usr/bin/env python3
"""Django's login state and messages shared with C++ (Debian's python3-django), in both directions:

  - a user logged in through Django's test client is the same verified user on the C++ side, and a
    C++ login is request.user in Django;
  - a password changed in Django flushes the C++ session at its next get_user, and a C++
    update_session_auth_hash keeps the changing session logged in for Django while the user's
    other sessions are logged out;
  - messages added on either side are shown once on the other: session storage, cookie storage
    (a tampered cookie shows nothing on both sides), the fallback storage with a list too large
    for the cookie, and the oversized cookie rule (the oldest dropped, the list marked unfinished);
  - passwords hashed by Django's make_password check true in C++, wrong ones false, other
    hashers are reported as unsupported.

  - sessionctl whoami reads a session of Django's db backend and auth_user from the same SQLite
    file: the user id when verified, the reason (exit 1) otherwise.

Sessions live in Django's file backend directory, which the C++ side reads with FileStore and
Django's signed format (and, for whoami, in Django's SQLite database).
usage: test_auth_interop.py PATH/TO/auth_tool PATH/TO/sessionctl   (exits 1 on any failure)
"""
import json
import os
import subprocess
import sys
import tempfile

SECRET = "shared secret between Django and C++ for auth"

try:
    import django
    from django.conf import settings
except ImportError:
    print("FAIL: python3-django is not installed; this test must not skip", file=sys.stderr)
    sys.exit(1)

DIRECTORY = tempfile.mkdtemp(prefix="sessions-auth-interop-")
settings.configure(
    SECRET_KEY=SECRET,
    DEBUG=False,
    ALLOWED_HOSTS=["testserver"],
    INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
                    "django.contrib.messages"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.path.join(DIRECTORY, "db.sqlite3")}},
    SESSION_ENGINE="django.contrib.sessions.backends.file",
    SESSION_FILE_PATH=DIRECTORY,
    MIDDLEWARE=["django.contrib.sessions.middleware.SessionMiddleware",
                "django.contrib.auth.middleware.AuthenticationMiddleware",
                "django.contrib.messages.middleware.MessageMiddleware"],
    ROOT_URLCONF=__name__,
    PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher",
                      "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher"],
    USE_TZ=True,
)
django.setup()

from django.contrib import messages  # noqa: E402
from django.contrib.auth import update_session_auth_hash  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.contrib.messages.storage.base import Message  # noqa: E402
from django.contrib.messages.storage.cookie import CookieStorage  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.http import HttpResponse, JsonResponse  # noqa: E402
from django.test import Client, RequestFactory  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.urls import path  # noqa: E402


def whoami(request):
    return HttpResponse(str(request.user.pk) if request.user.is_authenticated else "anonymous")


def add(request):
    for level, text in zip(request.GET.getlist("level"), request.GET.getlist("text")):
        messages.add_message(request, int(level), text, extra_tags=request.GET.get("tags", ""))
    return HttpResponse("ok")


def show(request):
    return JsonResponse([[m.level, m.message, m.extra_tags] for m in messages.get_messages(request)], safe=False)


def change_password(request):
    request.user.set_password(request.GET["password"])
    request.user.save()
    update_session_auth_hash(request, request.user)
    return HttpResponse("changed")


urlpatterns = [path("whoami", whoami), path("add", add), path("show", show), path("change", change_password)]

TOOL = sys.argv[1]
SESSIONCTL = sys.argv[2]
USERS = os.path.join(DIRECTORY, "users.json")
failures = []


def tool(*args):
    result = subprocess.run([TOOL, *args], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"auth_tool {args[0]} failed: {result.stderr.strip()}")
    return result.stdout.strip()


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def export_users():
    """auth_user as the C++ lookup sees it (the ids as text, as Django keeps them in sessions)."""
    rows = [{"id": str(u.pk), "password": u.password, "is_active": u.is_active, "username": u.username}
            for u in User.objects.all()]
    with open(USERS, "w") as f:
        json.dump(rows, f)


def cpp_get_user(key):
    status, user_id, new_key = tool("get-user", SECRET, DIRECTORY, USERS, key).split()
    return int(status), user_id, new_key


def client_with(session_key=None, messages_cookie=None):
    client = Client()
    if session_key:
        client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    if messages_cookie:
        client.cookies["messages"] = messages_cookie
    return client


VERIFIED, HASH_MISMATCH = 0, 7

call_command("migrate", verbosity=0)
alice = User.objects.create_user("alice", password="alice's password")
bob = User.objects.create_user("bob", password="bob's password")
export_users()

# 1. Django login -> C++ get_user.
django_client = Client()
django_client.force_login(alice)
django_key = django_client.cookies[settings.SESSION_COOKIE_NAME].value
status, user_id, _ = cpp_get_user(django_key)
check(status == VERIFIED and user_id == str(alice.pk), "a Django login is the same verified user in C++")

# 2. C++ login -> Django request.user.
cpp_key = tool("login", SECRET, DIRECTORY, USERS, str(bob.pk))
check(client_with(cpp_key).get("/whoami").content.decode() == str(bob.pk), "a C++ login is request.user in Django")
cpp_relogin = tool("login", SECRET, DIRECTORY, USERS, str(bob.pk), cpp_key)
check(cpp_relogin == cpp_key, "a C++ login of the same user keeps the session key, as Django's login()")
cpp_other = tool("login", SECRET, DIRECTORY, USERS, str(alice.pk), cpp_key)
check(cpp_other != cpp_key and client_with(cpp_other).get("/whoami").content.decode() == str(alice.pk),
      "a C++ login of another user flushes into a new session Django reads as that user")

# 3. A password change in Django flushes the C++ session.
bob_key = tool("login", SECRET, DIRECTORY, USERS, str(bob.pk))
bob.set_password("bob's new password")
bob.save()
export_users()
status, user_id, new_key = cpp_get_user(bob_key)
check(status == HASH_MISMATCH and user_id == "-" and new_key == "-", "a password changed in Django flushes the C++ session")
check(not os.path.exists(os.path.join(DIRECTORY, "sessionid" + bob_key)) and
      client_with(bob_key).get("/whoami").content.decode() == "anonymous", "the flushed session is gone for Django too")

# 4. update_session_auth_hash in C++: the changing session stays, the others are logged out for Django.
changing = tool("login", SECRET, DIRECTORY, USERS, str(bob.pk))
other = tool("login", SECRET, DIRECTORY, USERS, str(bob.pk))
bob.set_password("bob's third password")
bob.save()
export_users()
changed = tool("update-hash", SECRET, DIRECTORY, USERS, str(bob.pk), changing)
check(changed != changing and client_with(changed).get("/whoami").content.decode() == str(bob.pk),
      "C++ update_session_auth_hash keeps the changing session logged in for Django")
check(client_with(other).get("/whoami").content.decode() == "anonymous", "the user's other session is logged out in Django")
# And Django's update_session_auth_hash is seen by C++.
bob_client = Client()
bob_client.force_login(bob)
bob_client.get("/change", {"password": "bob's fourth password"})
export_users()
status, user_id, _ = cpp_get_user(bob_client.cookies[settings.SESSION_COOKIE_NAME].value)
check(status == VERIFIED and user_id == str(bob.pk), "Django's update_session_auth_hash keeps the session verified in C++")

# 5. Messages in the session, both ways, shown once.
with override_settings(MESSAGE_STORAGE="django.contrib.messages.storage.session.SessionStorage"):
    client = Client()
    client.force_login(alice)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.get("/add", {"level": ["25", "40"], "text": ["Saved.", "Wrong \"password\" é"]})
    shown = json.loads(tool("session-show", SECRET, DIRECTORY, key))
    check([m[:2] for m in shown] == [[25, "Saved."], [40, "Wrong \"password\" é"]], "Django's session messages are shown in C++")
    check(json.loads(tool("session-show", SECRET, DIRECTORY, key)) == [], "... once")
    tool("session-add", SECRET, DIRECTORY, key, "25", "Logged in as alice", "login")
    tool("session-add", SECRET, DIRECTORY, key, "45", "custom level")
    check(client.get("/show").json() == [[25, "Logged in as alice", "login"], [45, "custom level", None]],
          "C++ session messages are shown in Django (3.2 decodes empty extra tags as None)")
    check(client.get("/show").json() == [], "... once")

# 6. Messages in the cookie, both ways; a tampered cookie shows nothing anywhere.
with override_settings(MESSAGE_STORAGE="django.contrib.messages.storage.cookie.CookieStorage"):
    client = Client()
    client.get("/add", {"level": ["20"], "text": ["from Django"], "tags": "x"})
    cookie = client.cookies["messages"].value
    out = tool("cookie-show", SECRET, cookie).splitlines()
    check(json.loads(out[0]) == [[20, "from Django", "x", False]] and out[1] == "REMOVE",
          "Django's messages cookie is shown in C++, then deleted")
    out = tool("cookie-add", SECRET, "-", "25", "from C++", "30", "second").splitlines()
    response = client_with(messages_cookie=out[-1]).get("/show")
    check(response.json() == [[25, "from C++", None], [30, "second", None]], "a C++ messages cookie is shown in Django")
    check(response.cookies["messages"]["max-age"] == 0, "... and Django deletes it")
    tampered = out[-1][:-3] + ("AAA" if not out[-1].endswith("AAA") else "BBB")
    check(client_with(messages_cookie=tampered).get("/show").json() == [], "a tampered cookie shows nothing in Django")
    out = tool("cookie-show", SECRET, tampered).splitlines()
    check(json.loads(out[0]) == [] and out[1] == "REMOVE", "a tampered cookie shows nothing in C++ and is deleted")

    # The size rule: both sides keep the same newest messages and mark the list unfinished.
    texts = ["message %d %s" % (i, os.urandom(30).hex()) for i in range(40)]
    args = [a for t in texts for a in ("20", t)]
    cpp_cookie = tool("cookie-add", SECRET, "-", *args).splitlines()[-1]
    request = RequestFactory().get("/")
    request.COOKIES["messages"] = cpp_cookie
    storage = CookieStorage(request)
    read, all_retrieved = storage._get()
    django_storage = CookieStorage(RequestFactory().get("/"))
    django_response = HttpResponse()
    unstored = django_storage._store([Message(20, t) for t in texts], django_response)
    check(len(cpp_cookie) <= 2048 and not all_retrieved and [m.message for m in read] == texts[len(unstored):],
          f"an oversized list keeps the newest {len(read)} messages in both, marked unfinished")

# 7. The fallback storage (Django's default): an overflow into the session, read back in C++.
client = Client()
client.force_login(alice)
key = client.cookies[settings.SESSION_COOKIE_NAME].value
texts = ["fallback %d %s" % (i, os.urandom(30).hex()) for i in range(40)]
client.get("/add", {"level": ["20"] * len(texts), "text": texts})
cookie = client.cookies["messages"].value
out = tool("fallback-show", SECRET, DIRECTORY, key, cookie).splitlines()
check([m[1] for m in json.loads(out[0])] == texts and out[1] == "REMOVE",
      "Django's fallback storage (cookie + session) is read whole and in order in C++")
check(json.loads(tool("session-show", SECRET, DIRECTORY, key)) == [], "... and the session part is consumed")
texts = ["from C++ %d %s" % (i, os.urandom(30).hex()) for i in range(40)]
cookie = tool("fallback-add", SECRET, DIRECTORY, key, "-", *[a for t in texts for a in ("25", t)]).splitlines()[-1]
shown = client_with(key, cookie).get("/show").json()
check([m[1] for m in shown] == texts and all(m[0] == 25 for m in shown),
      "a C++ fallback storage overflowing into the session is shown whole and in order by Django")
check(json.loads(tool("session-show", SECRET, DIRECTORY, key)) == [], "... once (Django emptied the session part)")

# 8. Passwords.
for password, hasher in [("s3cret pass", "pbkdf2_sha256"), ("Zoë ☃", "pbkdf2_sha256"), ("s3cret pass", "pbkdf2_sha1")]:
    encoded = make_password(password, hasher=hasher)
    check(tool("check-password", password, encoded) == "true", f"{hasher} from make_password checks true in C++")
    check(tool("check-password", password + "!", encoded) == "false", f"{hasher}: a wrong password is false")
check(tool("check-password", "x", "argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA") == "unsupported",
      "an argon2 hash is 'unsupported', not 'wrong password'")

# 9. sessionctl whoami over Django's db backend and auth_user in one SQLite file.
DB_URL = "sqlite:///" + os.path.join(DIRECTORY, "db.sqlite3")


def whoami(key, *extra):
    result = subprocess.run([SESSIONCTL, "whoami", "--store", DB_URL, "--key", SECRET, *extra, key],
                            capture_output=True, text=True, timeout=60)
    return result.returncode, result.stdout.strip(), result.stderr.strip()


with override_settings(SESSION_ENGINE="django.contrib.sessions.backends.db"):
    carol = User.objects.create_user("carol", password="carol's password")
    client = Client()
    client.force_login(carol)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    check(whoami(key) == (0, str(carol.pk), ""), "whoami prints the id of a Django login, alone, exit 0")
    environment = dict(os.environ, SESSIONS_SECRET_KEY=SECRET)
    result = subprocess.run([SESSIONCTL, "whoami", "--store", DB_URL, key], capture_output=True, text=True,
                            timeout=60, env=environment)
    check(result.returncode == 0 and result.stdout.strip() == str(carol.pk), "whoami takes the key from SESSIONS_SECRET_KEY")
    carol.is_active = False
    carol.save()
    check(whoami(key) == (1, "", "inactive user"), "whoami: an inactive user, exit 1")
    carol.is_active = True
    carol.set_password("carol's new password")
    carol.save()
    check(whoami(key) == (1, "", "hash mismatch"), "whoami: a password changed since the login, exit 1")
    anonymous = Client()
    anonymous.get("/add", {"level": ["20"], "text": ["hello"]})
    with override_settings(MESSAGE_STORAGE="django.contrib.messages.storage.session.SessionStorage"):
        anonymous.get("/add", {"level": ["20"], "text": ["hello"]})
    anonymous_key = anonymous.cookies[settings.SESSION_COOKIE_NAME].value
    check(whoami(anonymous_key) == (1, "", "no user"), "whoami: a session without a login, exit 1")
    client = Client()
    client.force_login(carol)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    carol.delete()
    check(whoami(key) == (1, "", "unknown user"), "whoami: a user deleted since, exit 1")
    code, _, err = whoami("0" * 32)
    check(code == 1 and err.startswith("NotFound"), "whoami: no such session, exit 1")

if failures:
    print(f"{len(failures)} failure(s)", file=sys.stderr)
    sys.exit(1)
print("all auth interop checks passed")
