"""Starting, running, waiting for and cleaning up jobs.

- ``enqueue(kind, organisation, user, parameters)``: a new ``Job`` row, sent to the broker once
  the row is committed (or run at once with ``FINRES_JOBS_EAGER``, for tests);
- ``run(job_id)``: what a worker does: claim the job, run its kind with a progress callback,
  keep the result (a file in the default storage and/or a JSON summary), notify;
- ``wait(job, seconds)``: a request may wait briefly for a quick job;
- ``ask_schedule(name)``: what the beat's periodic ask does (the schedule enqueues what is due);
- ``purge_expired()``: results past their expiry are deleted (files and summaries).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import OperationalError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from finres.web.jobs import registry
from finres.web.jobs.models import Job, Notification
from finres.web.language import current_language

logger = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.5  # seconds between two progress writes (the last one is always written)
RESULT_FOLDER = "jobs"


def result_days() -> int:
    return int(getattr(settings, "FINRES_JOB_RESULT_DAYS", 7))


def wait_seconds() -> float:
    return float(getattr(settings, "FINRES_JOB_WAIT_SECONDS", 2))


def enqueue(
    kind: str, organisation: Any, user: Any, parameters: dict[str, Any] | None = None
) -> Job:
    """A new job of ``kind`` for ``organisation``, asked for by ``user`` (KeyError: unknown)."""
    registry.get(kind)
    language = _language()
    job = Job.objects.create(
        organisation=organisation,
        requested_by=user if getattr(user, "is_authenticated", False) else None,
        kind=kind,
        parameters=parameters or {},
        language=language,
    )
    if getattr(settings, "FINRES_JOBS_EAGER", False):
        run(job.pk)
        job.refresh_from_db()
    else:
        transaction.on_commit(lambda: send(job.pk))
    return job


def send(job_id: int) -> None:
    from finres.web.jobs import queue

    queue.prepare_embedded_folders()
    queue.current().send_task(queue.TASK_NAME, args=[job_id])


def _language() -> str:
    return "en" if current_language() == "en" else "zh-hant"


def ask_schedule(name: str) -> str:
    """What the beat's ask of schedule ``name`` does: the schedule enqueues what is due; the
    line it returns goes to the worker's log."""
    from finres.web.audit.context import SYSTEM, acting_as

    try:
        schedule = registry.schedule(name)
    except KeyError:  # asked by a beat of another version: nothing to do
        logger.warning("schedule %s is not known here", name)
        return ""
    with acting_as(SYSTEM):
        said = schedule.function()
    logger.info("schedule %s: %s", name, said)
    return said


def busy_organisations(kinds: list[str]) -> set[int]:
    """Organisations with a job of ``kinds`` queued or running (a schedule does not start a
    second one); a job older than the time limit no longer counts (its worker died)."""
    since = timezone.now() - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    return set(
        Job.objects.filter(
            kind__in=kinds, state__in=[Job.State.QUEUED, Job.State.RUNNING], created__gte=since
        ).values_list("organisation_id", flat=True)
    )


def in_flight(organisation: Any, user: Any, kind: str, parameters: dict[str, Any]) -> Job | None:
    """The same person's queued or running job of ``kind`` with the same parameters and
    language (joined instead of repeated: reloading a page does not start a second one)."""
    candidates = Job.objects.filter(
        organisation=organisation,
        requested_by=user,
        kind=kind,
        language=_language(),
        state__in=[Job.State.QUEUED, Job.State.RUNNING],
        created__gte=timezone.now() - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT),
    ).order_by("-created")[:20]
    for job in candidates:
        if job.parameters == parameters:
            return job
    return None


def start_or_join(
    kind: str, organisation: Any, user: Any, parameters: dict[str, Any] | None = None
) -> Job:
    parameters = parameters or {}
    return in_flight(organisation, user, kind, parameters) or enqueue(
        kind, organisation, user, parameters
    )


def wait(job: Job, seconds: float | None = None) -> Job:
    """``job`` as it is when it finished, or after ``seconds`` (short polling of its row)."""
    deadline = time.monotonic() + (wait_seconds() if seconds is None else seconds)
    delay = 0.05
    while not job.is_finished and time.monotonic() < deadline:
        time.sleep(delay)
        delay = min(delay * 1.5, 0.25)
        job.refresh_from_db()
    return job


class _Progress:
    """The callback a job kind receives: ``progress(done, total, step)``, written at most every
    ``PROGRESS_INTERVAL`` seconds so that a fast loop does not flood the database."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.last = 0.0

    def __call__(self, done: int, total: int, step: str = "") -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_INTERVAL and done < total:
            return
        self.last = now
        try:
            Job.objects.filter(pk=self.job.pk).update(
                progress_done=max(0, done), progress_total=max(0, total), progress_step=step[:200]
            )
        except OperationalError:  # progress is a hint: a busy database must not fail the job
            logger.warning("progress of job %s not written: the database was busy", self.job.pk)


def _claim(job_id: int) -> bool:
    """Queued → running, atomically: only one delivery of a message runs the job."""
    return bool(
        Job.objects.filter(pk=job_id, state=Job.State.QUEUED).update(
            state=Job.State.RUNNING, started=timezone.now()
        )
    )


def run(job_id: int) -> str:
    """Run job ``job_id`` if it is still queued; returns the state it ended in (or found)."""
    if not _claim(job_id):
        found = Job.objects.filter(pk=job_id).values_list("state", flat=True).first()
        return str(found or "missing")
    try:
        state = _run_claimed(job_id)
    except Exception:
        # A claimed job never stays "running" for ever: whatever went wrong after the claim
        # (the database busy when the result was written), it ends as failed.
        logger.exception("job %s could not be finished", job_id)
        _retrying(lambda: _fail_unfinished(job_id))
        raise
    try:
        purge_expired()
    except Exception:  # cleaning up never fails a job
        logger.exception("purging expired job results failed")
    return state


def _fail_unfinished(job_id: int) -> None:
    now = timezone.now()
    Job.objects.filter(pk=job_id, state=Job.State.RUNNING).update(
        state=Job.State.FAILED,
        finished=now,
        expires=now + dt.timedelta(days=result_days()),
        error=_(
            "The job could not be completed because of an unexpected problem. "
            "Try again; if it happens again, tell your administrator."
        ),
    )


def _retrying(write: Any, attempts: int = 5) -> Any:
    """``write()`` again after a short pause while the database reports itself busy (SQLite's
    "database is locked" beside other writers); the last failure is raised."""
    for attempt in range(1, attempts + 1):
        try:
            return write()
        except OperationalError:
            if attempt == attempts:
                raise
            time.sleep(0.2 * attempt)
    return None


def _run_claimed(job_id: int) -> str:
    job = Job.objects.select_related("organisation", "requested_by").get(pk=job_id)
    from finres.web.audit.context import SYSTEM, Actor, acting_as

    user = job.requested_by
    actor = Actor(user.pk, user.get_username()) if user is not None else SYSTEM
    with translation.override(job.language), acting_as(actor):
        try:
            kind = registry.get(job.kind)
            outcome = kind.function(job, _Progress(job))
        except registry.JobError as error:
            _finish(job, Job.State.FAILED, error=error.message, data=error.data)
        except KeyError:
            _finish(job, Job.State.FAILED, error=_("This kind of job is not known here."))
        except Exception:  # the worker's log has the traceback; people get a sentence
            logger.exception("job %s (%s) failed", job.pk, job.kind)
            _finish(
                job,
                Job.State.FAILED,
                error=_(
                    "The job could not be completed because of an unexpected problem. "
                    "Try again; if it happens again, tell your administrator."
                ),
            )
        else:
            _finish(job, Job.State.SUCCEEDED, outcome=outcome)
    return str(job.state)


def _finish(
    job: Job,
    state: Any,  # a Job.State
    *,
    outcome: registry.Outcome | None = None,
    error: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    now = timezone.now()
    job.state = state
    job.finished = now
    job.expires = now + dt.timedelta(days=result_days())
    job.error = error
    job.result_data = data or {}
    if outcome is not None:
        job.result_data = outcome.data
        if outcome.content is not None:  # the file once; only the database writes are retried
            name = f"{RESULT_FOLDER}/{job.organisation_id}/{uuid.uuid4().hex}"
            job.result_file = default_storage.save(name, ContentFile(outcome.content))
            job.result_name = outcome.file_name[:200]
            job.result_type = outcome.content_type[:100]

    def write() -> None:
        job.refresh_from_db(fields=["progress_done", "progress_total", "progress_step"])
        if state == Job.State.SUCCEEDED and job.progress_total:
            job.progress_done = job.progress_total
        with transaction.atomic():
            job.save()
            if job.requested_by_id is not None:
                Notification.objects.create(
                    person_id=job.requested_by_id, organisation_id=job.organisation_id, job=job
                )

    _retrying(write)


def purge_expired(now: dt.datetime | None = None) -> int:
    """Delete the files and summaries of results past their expiry; returns how many."""
    now = now or timezone.now()
    expired = Job.objects.filter(expires__lt=now).exclude(result_file="", result_data={})
    count = 0
    for job in expired.only("pk", "result_file")[:200]:
        if job.result_file:
            default_storage.delete(job.result_file)
        Job.objects.filter(pk=job.pk).update(result_file="", result_data={})
        count += 1
    return count


def result_available(job: Job) -> bool:
    return bool(
        job.state == str(Job.State.SUCCEEDED)
        and job.result_file
        and (job.expires is None or job.expires > timezone.now())
    )


def open_result(job: Job) -> Any:
    """The result file, opened for reading (``FileNotFoundError`` if it is gone)."""
    return default_storage.open(job.result_file, "rb")


def store_upload(organisation_id: int, upload: Any) -> str:
    """An upload kept in the default storage for a job to read; returns its storage name."""
    name = f"{RESULT_FOLDER}/{organisation_id}/uploads/{uuid.uuid4().hex}"
    return default_storage.save(name, upload)


def mark_read(person: Any, organisation: Any, job: Job | None = None) -> int:
    found = Notification.objects.filter(person=person, organisation=organisation, read=False)
    if job is not None:
        found = found.filter(job=job)
    return found.update(read=True)
