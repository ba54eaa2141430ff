"""The worker that ``finres serve`` starts beside itself stops, with its own children (the pool
and the beat), when the server is killed without a chance to stop it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc")


def marked(marker: str) -> list[int]:
    """The processes whose environment carries ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue  # gone, or not ours to read
    return found


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return condition()


def test_the_embedded_worker_stops_with_its_children_when_the_server_is_killed(
    tmp_path: Path,
) -> None:
    marker = f"finres-embedded-worker-test-{uuid.uuid4().hex}"
    server = tmp_path / "server.py"
    server.write_text(
        textwrap.dedent(
            """
            import os, subprocess, sys, time
            from finres.cli_jobs import PARENT_ENV
            # as start_embedded_worker does, without the site's settings
            subprocess.Popen(
                [sys.executable, "-m", "finres", "worker", "--concurrency", "1", "--quiet",
                 "--beat"],
                env={**os.environ, PARENT_ENV: str(os.getpid())},
                stdin=subprocess.DEVNULL,
            )
            time.sleep(600)
            """
        )
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "FINRES_BROKER_URL")
    }
    env.update(
        FINRES_DATA_DIR=str(tmp_path / "data"),
        FINRES_SCHEDULE="checks.due=0,sbom.rematch=0",
        FINRES_TEST_MARKER=marker,
    )
    process = subprocess.Popen(
        [sys.executable, str(server)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # the server, the worker, its pool process and its beat
        assert wait_for(lambda: len(marked(marker)) >= 4, 120), marked(marker)
        process.kill()
        process.wait()
        assert wait_for(lambda: not marked(marker), 60), marked(marker)
    finally:
        process.kill()
        for pid in marked(marker):
            os.kill(pid, signal.SIGKILL)
