"""Several server processes: gunicorn behind a TLS proxy with the production settings, the
proxy headers trusted from the proxy only, the default number of workers, the warm-up."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from finres.web import serving

from .test_operations import environment, free_port, request

# --- pure parts ---------------------------------------------------------------------------------


def test_default_workers() -> None:
    assert serving.default_workers("sqlite", cpus=8) == 1
    assert serving.default_workers("postgresql", cpus=2) == 5
    assert serving.default_workers("postgresql", cpus=16) == 33


def test_gunicorn_trusts_the_proxy_only() -> None:
    options = serving.gunicorn_options("127.0.0.1", 8000, 3, 4, trusted_proxy=None)
    assert options["forwarded_allow_ips"] == ""  # gunicorn's default would trust 127.0.0.1
    assert options["preload_app"] is True and options["workers"] == 3
    assert options["accesslog"] is None
    behind = serving.gunicorn_options("::1", 8000, 2, 4, trusted_proxy="10.0.0.5")
    assert behind["forwarded_allow_ips"] == "10.0.0.5" and behind["bind"] == ["[::1]:8000"]


def _call(trusted: str | None, environ: dict[str, Any]) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def application(env: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.update(env)
        return [b""]

    serving.ProxyHeaders(application, trusted)(environ, lambda *args: None)
    return seen


def test_proxy_headers_from_the_proxy_are_applied() -> None:
    seen = _call(
        "10.0.0.5",
        {
            "REMOTE_ADDR": "10.0.0.5",
            "HTTP_HOST": "internal:8000",
            "HTTP_X_FORWARDED_FOR": "198.51.100.1, 203.0.113.7",
            "HTTP_X_FORWARDED_HOST": "finres.example.org",
            "HTTP_X_FORWARDED_PROTO": "https",
        },
    )
    # The last entry is the one the proxy added: earlier ones are the client's own claims.
    assert seen["REMOTE_ADDR"] == "203.0.113.7"
    assert seen["HTTP_HOST"] == "finres.example.org"
    assert seen["HTTP_X_FORWARDED_PROTO"] == "https"


@pytest.mark.parametrize("trusted", [None, "10.0.0.5"])
def test_proxy_headers_from_anyone_else_are_dropped(trusted: str | None) -> None:
    seen = _call(
        trusted,
        {
            "REMOTE_ADDR": "192.0.2.9",
            "HTTP_HOST": "finres.example.org",
            "HTTP_X_FORWARDED_FOR": "203.0.113.7",
            "HTTP_X_FORWARDED_HOST": "evil.example",
            "HTTP_X_FORWARDED_PROTO": "https",
        },
    )
    assert seen["REMOTE_ADDR"] == "192.0.2.9" and seen["HTTP_HOST"] == "finres.example.org"
    assert not any(key.startswith("HTTP_X_FORWARDED") for key in seen)


# --- gunicorn with the production settings ------------------------------------------------------

SERVE = """
import sys
from finres.web import setup
setup.bootstrap("finres.web.settings.production")
setup.migrate()
from finres.web import serving
from finres.web.wsgi import application
serving.warm_up()
serving.serve_workers(application, "127.0.0.1", int(sys.argv[1]), 2, trusted_proxy="127.0.0.1")
"""


def _children(pid: int) -> set[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text(encoding="ascii")
    except OSError:
        return set()
    return {int(child) for child in text.split()}


@pytest.fixture
def gunicorn_server(tmp_path: Path) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    env = environment(
        tmp_path,
        DJANGO_SETTINGS_MODULE="finres.web.settings.production",
        FINRES_SECRET_KEY=secrets.token_urlsafe(64),
        FINRES_AUDIT_KEY=secrets.token_hex(32),
        FINRES_ALLOWED_HOSTS="finres.example.org",
    )
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and server.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        assert server.poll() is None, server.stderr.read() if server.stderr else ""
        yield port, server
    finally:
        server.send_signal(signal.SIGTERM)  # gunicorn's master stops its workers
        try:
            server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def test_gunicorn_behind_a_tls_proxy_with_several_workers(
    gunicorn_server: tuple[int, subprocess.Popen[str]],
) -> None:
    port, server = gunicorn_server
    deadline = time.monotonic() + 30
    while len(_children(server.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(_children(server.pid)) >= 2  # the master and its two workers

    proxied = {
        "Host": "finres.example.org",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-For": "203.0.113.7",
    }
    started = time.monotonic()
    answers = [request(port, proxied) for _ in range(6)]
    assert all(answer.status == 200 for answer in answers)
    # Application loaded before the fork: no worker's first request waits for the imports.
    assert time.monotonic() - started < 6 * 5
    assert "Strict-Transport-Security" in answers[0].headers
    cookies = answers[0].headers.get_all("Set-Cookie") or []
    assert cookies and all("Secure" in cookie for cookie in cookies)

    # Straight to the server over plain HTTP: sent to HTTPS.
    direct = request(port, {"Host": "finres.example.org"})
    assert direct.status == 301
    # From an address that is not the proxy, a forged scheme is not believed.
    assert request(port, proxied, source="127.0.0.2").status == 301
    # A host name the operator did not allow is refused, even through the proxy.
    assert request(port, {**proxied, "X-Forwarded-Host": "evil.example"}).status == 400
    assert server.poll() is None


def test_warm_up_loads_what_first_requests_need() -> None:
    """After the warm-up, the URLconf is imported and the PDF fonts are ready."""
    code = (
        "import sys, time\n"
        "from finres.web import setup\n"
        "setup.bootstrap('finres.web.settings.test')\n"
        "from finres.web import serving\n"
        "serving.warm_up()\n"
        "assert 'finres.web.evidence.views' in sys.modules\n"
        "assert 'weasyprint' in sys.modules\n"
        "from finres.web.reports import documents\n"
        "assert getattr(documents._printing, 'printer', None) is not None\n"
        "print('ok')\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"
