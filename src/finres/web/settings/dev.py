"""The embedded default: one machine, SQLite and local files (``finres serve``)."""

from finres.web.settings.base import *  # noqa: F403

DEBUG = False  # the demo runs like production but over plain HTTP on localhost
ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost"]  # noqa: F405
