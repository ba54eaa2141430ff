"""Caches and sessions in Redis (FINRES_REDIS_URL), over the real Redis at 127.0.0.1:6379
(database 9, flushed by these tests only): what one process counts or stores, every other
process and machine sees. Without Redis, the production settings keep them in a folder."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from finres.web.orgs.roles import Role

from .conftest import PASSWORD

REDIS_URL = os.environ.get("FINRES_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_db() -> Iterator[redis.Redis]:
    raw = redis.Redis.from_url(REDIS_URL)
    try:
        raw.ping()
    except redis.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    raw.flushdb()
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "finres",
        }
    }
    with override_settings(
        CACHES=caches, SESSION_ENGINE="django.contrib.sessions.backends.cached_db"
    ):
        cache.clear()
        yield raw
    raw.flushdb()


def _keys(raw: redis.Redis, pattern: str) -> list[str]:
    return [key.decode() for key in raw.keys(pattern)]


def test_throttles_count_in_redis(
    redis_db: redis.Redis, settings: Any, make_user: Any, org: Any
) -> None:
    settings.FINRES_THROTTLE_RATES = {"anonymous": "3/min", "person": "3/min", "login": "3/min"}
    browser = Client()

    def attempt(number: int) -> int:
        # Another name each time: the lockout (per person) stays out of the count.
        form = {"username": f"nobody-{number}", "password": "wrong"}
        return int(browser.post(reverse("orgs:login"), form).status_code)

    assert [attempt(n) for n in range(3)] == [200, 200, 200]
    # The count is in Redis, where every server process adds its requests to it: what this
    # process reads is what is there (here emptied as if by another one).
    keys = _keys(redis_db, "finres:*throttle_login*")
    assert len(keys) == 1
    redis_db.delete(keys[0])
    assert [attempt(n) for n in range(3, 7)] == [200, 200, 200, 429]


def test_sessions_are_read_from_redis_and_kept_in_the_database(
    redis_db: redis.Redis, make_user: Any, org: Any
) -> None:
    from django.contrib.sessions.models import Session

    user = make_user(Role.CONTROL_OWNER, org, username="cached")
    client = Client()
    response = client.post(reverse("orgs:login"), {"username": "cached", "password": PASSWORD})
    assert response.status_code == 302
    session_key = client.cookies["sessionid"].value
    assert _keys(redis_db, f"finres:*{session_key}")  # in Redis, for every server
    assert Session.objects.filter(session_key=session_key).exists()  # and written through
    assert client.get(reverse("evidence:list")).status_code == 200
    # Redis emptied (a restart): the session is read back from the database.
    redis_db.flushdb()
    assert client.get(reverse("evidence:list")).status_code == 200
    assert user.pk


def test_charts_are_cached_in_redis(redis_db: redis.Redis) -> None:
    from finres.web.reports import charts

    title = secrets.token_hex(4)
    first = charts.trend([2024, 2025], [charts.Series("整體", [2.0, 3.0], "current")], title=title)
    keys = _keys(redis_db, "finres:*finres-chart-*")
    assert len(keys) == 1
    again = charts.trend([2024, 2025], [charts.Series("整體", [2.0, 3.0], "current")], title=title)
    assert again == first


SETTINGS_PROBE = """
import json, sys
from django.conf import settings
import django
django.setup()
print(json.dumps({"cache": settings.CACHES["default"]["BACKEND"],
                  "location": str(settings.CACHES["default"].get("LOCATION", "")),
                  "sessions": settings.SESSION_ENGINE}))
"""


def _settings_of(module: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FINRES_", "DATABASE_URL", "DJANGO_SETTINGS_MODULE"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE=module,
        FINRES_DATA_DIR=str(tmp_path / "data"),
        FINRES_SECRET_KEY=secrets.token_urlsafe(64),
        FINRES_AUDIT_KEY=secrets.token_hex(32),
        **extra,
    )
    done = subprocess.run(
        [sys.executable, "-c", SETTINGS_PROBE],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, str] = json.loads(done.stdout)
    return result


def test_settings_follow_the_environment(tmp_path: Path) -> None:
    production = "finres.web.settings.production"
    with_redis = _settings_of(production, tmp_path, FINRES_REDIS_URL=REDIS_URL)
    assert with_redis == {
        "cache": "django.core.cache.backends.redis.RedisCache",
        "location": REDIS_URL,
        "sessions": "django.contrib.sessions.backends.cached_db",
    }
    # Several processes on one machine without Redis: a folder they all read and write.
    alone = _settings_of(production, tmp_path)
    assert alone["cache"] == "django.core.cache.backends.filebased.FileBasedCache"
    assert alone["location"] == str(tmp_path / "data" / "cache")
    assert alone["sessions"] == "django.contrib.sessions.backends.db"
    # The embedded default (one process) keeps its memory cache.
    dev = "finres.web.settings.dev"
    embedded = _settings_of(dev, tmp_path)
    assert embedded["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    # `finres serve` with several processes (PostgreSQL's default, or asked for) shares the
    # folder: a rate limit counts every process's attempts, a figure is computed once.
    postgres = "postgres://nobody@127.0.0.1:5432/none"
    for extra, backend in (
        ({"DATABASE_URL": postgres}, "filebased.FileBasedCache"),
        ({"FINRES_WORKERS": "3"}, "filebased.FileBasedCache"),
        ({"DATABASE_URL": postgres, "FINRES_WORKERS": "1"}, "locmem.LocMemCache"),
    ):
        found = _settings_of(dev, tmp_path, **extra)
        assert found["cache"] == f"django.core.cache.backends.{backend}", extra
