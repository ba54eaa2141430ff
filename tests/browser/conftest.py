"""Fixtures for the end-to-end tests: the demo site on a live server, and headless Chromium.

The browser tests use Debian's Chromium (Playwright cannot download its own browsers here) and
are skipped with a reason where it is not installed. Each test gets a freshly loaded demo: a
transactional test flushes the database when it ends, library included.
"""

from __future__ import annotations

import importlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from playwright.sync_api import Page

from finres.core.library import Library, load_library
from tests.browser.support import DemoSite
from tests.web.conftest import login

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 20_000

_append_only = importlib.import_module("finres.web.audit.migrations.0002_append_only")
_TEST_DATABASE = pytest.StashKey[tuple[Any, str]]()


def chromium_path() -> str | None:
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


# --- the audit trail's append-only triggers and the flush after each test ----------------------


class _Executor:
    """The little of a schema editor that the audit migration's functions use."""

    def __init__(self) -> None:
        self.connection = connection

    def execute(self, sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)


@pytest.fixture
def flushable_audit_trail(request: pytest.FixtureRequest, django_db_blocker: Any) -> Iterator[None]:
    """The audit trail refuses DELETE (a database trigger), and SQLite flushes with DELETE: the
    triggers are dropped just before the flush and put back right after it (see the hook)."""
    request.node.stash[_TEST_DATABASE] = (django_db_blocker, connection.settings_dict["NAME"])
    yield
    _append_only.backwards(None, _Executor())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    try:
        return (yield)
    finally:
        blocker, test_database = item.stash.get(_TEST_DATABASE, (None, None))
        # After the last test the test database is gone and the connection names the real one
        # again: leave that alone.
        if blocker is not None and connection.settings_dict["NAME"] == test_database:
            with blocker.unblock():
                _append_only.backwards(None, _Executor())  # DROP ... IF EXISTS first
                _append_only.forwards(None, _Executor())


# --- the demo site ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def library() -> Library:
    return load_library()


@pytest.fixture
def demo_site(
    live_server: Any, library: Library, flushable_audit_trail: None, playwright_browser: Any
) -> DemoSite:
    from finres.web.frameworks.sync import sync_library
    from finres.web.setup import load_demo

    sync_library(library)
    return DemoSite(url=live_server.url, demo=load_demo())


# --- the browser -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def playwright_browser() -> Iterator[Any]:
    """One headless Chromium for the module (closed, and the setting below undone, after it)."""
    executable = chromium_path()
    if executable is None:
        pytest.skip("Chromium is not installed (/usr/bin/chromium): `make system-deps`")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in the test thread; Django refuses database
    # calls from a thread with a running loop unless told that this one is safe.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _page_in_new_context(browser: Any, contexts: list[Any], **options: Any) -> Page:
    """A page in a fresh context (kept in ``contexts`` to be closed), with the tests' timeout."""
    context = browser.new_context(**options)
    context.set_default_timeout(TIMEOUT_MS)
    contexts.append(context)
    page: Page = context.new_page()
    return page


@pytest.fixture
def new_page(playwright_browser: Any, demo_site: DemoSite) -> Iterator[Callable[[], Page]]:
    """Pages in fresh browser contexts (one per person), in zh-TW, saving downloads."""
    contexts: list[Any] = []

    def make() -> Page:
        return _page_in_new_context(
            playwright_browser,
            contexts,
            base_url=demo_site.url,
            locale="zh-TW",
            timezone_id="Asia/Taipei",
            viewport={"width": 1366, "height": 900},
            accept_downloads=True,
        )

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def shots(tmp_path: Path) -> Callable[[Page, str], Path]:
    """Save a full-page screenshot of a step under the test's temporary folder."""
    folder = tmp_path / "screenshots"
    folder.mkdir()
    counter = {"n": 0}

    def shoot(page: Page, name: str) -> Path:
        counter["n"] += 1
        path = folder / f"{counter['n']:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return shoot


# --- a page as a demo person, logged in without the log-in form ----------------------------------


def session_for(username: str) -> str:
    """A logged-in session (second factor confirmed) for a demo user, as its cookie value."""
    client = login(Client(), get_user_model().objects.get(username=username))
    return str(client.cookies["sessionid"].value)


@pytest.fixture
def page_as(
    playwright_browser: Any, demo_site: DemoSite
) -> Iterator[Callable[[str, str, int], Page]]:
    contexts: list[Any] = []

    def make(username: str, language: str, width: int) -> Page:
        page = _page_in_new_context(
            playwright_browser,
            contexts,
            base_url=demo_site.url,
            viewport={"width": width, "height": 900},
        )
        cookies = [{"name": "sessionid", "value": session_for(username), "url": demo_site.url}]
        cookies.append({"name": "django_language", "value": language, "url": demo_site.url})
        page.context.add_cookies(cookies)
        return page

    yield make
    for context in contexts:
        context.close()
