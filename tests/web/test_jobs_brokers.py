"""Jobs through real brokers and real Celery workers: the embedded default (kombu's filesystem
transport, no server), RabbitMQ and Redis on this machine.

A broker that does not answer skips its test with the reason, except under CI (``CI=true``),
where it fails: CI starts both brokers. The worker runs in a thread of this process (Celery's
testing worker) and reads the job from the database, so the data is committed
(``transactional_db``, the audit trail's append-only triggers lifted for the final flush).
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from django.contrib.auth import get_user_model

from finres.web.jobs import kinds, queue, registry, services
from finres.web.jobs.models import Job, Notification
from finres.web.jobs.registry import Outcome
from finres.web.orgs.models import Organisation
from finres.web.orgs.roles import Action

RABBITMQ = os.environ.get("FINRES_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
REDIS = os.environ.get("FINRES_TEST_REDIS_URL", "redis://127.0.0.1:6379/7")
SLOW = "tests.broker_slow"
BROKEN = "tests.broker_broken"


def answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def require(name: str, host: str, port: int) -> None:
    if answers(host, port):
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{name} does not answer on {host}:{port}; CI must test the real broker")
    pytest.skip(f"{name} does not answer on {host}:{port} (start it to run this test)")


def _triggers(direction: str) -> None:
    """The audit trail's append-only triggers, lifted for the flush that ends a transactional
    test, and put back afterwards (as in test_xlsx_speed)."""
    import importlib

    from django.db import connection

    module = importlib.import_module("finres.web.audit.migrations.0002_append_only")

    class Executor:
        def __init__(self) -> None:
            self.connection = connection

        def execute(self, sql: str) -> None:
            with connection.cursor() as cursor:
                cursor.execute(sql)

    if direction == "forwards":
        module.backwards(None, Executor())  # DROP ... IF EXISTS first
    getattr(module, direction)(None, Executor())


@pytest.fixture
def restored_after_flush(django_db_blocker: Any) -> Iterator[None]:
    yield
    from finres.core.library import load_library
    from finres.web.frameworks.sync import sync_library

    with django_db_blocker.unblock():
        _triggers("forwards")
        sync_library(load_library())  # the session's library, flushed with the rest


@pytest.fixture
def committed(restored_after_flush: None, transactional_db: None) -> Iterator[None]:
    """Committed data a worker thread can read; the tables emptied afterwards."""
    yield
    _triggers("backwards")


@pytest.fixture(autouse=True)
def broker_kinds() -> Iterator[None]:
    @registry.job(SLOW, action=Action.VIEW, label="Slow")
    def slow(job: Job, progress: Any) -> Outcome:
        for i in range(3):
            progress(i, 3, f"step {i}")
            time.sleep(0.1)
        return Outcome(b"done", "slow.txt", "text/plain", {"steps": 3})

    @registry.job(BROKEN, action=Action.VIEW, label="Broken")
    def broken(job: Job, progress: Any) -> Outcome:
        raise ValueError("internal detail")

    yield
    registry._KINDS.pop(SLOW, None)
    registry._KINDS.pop(BROKEN, None)


def run_through(settings: Any, **conf: Any) -> list[Job]:
    """Jobs sent to the broker configured by ``conf`` and run by a real worker."""
    settings.FINRES_JOBS_EAGER = False
    name = f"finres-test-{uuid.uuid4().hex[:8]}"  # a queue of this test's own
    app = queue.create_app(task_default_queue=name, worker_hijack_root_logger=False, **conf)
    previous = queue.use(app)
    organisation = Organisation.objects.create(
        name=f"Broker test {name}", industry="bank", paid_in_capital=5_000_000_000
    )
    user = get_user_model().objects.create_user(username=name, password="x" * 16)
    # Sent before the worker starts: on SQLite (in memory, shared cache) a job written by this
    # thread while the worker reads the jobs table made the worker's read fail at once.
    jobs = [
        services.enqueue(SLOW, organisation, user),
        services.enqueue(BROKEN, organisation, user),
        services.enqueue(kinds.AUDIT_VERIFY, organisation, user),
    ]
    _poll_without_read_locks(True)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                states = set(Job.objects.filter(pk__in=[j.pk for j in jobs]).values_list("state"))
                if states <= {(Job.State.SUCCEEDED,), (Job.State.FAILED,)}:
                    break
                time.sleep(0.2)
    finally:
        _poll_without_read_locks(False)
        queue.use(previous)
        _delete_queue(app, name)
    found = [Job.objects.get(pk=j.pk) for j in jobs]
    slow, broken, verification = found
    assert slow.state == Job.State.SUCCEEDED, slow.error
    assert slow.progress_done == slow.progress_total == 3
    assert services.open_result(slow).read() == b"done"
    assert broken.state == Job.State.FAILED and "internal detail" not in broken.error
    assert verification.state == Job.State.SUCCEEDED, verification.error
    assert "intact" in verification.summary()
    assert Notification.objects.filter(person=user).count() == 3
    return found


def _poll_without_read_locks(on: bool) -> None:
    """The SQLite test database is in memory with a shared cache, where a reader's table lock
    makes a writer fail at once (SQLITE_LOCKED: no busy wait): this thread's polling must not
    fail the worker thread's progress writes. (Files in WAL mode, as sites use, wait instead.)"""
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA read_uncommitted = {int(on)}")


def _delete_queue(app: Any, name: str) -> None:
    try:
        with app.connection_for_write() as connection:
            connection.default_channel.queue_delete(name)
    except Exception:  # best effort: an empty queue left behind harms nothing
        pass


def test_the_embedded_default_needs_no_server(
    committed: None, settings: Any, tmp_path: Path
) -> None:
    folders = {
        "data_folder_in": str(tmp_path / "queue"),
        "data_folder_out": str(tmp_path / "queue"),
        "control_folder": str(tmp_path / "control"),
        "polling_interval": 0.1,
    }
    queue.prepare_embedded_folders(folders)
    run_through(settings, broker_url="filesystem://", broker_transport_options=folders)
    assert list((tmp_path / "queue").iterdir()) == []  # every message was consumed


def test_rabbitmq(committed: None, settings: Any) -> None:
    require("RabbitMQ", "127.0.0.1", 5672)
    run_through(settings, broker_url=RABBITMQ, broker_transport_options={})


def test_redis(committed: None, settings: Any) -> None:
    require("Redis", "127.0.0.1", 6379)
    run_through(settings, broker_url=REDIS, broker_transport_options={"visibility_timeout": 3600})


BROKERS = {
    "embedded": None,  # the filesystem transport in tmp_path
    "rabbitmq": (RABBITMQ, "RabbitMQ", 5672),
    "redis": (REDIS, "Redis", 6379),
}


@pytest.mark.parametrize("broker", list(BROKERS))
def test_the_beat_asks_the_schedules_and_a_worker_runs_what_is_due(
    committed: None, settings: Any, tmp_path: Path, broker: str
) -> None:
    """Celery's beat (in a thread, as ``finres worker --beat`` embeds it) sends the schedule's
    ask; a real worker runs it, which enqueues the due TLS checks; the worker runs those too."""
    from celery.beat import EmbeddedService

    from finres.web.checks.jobs import RUN_DUE
    from finres.web.checks.models import TlsRun, TlsTarget

    if BROKERS[broker] is None:
        options: dict[str, Any] = {
            key: str(tmp_path / "queue") for key in ("data_folder_in", "data_folder_out")
        }
        options |= {"control_folder": str(tmp_path / "control"), "polling_interval": 0.1}
        queue.prepare_embedded_folders(options)
        conf: dict[str, Any] = {"broker_url": "filesystem://", "broker_transport_options": options}
    else:
        url, name, port = BROKERS[broker]  # type: ignore[misc]
        require(name, "127.0.0.1", port)
        conf = {"broker_url": url, "broker_transport_options": {}}
    settings.FINRES_JOBS_EAGER = False
    settings.FINRES_SCHEDULE = {"checks.due": 0.5, "sbom.rematch": 0}
    queue_name = f"finres-test-{uuid.uuid4().hex[:8]}"
    app = queue.create_app(task_default_queue=queue_name, worker_hijack_root_logger=False, **conf)
    app.conf.beat_schedule = queue.beat_schedule()
    previous = queue.use(app)
    organisation = Organisation.objects.create(
        name=f"Beat test {queue_name}", industry="bank", paid_in_capital=5_000_000_000
    )
    target = TlsTarget.objects.create(
        organisation=organisation, host="127.0.0.1", port=9, schedule_days=7
    )
    beat = EmbeddedService(
        app, max_interval=0.2, schedule_filename=str(tmp_path / "beat-schedule"), thread=True
    )
    _poll_without_read_locks(True)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            beat.start()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                done = Job.objects.filter(kind=RUN_DUE, state=Job.State.SUCCEEDED).exists()
                if done and TlsRun.objects.filter(target=target).exists():
                    break
                time.sleep(0.2)
            time.sleep(1.5)  # asked again meanwhile: nothing more is due
            beat.stop()
    finally:
        _poll_without_read_locks(False)
        queue.use(previous)
        _delete_queue(app, queue_name)
    jobs = Job.objects.filter(kind=RUN_DUE, organisation=organisation)
    assert [j.state for j in jobs] == [Job.State.SUCCEEDED], [j.error for j in jobs]
    run = TlsRun.objects.get(target=target)
    assert run.status == "error" and run.job_id == jobs[0].pk  # port 9 answers no TLS


def test_settings_choose_the_broker(monkeypatch: Any) -> None:
    """FINRES_BROKER_URL decides: unset, the filesystem transport under the data folder."""
    import importlib

    from finres.web.settings import base

    try:
        monkeypatch.delenv("FINRES_BROKER_URL", raising=False)
        embedded = importlib.reload(base)
        assert embedded.CELERY_BROKER_URL == "filesystem://localhost/"
        assert embedded.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"].startswith(
            str(embedded.DATA_DIR)
        )
        assert embedded.CELERY_TASK_ACKS_LATE and embedded.CELERY_RESULT_BACKEND is None
        monkeypatch.setenv("FINRES_BROKER_URL", REDIS)
        redis = importlib.reload(base)
        assert redis.CELERY_BROKER_URL == REDIS
        assert redis.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] > (
            redis.CELERY_TASK_TIME_LIMIT
        )
    finally:
        monkeypatch.delenv("FINRES_BROKER_URL", raising=False)
        importlib.reload(base)


def another_process(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a ``finres`` process on the test database and Redis (PostgreSQL only:
    another process cannot reach SQLite's in-memory test database)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("another process reaches the test database on PostgreSQL only")
    require("Redis", "127.0.0.1", 6379)
    database = connection.settings_dict
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
        f"{database['PORT'] or 5432}/{database['NAME']}",
        "FINRES_BROKER_URL": REDIS,
        "FINRES_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "finres.web.settings.dev",
        **extra,
    }


def test_finres_worker_is_a_separate_process(
    committed: None, settings: Any, tmp_path: Path
) -> None:
    """``finres worker`` on its own, as on another machine: same database and broker."""
    import subprocess
    import sys

    env = another_process(tmp_path / "worker")
    settings.FINRES_JOBS_EAGER = False
    app = queue.create_app(broker_url=REDIS, broker_transport_options={})
    previous = queue.use(app)
    worker = subprocess.Popen(
        [sys.executable, "-m", "finres", "worker", "--concurrency", "1", "--lang", "en"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    organisation = Organisation.objects.create(
        name="Remote worker", industry="bank", paid_in_capital=5_000_000_000
    )
    user = get_user_model().objects.create_user(username="remote", password="x" * 16)
    try:
        job = services.enqueue(kinds.AUDIT_VERIFY, organisation, user)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not Job.objects.get(pk=job.pk).is_finished:
            time.sleep(0.3)
    finally:
        queue.use(previous)
        worker.terminate()
        output = worker.communicate(timeout=30)[0].decode(errors="replace")
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, output
    assert "FinRes worker: broker redis://127.0.0.1:6379/7" in output
    assert Notification.objects.filter(job=job, person=user).exists()


@pytest.mark.parametrize("layout", ["worker --beat", "beat and worker"])
def test_the_beat_commands_start_what_is_due(
    committed: None, settings: Any, tmp_path: Path, layout: str
) -> None:
    """``finres worker --beat`` (one process, as beside ``finres serve``) and ``finres beat``
    beside ``finres worker`` (one beat per site, workers anywhere) start the due TLS checks."""
    import subprocess
    import sys

    from finres.web.checks.jobs import RUN_DUE
    from finres.web.checks.models import TlsRun, TlsTarget

    env = another_process(tmp_path / "site", FINRES_SCHEDULE="checks.due=1,sbom.rematch=0")
    worker = [sys.executable, "-m", "finres", "worker", "--concurrency", "1", "--lang", "en"]
    commands = (
        [[*worker, "--beat"]]
        if layout == "worker --beat"
        else [worker, [sys.executable, "-m", "finres", "beat", "--lang", "en"]]
    )
    organisation = Organisation.objects.create(
        name=f"Beat {layout}", industry="bank", paid_in_capital=5_000_000_000
    )
    target = TlsTarget.objects.create(
        organisation=organisation, host="127.0.0.1", port=9, schedule_days=7
    )
    processes = [
        subprocess.Popen(c, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for c in commands
    ]
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not TlsRun.objects.filter(target=target).exists():
            time.sleep(0.3)
    finally:
        for process in processes:
            process.terminate()
        output = "\n".join(p.communicate(timeout=30)[0].decode(errors="replace") for p in processes)
    jobs = Job.objects.filter(kind=RUN_DUE, organisation=organisation)
    assert jobs.count() == 1 and TlsRun.objects.filter(target=target).count() == 1, output
    assert "Scheduled checks that are due: every 1 s" in output
    assert "SBOMs matched again after new advisories: off" in output
