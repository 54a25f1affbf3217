#!/usr/bin/env python3
"""The Django twin of examples/visit_counter (see README.md next to this file).

    SESSIONS_SECRET_KEY=... SESSIONS_DJANGO_DB=/path/sessions.db ./manage.py migrate
    SESSIONS_SECRET_KEY=... SESSIONS_DJANGO_DB=/path/sessions.db ./manage.py runserver --noreload 127.0.0.1:8001
"""
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_site.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
