#!/usr/bin/python3
"""The Django 3.2 side of tools/bench.sh: the same operations as the C++ suite, same payloads
(bench/payloads.json), timed in batches; prints JSON {"benchmarks": [{"name", "real_time_ns", "cpu_time_ns"}]}.

    /usr/bin/python3 bench/django_bench.py --db-dir DIR [--min-time 0.05] [--repetitions 5]
"""
import argparse
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SECRET = "bench secret key: 50 characters of nothing secret!"
COOKIE_SALT = "django.contrib.sessions.backends.signed_cookies"


def configure(db_path):
    from django.conf import settings
    settings.configure(
        SECRET_KEY=SECRET,
        INSTALLED_APPS=["django.contrib.sessions"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": db_path}},
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        USE_TZ=True,
    )
    import django
    django.setup()
    from django.core.management import call_command
    call_command("migrate", "sessions", verbosity=0)


def batch(fn, n):
    """(wall, thread CPU) nanoseconds of n calls."""
    w0, c0 = time.perf_counter_ns(), time.thread_time_ns()
    for _ in range(n):
        fn()
    return time.perf_counter_ns() - w0, time.thread_time_ns() - c0


def timed(fn, min_time, repetitions):
    """Median wall and CPU nanoseconds per call over `repetitions` batches of at least `min_time`
    seconds each (as Google Benchmark's real_time and cpu_time)."""
    n = 1
    while True:  # find a batch size that lasts min_time
        wall, cpu = batch(fn, n)
        if wall >= min_time * 1e9:
            break
        n = max(n * 2, int(n * min_time * 1e9 / max(wall, 1) * 1.2))
    samples = [(wall, cpu)] + [batch(fn, n) for _ in range(repetitions - 1)]
    return statistics.median(s[0] / n for s in samples), statistics.median(s[1] / n for s in samples), n


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db-dir", default=".")
    parser.add_argument("--min-time", type=float, default=0.05)
    parser.add_argument("--repetitions", type=int, default=5)
    args = parser.parse_args()

    db_path = os.path.join(os.path.abspath(args.db_dir), "django-bench-%d.sqlite3" % os.getpid())
    configure(db_path)
    import django
    from django.core import signing
    from django.contrib.sessions.backends import signed_cookies, db, cache
    from django.utils.crypto import get_random_string

    with open(os.path.join(HERE, "payloads.json")) as f:
        payloads = json.load(f)

    results = []

    def run(name, fn):
        real, cpu, n = timed(fn, args.min_time, args.repetitions)
        results.append({"name": name, "real_time_ns": real, "cpu_time_ns": cpu, "batch": n})
        print("  django %-40s %10.2f us real %10.2f us cpu" % (name, real / 1000, cpu / 1000), file=sys.stderr)

    for size, data in payloads.items():
        cookie = signing.dumps(data, compress=True, salt=COOKIE_SALT, serializer=signing.JSONSerializer)
        run("signing_dumps/" + size,
            lambda data=data: signing.dumps(data, compress=True, salt=COOKIE_SALT, serializer=signing.JSONSerializer))
        run("signing_loads/" + size,
            lambda cookie=cookie: signing.loads(cookie, salt=COOKIE_SALT, max_age=1209600,
                                                serializer=signing.JSONSerializer))

        def changed(cookie=cookie):
            s = signed_cookies.SessionStore(session_key=cookie)
            s["num_visits"] = s.get("num_visits", 0) + 1
            s.save()
            return s.session_key

        def read(cookie=cookie):
            return signed_cookies.SessionStore(session_key=cookie).get("num_visits", 0)

        run("signed_cookie_cycle/changed/" + size, changed)
        run("signed_cookie_cycle/read/" + size, read)

    typical = payloads["typical"]
    for name, module in (("db_sqlite", db), ("locmem_cache", cache)):
        s = module.SessionStore()
        s.update(typical)
        s.save()
        key = s.session_key

        def changed(module=module, key=key):
            s = module.SessionStore(session_key=key)
            s["num_visits"] = s.get("num_visits", 0) + 1
            s.save()

        def read(module=module, key=key):
            return module.SessionStore(session_key=key).get("_auth_user_id")

        run(name + "/changed", changed)
        run(name + "/read", read)

    def new_session():
        s = cache.SessionStore()
        s["num_visits"] = 1
        s.save()

    run("locmem_cache/new", new_session)
    run("key_generation", lambda: get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789"))

    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.remove(db_path + suffix)
        except FileNotFoundError:
            pass
    json.dump({"django_version": django.get_version(), "python": sys.version.split()[0], "db_path_dir": args.db_dir,
               "benchmarks": results}, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
