"""The Celery tasks: run the job whose id it carries (the kind decides what runs); ask a
schedule what is due (the beat sends it; the schedule enqueues jobs).

Late acknowledgement (a job whose worker died is delivered again), a retry only while the job
could not even be claimed because the database did not answer, and idempotence: a job already
running or finished is left alone.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery  # type: ignore[import-untyped]
from django.db import OperationalError

logger = logging.getLogger(__name__)


def run(job_id: int) -> str:
    from django.db import connections

    from finres.web.jobs import services

    try:
        return services.run(job_id)
    finally:
        # A job is long and rare next to a request: no connection is kept between jobs (and a
        # worker thread's SQLite connection does not hold the database meanwhile).
        connections.close_all()


def ask_schedule(name: str) -> str:
    from django.db import connections

    from finres.web.jobs import services

    try:
        return services.ask_schedule(name)
    finally:
        connections.close_all()


def register(celery_app: Celery) -> Any:
    from finres.web.jobs.queue import SCHEDULE_TASK_NAME, TASK_NAME

    celery_app.task(
        name=SCHEDULE_TASK_NAME,
        autoretry_for=(OperationalError,),
        max_retries=3,
        retry_backoff=True,
        ignore_result=True,
        # Asked again at the next interval anyway: a late ask is not worth running.
        expires=60 * 60,
    )(ask_schedule)
    return celery_app.task(
        name=TASK_NAME,
        acks_late=True,
        # Retrying is safe only because claiming a job is atomic: a job claimed by an earlier
        # delivery is not run twice.
        autoretry_for=(OperationalError,),
        max_retries=3,
        retry_backoff=True,
        ignore_result=True,
    )(run)
