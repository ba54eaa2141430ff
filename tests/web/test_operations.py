"""Running a site: the library path everywhere, the port checked first, static files once,
and waitress behind a TLS proxy with the production settings."""

from __future__ import annotations

import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from finres.core.library import LibraryPathError, library_path, load_library
from finres.web import serving

REPO = Path(__file__).resolve().parents[2]
EXTENSION = REPO / "tests" / "fixtures" / "extension"


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "FINRES_LIBRARY_PATH")
    }
    env.update(FINRES_DATA_DIR=str(tmp_path / "data"), FINRES_LANG="en", **extra)
    return env


def finres(env: dict[str, str], *args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "finres", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- FINRES_LIBRARY_PATH ------------------------------------------------------------------------


def test_library_path_names_the_bad_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "file.yaml").write_text("x: 1\n", encoding="utf-8")
    cases = {
        str(tmp_path / "missing"): "no such folder",
        str(tmp_path / "file.yaml"): "not a folder",
        str(tmp_path / "empty"): "no YAML files in this folder",
    }
    for folder, reason in cases.items():
        with pytest.raises(LibraryPathError) as caught:
            library_path(f"{EXTENSION}{os.pathsep}{folder}")
        assert caught.value.path == folder and caught.value.reason == reason
    assert library_path(f"{EXTENSION}{os.pathsep}") == (EXTENSION.resolve(),)
    assert library_path("") == ()


def test_the_library_everyone_loads_includes_the_library_path(monkeypatch: Any) -> None:
    assert "demo-standard" not in load_library().frameworks
    monkeypatch.setenv("FINRES_LIBRARY_PATH", str(EXTENSION))
    assert "demo-standard" in load_library().frameworks
    monkeypatch.setenv("FINRES_LIBRARY_PATH", str(EXTENSION / "nowhere"))
    with pytest.raises(LibraryPathError):
        load_library()


@pytest.mark.parametrize("command", [["setup"], ["serve", "--port", "PORT"], ["library", "list"]])
def test_commands_refuse_a_bad_library_path_in_one_line(tmp_path: Path, command: list[str]) -> None:
    bad = tmp_path / "no-such-library"
    command = [str(free_port()) if part == "PORT" else part for part in command]
    done = finres(environment(tmp_path, FINRES_LIBRARY_PATH=str(bad)), *command)
    assert done.returncode == 1
    assert done.stderr == f"finres: error: FINRES_LIBRARY_PATH: {bad}: no such folder\n"
    assert not (tmp_path / "data" / "finres.sqlite3").exists()  # refused before any work


def test_the_web_application_refuses_to_start_with_a_bad_library_path(tmp_path: Path) -> None:
    bad = tmp_path / "no-such-library"
    env = environment(tmp_path, FINRES_LIBRARY_PATH=str(bad))
    done = subprocess.run(
        [sys.executable, "-c", "import finres.web.wsgi"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert f"ImproperlyConfigured: FINRES_LIBRARY_PATH: {bad}: no such folder" in done.stderr


def test_library_sync_loads_the_institutions_own_frameworks(tmp_path: Path) -> None:
    env = environment(tmp_path, FINRES_LIBRARY_PATH=str(EXTENSION))
    done = finres(env, "library", "sync")
    assert done.returncode == 0, done.stderr
    count = subprocess.run(
        [
            sys.executable,
            "-c",
            "from finres.web import setup; setup.bootstrap();"
            "from finres.web.frameworks.models import Framework;"
            "print(Framework.objects.filter(code='demo-standard').count())",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert count.stdout.strip() == "1", count.stderr


# --- finres serve: the port first, static files once -------------------------------------------


def test_a_port_in_use_is_reported_before_any_work(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        done = finres(environment(tmp_path), "serve", "--port", str(port))
        elapsed = time.monotonic() - started
    assert done.returncode == 1
    assert done.stderr == (
        f"finres: error: cannot listen on 127.0.0.1:{port} (in use); choose another with --port\n"
    )
    assert not (tmp_path / "data" / "finres.sqlite3").exists()
    assert elapsed < 30


def test_check_port_accepts_a_free_port() -> None:
    serving.check_port("127.0.0.1", free_port())
    with pytest.raises(serving.PortInUseError):
        serving.check_port("no-such-host.invalid", 8000)


def test_static_files_are_collected_once_until_a_source_changes(
    tmp_path: Path, settings: Any
) -> None:
    source = tmp_path / "source"
    source.mkdir()
    (source / "site.css").write_text("body { color: black }\n", encoding="utf-8")
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATICFILES_DIRS = [*settings.STATICFILES_DIRS, str(source)]
    assert not serving.static_is_current()
    assert serving.collect_static() is True
    assert (tmp_path / "static" / "site.css").is_file()
    assert serving.static_is_current()
    assert serving.collect_static() is False  # nothing changed: no work

    (source / "site.css").write_text("body { color: navy }\n", encoding="utf-8")
    os.utime(source / "site.css", ns=(time.time_ns(), time.time_ns() + 10**9))
    assert not serving.static_is_current()
    assert serving.collect_static() is True
    assert "navy" in (tmp_path / "static" / "site.css").read_text(encoding="utf-8")


# --- behind a TLS proxy -------------------------------------------------------------------------

SERVE = """
import sys
from finres.web import setup
setup.bootstrap("finres.web.settings.production")
setup.migrate()
from finres.web.serving import serve
from finres.web.wsgi import application
serve(application, "127.0.0.1", int(sys.argv[1]), trusted_proxy="127.0.0.1")
"""


@pytest.fixture
def production_server(tmp_path: Path) -> Iterator[int]:
    """Waitress with the production settings, as docs/web.md sets them, trusting one proxy."""
    env = environment(
        tmp_path,
        DJANGO_SETTINGS_MODULE="finres.web.settings.production",
        FINRES_SECRET_KEY=secrets.token_urlsafe(64),
        FINRES_AUDIT_KEY=secrets.token_hex(32),
        FINRES_ALLOWED_HOSTS="finres.example.org",
    )
    port = free_port()
    server = subprocess.Popen(
        ["timeout", "120", sys.executable, "-c", SERVE, str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        assert server.poll() is None, server.stderr.read() if server.stderr else ""
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


@dataclass
class Answer:
    status: int
    headers: Any
    text: str


def request(
    port: int,
    headers: dict[str, str],
    source: str = "127.0.0.1",
    method: str = "GET",
    body: str | None = None,
) -> Answer:
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=30, source_address=(source, 0)
    )
    connection.request(method, "/accounts/login/", body=body, headers=headers)
    response = connection.getresponse()
    answer = Answer(response.status, response.headers, response.read().decode("utf-8", "replace"))
    connection.close()
    return answer


def test_production_behind_a_tls_proxy(production_server: int) -> None:
    proxied = {"Host": "finres.example.org", "X-Forwarded-Proto": "https"}
    proxied["X-Forwarded-For"] = "203.0.113.7"
    response = request(production_server, proxied)
    assert response.status == 200
    assert "Strict-Transport-Security" in response.headers
    cookies = response.headers.get_all("Set-Cookie") or []
    assert cookies and all("Secure" in cookie for cookie in cookies)

    # A form posted through the proxy passes the CSRF check (the origin is https://host).
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text)
    cookie = next(c.split(";")[0] for c in cookies if c.startswith("csrftoken="))
    assert token
    form = {"username": "nobody", "password": "wrong-password", "csrfmiddlewaretoken": token[1]}
    posted = request(
        production_server,
        {
            **proxied,
            "Cookie": cookie,
            "Origin": "https://finres.example.org",
            "Referer": "https://finres.example.org/accounts/login/",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        method="POST",
        body=urllib.parse.urlencode(form),
    )
    assert posted.status == 200, posted.status  # the form again, with its error: not 403

    # Straight to the server, over plain HTTP: sent to HTTPS.
    direct = request(production_server, {"Host": "finres.example.org"})
    assert direct.status == 301
    assert direct.headers["Location"].startswith("https://finres.example.org/")

    # From an address that is not the proxy, a forged header is dropped.
    forged = request(production_server, proxied, source="127.0.0.2")
    assert forged.status == 301

    # A host name the operator did not allow is refused.
    assert request(production_server, {**proxied, "Host": "evil.example"}).status == 400


def log_text(log: Any) -> str:
    log.seek(0)
    return str(log.read())


def test_serve_with_the_demo_keeps_its_tls_endpoints_answering(tmp_path: Path) -> None:
    """A new user's "check now" on the demo's targets reaches real servers while serve runs."""
    from finres.core.checks.tls import scan

    port = free_port()
    log = (tmp_path / "serve.log").open("w+", encoding="utf-8")
    server = subprocess.Popen(
        ["timeout", "300", sys.executable, "-m", "finres", "serve", "--demo", "--port", str(port)],
        env=environment(tmp_path),
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        found = None
        deadline = time.monotonic() + 240
        while found is None and time.monotonic() < deadline and server.poll() is None:
            time.sleep(1)
            log.seek(0)
            found = re.search(r"Demo TLS endpoints for the checks: 127\.0\.0\.1:(\d+)", log.read())
        assert found is not None, "no demo endpoints announced"
        from finres.web.sbom.demo import KEV_FILE

        if KEV_FILE.is_file():  # the shared data beside the repository
            assert "Advisory data for the demo" in log_text(log)
        seen = scan("127.0.0.1", int(found.group(1)), "localhost")
        assert seen.reachable and seen.protocols["TLSv1.2"] and not seen.protocols["TLSv1.1"]
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.seek(0)
        output = log.read()
        log.close()
    assert "Traceback" not in output, output[-3000:]
