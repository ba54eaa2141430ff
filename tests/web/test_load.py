"""The embedded default under load: 50 people at once on SQLite, through the real server.

A fresh data folder gets the database, the library and fifty people; waitress serves the
application as ``finres serve`` does (eight threads). Fifty client threads log in and mix
reads (pages, API lists) with writes (new evidence, edited evidence: each one also appends to
the audit trail) for a bounded number of requests. No answer may be a server error and the
server's log may not mention "database is locked".
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import secrets
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

CLIENTS = 50
ROUNDS = 2  # per client: each round is two reads and two writes
PASSWORD = "load-test-" + secrets.token_hex(8)

pytestmark = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the load test is about the embedded default (SQLite)",
)

PREPARE = """
from finres.web import setup
setup.bootstrap()
setup.migrate()
setup.sync_library()
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from finres.web.audit.context import Actor, acting_as
from finres.web.orgs.models import Membership, Organisation
from finres.web.orgs.roles import Role
import sys
with acting_as(Actor(None, "load test")):
    org = Organisation.objects.create(
        name="Load Securities", industry="securities", paid_in_capital=15_000_000_000,
        internet_order=True, uses=["cloud"],
    )
    hashed = make_password(sys.argv[2])  # hashed once: Argon2 is slow on purpose
    for i in range(int(sys.argv[1])):
        user = get_user_model().objects.create(username=f"owner{i}", password=hashed)
        Membership.objects.create(user=user, organisation=org, role=Role.CONTROL_OWNER)
"""

# What ``finres serve`` runs once the site is ready (its static files are not needed here).
SERVE = """
import sys
from finres.web import setup
setup.bootstrap()
from finres.web.serving import serve
from finres.web.wsgi import application
serve(application, "127.0.0.1", int(sys.argv[1]))
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Client:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def csrf(self) -> str:
        return next((c.value for c in self.jar if c.name == "csrftoken"), "")

    def request(
        self,
        method: str,
        path: str,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        request = urllib.request.Request(
            self.base + path, data=data, method=method, headers=headers or {}
        )
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")

    def api(self, method: str, path: str, body: dict[str, object]) -> tuple[int, str]:
        headers = {
            "Content-Type": "application/json",
            "X-CSRFToken": self.csrf(),
            "Referer": self.base + "/",
        }
        return self.request(method, path, json.dumps(body).encode(), headers)

    def log_in(self, username: str) -> int:
        status, page = self.request("GET", "/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert status == 200 and token, status
        form = urllib.parse.urlencode(
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)}
        ).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": self.base + "/accounts/login/",
        }
        status, _ = self.request("POST", "/accounts/login/", form, headers)
        return status


def test_fifty_concurrent_users_on_sqlite(tmp_path: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        FINRES_DATA_DIR=str(tmp_path / "data"),
        FINRES_LANG="en",
        # The load comes from one address: keep the per-address limits out of the way.
        FINRES_THROTTLE_LOGIN="100000/min",
        FINRES_THROTTLE_PERSON="100000/min",
        FINRES_THROTTLE_ANONYMOUS="100000/min",
    )
    prepared = time.monotonic()
    subprocess.run(
        [sys.executable, "-c", PREPARE, str(CLIENTS), PASSWORD],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    prepared = time.monotonic() - prepared

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp_path / "server.log").open("w+", encoding="utf-8")
    started = time.monotonic()
    # ``timeout`` stops the server even if this test is killed before it can.
    server = subprocess.Popen(
        ["timeout", "300", sys.executable, "-c", SERVE, str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        up = None
        while time.monotonic() - started < 60 and server.poll() is None:
            try:
                with urllib.request.urlopen(base + "/accounts/login/", timeout=2):
                    up = time.monotonic() - started
                    break
            except OSError:
                time.sleep(0.2)
        assert up is not None, "the server did not start"

        statuses: Counter[int] = Counter()
        writes: Counter[int] = Counter()
        errors: list[str] = []
        lock = threading.Lock()

        def user(number: int) -> None:
            client = Client(base)
            try:
                results = [client.log_in(f"owner{number}")]
                written: list[int] = []
                for round_ in range(ROUNDS):
                    results.append(client.request("GET", "/")[0])
                    status, body = client.api(
                        "POST",
                        "/api/evidence/",
                        {"title": f"Policy {number}-{round_}", "url": "https://example.org/p"},
                    )
                    created = [status]
                    if status == 201:
                        written.append(json.loads(body)["id"])
                    results.append(client.request("GET", "/api/evidence/")[0])
                    if written:
                        status, _ = client.api(
                            "PATCH", f"/api/evidence/{written[-1]}/", {"description": "seen"}
                        )
                        created.append(status)
                    results += created
                    with lock:
                        writes.update(created)
                with lock:
                    statuses.update(results)
            except Exception as error:  # reported below, with the others
                with lock:
                    errors.append(f"{number}: {type(error).__name__}: {error}")

        threads = [threading.Thread(target=user, args=(n,)) for n in range(CLIENTS)]
        load_started = time.monotonic()
        for thread in threads:
            thread.start()
        # A backup taken while the writes go on is one consistent snapshot.
        time.sleep(1)
        backup = subprocess.run(
            [sys.executable, "-m", "finres", "backup", str(tmp_path / "backup")],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        for thread in threads:
            thread.join(timeout=120)
        duration = time.monotonic() - load_started
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.seek(0)
        server_log = log.read()
        log.close()

    assert not errors, errors[:5]
    assert backup.returncode == 0, backup.stderr
    copy = sqlite3.connect(tmp_path / "backup" / "database.sqlite3")
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        (evidence,) = copy.execute("SELECT count(*) FROM evidence_evidence").fetchone()
    finally:
        copy.close()
    assert 0 <= evidence <= CLIENTS * ROUNDS
    assert not any(code >= 500 for code in statuses), (statuses, server_log[-3000:])
    assert "database is locked" not in server_log, server_log[-3000:]
    # Every write went through (201 created, 200 edited): nothing was silently refused.
    assert set(writes) <= {200, 201}, writes
    assert writes[201] == CLIENTS * ROUNDS, writes
    assert writes[200] == CLIENTS * ROUNDS, writes
    total = sum(statuses.values())
    print(f"prepared in {prepared:.1f} s, up in {up:.1f} s; {total} requests in {duration:.1f} s")
