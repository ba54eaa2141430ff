"""Settings for the test suite: fast hashing, in-memory uploads folder per run."""

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
