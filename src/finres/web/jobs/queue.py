"""The Celery application of FinRes, configured from Django settings (``CELERY_*``).

``celery -A finres.web.jobs.queue worker`` works, as does ``finres worker``. Without
``FINRES_BROKER_URL`` the broker is kombu's filesystem transport under the data folder: no
extra server, a worker (with the beat, which asks the schedules) started beside
``finres serve``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from celery import Celery  # type: ignore[import-untyped]

TASK_NAME = "finres.jobs.run"
SCHEDULE_TASK_NAME = "finres.jobs.ask_schedule"

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "finres.web.settings.dev")


def create_app(**overrides: Any) -> Celery:
    """A Celery application with the job task; ``overrides`` replace settings (tests)."""
    celery_app = Celery("finres")
    celery_app.config_from_object("django.conf:settings", namespace="CELERY")
    if overrides:
        celery_app.conf.update(overrides)
    from finres.web.jobs.tasks import register

    register(celery_app)
    return celery_app


app = create_app()
_current: Celery = app


def current() -> Celery:
    """The application jobs are sent with (tests may put another in its place)."""
    return _current


def use(celery_app: Celery) -> Celery:
    """Send jobs with ``celery_app`` from now on; returns the previous one."""
    global _current
    previous, _current = _current, celery_app
    return previous


def embedded() -> bool:
    """Whether no broker is configured (the filesystem transport of the embedded default)."""
    from django.conf import settings

    return not getattr(settings, "FINRES_BROKER_URL", "")


def prepare_embedded_folders(options: dict[str, Any] | None = None) -> None:
    """The filesystem transport's folders must exist before anything is sent or read."""
    from django.conf import settings

    if options is None:
        if not embedded():
            return
        options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


def beat_schedule() -> dict[str, dict[str, Any]]:
    """Celery beat's entries: each registered schedule asked at its interval (apps ready)."""
    import logging

    from django.conf import settings

    from finres.web.jobs import registry

    known = {s.name for s in registry.schedules()}
    for name in set(getattr(settings, "FINRES_SCHEDULE", {})) - known:
        logging.getLogger(__name__).warning(
            "FINRES_SCHEDULE names %s, which is not a schedule (known: %s)",
            name,
            ", ".join(sorted(known)),
        )
    return {
        f"finres:{s.name}": {
            "task": SCHEDULE_TASK_NAME,
            "schedule": s.interval(),
            "args": (s.name,),
        }
        for s in registry.schedules()
        if s.interval() > 0
    }
