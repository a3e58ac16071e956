"""Settings of the test suite (pyproject.toml's DJANGO_SETTINGS_MODULE): settings.py, with what the
tests need asked for explicitly. settings.py is production-safe by default (DEBUG off, a required
SECRET_KEY, HTTPS only); the tests run with DEBUG off, over plain HTTP, with a fixed test key.
A test that needs DEBUG sets it itself (`settings.DEBUG = True`). The environment still wins.
"""

import os

os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-" + "0123456789abcdef" * 3)
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("REDIS_IN_PROCESS", "1")  # the suite is one process: fakeredis is shared

from settlement_project.settings import *  # noqa: F403
