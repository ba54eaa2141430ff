"""``finres worker``: a Celery worker running FinRes's background jobs, and the embedded
worker that ``finres serve`` starts beside the server when no broker is configured.

A worker needs the same database (``DATABASE_URL``), broker (``FINRES_BROKER_URL``), evidence
storage and keys (``FINRES_SECRET_KEY``, ``FINRES_AUDIT_KEY``) as the application servers; it
may run on another machine (docs/jobs.md).
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Annotated

import typer

from finres.cli import LangOption, UserError, _, _out, _start, _web, app

PARENT_ENV = "FINRES_WORKER_PARENT"  # the embedded worker stops when this process is gone


def _watch_parent(pid: int) -> None:
    """Stop when the server that started this embedded worker is gone (killed, not stopped):
    as on SIGTERM, so that the worker's own children (the pool and the beat) stop with it
    instead of living on without a parent; ended outright if that takes too long."""

    def watch() -> None:
        while os.getppid() == pid:
            time.sleep(2)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(30)
        os._exit(0)

    threading.Thread(target=watch, name="finres-parent-watch", daemon=True).start()


@app.command()
def worker(
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency", "-c", min=1, max=64, help="Jobs run at once (default: CPUs)."
        ),
    ] = None,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", help="Log warnings and errors only (as beside finres serve)."),
    ] = False,
    beat: Annotated[
        bool,
        typer.Option(
            "--beat",
            help="Also ask the schedules (TLS checks due, new advisories) at their intervals: "
            "on one worker of the site only, or run finres beat instead.",
        ),
    ] = False,
    lang: LangOption = None,
) -> None:
    """Run background jobs (reports, imports, exports, audit verification) for this site."""
    _start(lang)
    _web()
    from django.conf import settings

    from finres.web.jobs import queue

    parent = os.environ.get(PARENT_ENV, "")
    if parent.isdigit():
        _watch_parent(int(parent))
    queue.prepare_embedded_folders()
    broker = settings.FINRES_BROKER_URL
    where = _("embedded (files under {path})").format(path=settings.DATA_DIR / "jobs")
    _out().print(
        _("FinRes worker: broker {broker}, {count} at once").format(
            broker=_redacted(broker) if broker else where,
            count=concurrency or os.cpu_count() or 1,
        )
    )
    if beat:
        _prepare_beat(quiet)
    celery_worker = queue.app.Worker(
        concurrency=concurrency or os.cpu_count() or 1,
        beat=beat,
        schedule_filename=settings.CELERY_BEAT_SCHEDULE_FILENAME,
        loglevel="WARNING" if quiet else "INFO",
        without_gossip=True,
        without_mingle=True,
        # The filesystem transport has no broadcast channel for remote control.
        enable_remote_control=bool(broker),
        quiet=True,
    )
    try:
        celery_worker.start()
    except Exception as error:  # e.g. the broker does not answer
        raise UserError(_("the worker stopped: {error}").format(error=error)) from None
    if celery_worker.exitcode:
        raise SystemExit(celery_worker.exitcode)


@app.command()
def beat(lang: LangOption = None) -> None:
    """Ask the schedules at their intervals (one per site; finres worker runs the jobs)."""
    _start(lang)
    _web()
    from django.conf import settings

    from finres.web.jobs import queue

    queue.prepare_embedded_folders()
    _prepare_beat(quiet=False)
    try:
        queue.app.Beat(
            schedule=settings.CELERY_BEAT_SCHEDULE_FILENAME, loglevel="INFO", quiet=True
        ).run()
    except Exception as error:  # e.g. the broker does not answer
        raise UserError(_("the beat stopped: {error}").format(error=error)) from None


def _prepare_beat(quiet: bool) -> None:
    """The schedules as beat entries, the folder of the beat's memory, and what is asked when."""
    from pathlib import Path

    from django.conf import settings

    from finres.web.jobs import queue, registry

    Path(settings.CELERY_BEAT_SCHEDULE_FILENAME).parent.mkdir(parents=True, exist_ok=True)
    queue.app.conf.beat_schedule = queue.beat_schedule()
    if quiet:
        return
    for schedule in registry.schedules():
        _out().print(f"  {schedule.label}: {_every(schedule.interval())}")


def _every(seconds: float) -> str:
    if not seconds:
        return _("off")
    if seconds % 3600 == 0:
        return _("every {count} h").format(count=int(seconds // 3600))
    if seconds % 60 == 0:
        return _("every {count} min").format(count=int(seconds // 60))
    return _("every {count} s").format(count=f"{seconds:g}")


def _redacted(url: str) -> str:
    """A broker URL without its password, for the console."""
    from kombu.utils.url import maybe_sanitize_url

    return str(maybe_sanitize_url(url))


def start_embedded_worker() -> subprocess.Popen[bytes] | None:
    """Without a broker: a worker child process beside the server, stopped when it exits.
    With a broker, workers are started by the operator (``finres worker``): nothing here."""
    from django.conf import settings

    if getattr(settings, "FINRES_BROKER_URL", ""):
        return None
    env = {**os.environ, PARENT_ENV: str(os.getpid())}
    child = subprocess.Popen(
        # quiet: the server's console is the person's, not a log of every job
        # --beat: the embedded default is one worker per site, so it asks the schedules too
        [sys.executable, "-m", "finres", "worker", "--concurrency", "1", "--quiet", "--beat"],
        env=env,
        stdin=subprocess.DEVNULL,
    )

    def stop() -> None:
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()

    atexit.register(stop)
    return child
