"""Settings for the test suite: fast hashing, in-memory uploads folder per run."""

import os
import secrets
import tempfile
from pathlib import Path

from finres.web.settings.base import *  # noqa: F403
from finres.web.settings.base import STORAGES

ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
_TMP = Path(tempfile.mkdtemp(prefix="finres-test-"))
MEDIA_ROOT = _TMP / "evidence"
STORAGES = {
    **STORAGES,
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
AXES_ENABLED = True
STATIC_ROOT = _TMP / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_AUTOREFRESH = True  # serve from the finders: the tests run without collectstatic

# Each run gets its own test database, so that two runs against one PostgreSQL server (two
# developers, CI beside a developer) never drop each other's database.
DATABASES["default"]["TEST"] = {  # noqa: F405
    "NAME": f"test_finres_{os.getpid()}_{secrets.token_hex(3)}",
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {}  # noqa: F405  (in memory, private to the process)

# One test process: its own memory cache, whatever the database (the settings would share a
# folder of the data directory between the server processes on PostgreSQL, and so between runs).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": 10_000},
    }
}

# The fuzzer and the API tests send many requests a minute; throttling has its own tests.
FINRES_THROTTLE_RATES = {"anonymous": "100000/min", "person": "100000/min", "login": "100000/min"}

# Background jobs run at once in the calling thread; the broker tests send them to real workers.
FINRES_JOBS_EAGER = True
