"""The views of examples/visit_counter (pages.hpp), written the Django way: the same routes, the
same session keys (num_visits, user, Django's testcookie) and the same words on the pages, so that
a test or a person can drive both sites alike and watch one session move between them. Only the
footer says which site answered. /cookies (plain cookies, no session) is the C++ site's alone.

Django's own login is /accounts/login/ (Django's default LOGIN_URL): a user of auth_user with a
password, what the C++ site's POST /login does with --user-table. / then says who is logged in and
shows the pending messages once, on either site. /login stays the name-only login of the seed
tutorial (the session key `user`), which the C++ site has without --user-table."""
import json

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.utils.html import conditional_escape, escape
from django.utils.http import http_date

_FOOTER = ('<nav><a href="/">count</a> | <a href="/short">count, 30 s session</a> | '
           '<a href="/about">about</a> | <a href="/session.json">session.json</a></nav>\n'
           '<form method="post" action="/login"><input name="user" placeholder="name"> '
           '<button>Log in</button></form>\n'
           '<form method="post" action="/logout"><button>Log out</button></form>\n'
           '<p><small>served by Django</small></p>\n')


def _page(title, body, status=200):
    return HttpResponse(f'<!doctype html>\n<html><head><meta charset="utf-8"><title>{title}</title></head>\n'
                        f"<body>\n{body}{_FOOTER}</body></html>\n",
                        content_type="text/html; charset=utf-8", status=status)


def _json(value, status=200):
    return JsonResponse(value, status=status, json_dumps_params={"ensure_ascii": False})


def _count_visit(request):
    visits = request.session.get("num_visits", 0) + 1
    request.session["num_visits"] = visits
    request.session.set_test_cookie()
    return visits


def _messages_html(request):
    """The pending messages, consumed (shown once): the C++ site's take_messages_html."""
    items = [f'<li class="{escape(m.tags)}">{conditional_escape(m.message)}</li>\n'
             for m in messages.get_messages(request)]
    return '<ul class="messages">\n' + "".join(items) + "</ul>\n" if items else ""


def index(request):
    body = _messages_html(request)
    if request.user.is_authenticated:
        body += f"<p>Logged in as {escape(request.user.get_username())}</p>\n"
    return _page("Visits", body + f"<p>Visits: {_count_visit(request)}</p>\n")


def short(request):
    request.session.set_expiry(30)
    return _page("Visits", f"<p>Visits: {_count_visit(request)}</p>\n"
                           "<p>This session ends after 30 s without a visit.</p>\n")


def about(request):
    session = request.session
    worked = "Test cookie worked" if session.test_cookie_worked() else "Test cookie not set"
    user = session.get("user", "")
    return _page("About", f"<p>{worked}</p>\n<p>Visits: {session.get('num_visits', 0)}</p>\n"
                          f"<p>Expires: {http_date(session.get_expiry_date().timestamp())}</p>\n"
                          + (f"<p>User: {escape(user)}</p>\n" if user else ""))


def login(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    user = request.POST.get("user", "")
    if not user:
        return _page("Log in", "<p>Missing form field user</p>\n", status=400)
    # A new key at login: a key planted before it is worthless (session fixation).
    request.session.cycle_key()
    request.session["user"] = user
    return _page("Logged in", f"<p>Logged in as {escape(user)}</p>\n")


_LOGIN_FORM = ('<form method="post" action="/accounts/login/" id="django-login">'
               '<input name="username" placeholder="user name" autocomplete="username"> '
               '<input name="password" type="password" placeholder="password" autocomplete="current-password"> '
               '<button type="submit">Log in with a password</button></form>\n')


def account_login(request):
    """Django's LoginView without its template: AuthenticationForm (the user by name, an active
    account, the right password), login() (a new key, the _auth_user_* keys), and a success
    message for the next page, as the C++ site's --user-table login adds one."""
    if request.method == "GET":
        return _page("Log in", _LOGIN_FORM)
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    form = AuthenticationForm(request, data=request.POST)
    if not form.is_valid():
        return _page("Log in", "<p>Please enter a correct user name and password.</p>\n" + _LOGIN_FORM, status=403)
    user = form.get_user()
    auth_login(request, user)
    messages.success(request, f"Welcome back, {user.get_username()}.")
    return _page("Logged in", f"<p>Logged in as {escape(user.get_username())}</p>\n")


def logout(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    request.session.flush()
    return _page("Logged out", "<p>Logged out</p>\n")


def session_json(request):
    if request.method == "POST":
        try:
            values = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            values = None
        if not isinstance(values, dict):
            return _json({"error": "the body must be a JSON object"}, status=400)
        request.session.update(values)
    elif request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    return _json(dict(request.session.items()))
