"""The registry of job kinds: ``@job("reports.board_report_pdf", ...)`` declares a function
that runs in a worker and receives ``(job, progress)``.

The function returns a ``Outcome`` (a file and/or a small JSON summary) or raises
``JobError`` with a message for people; any other exception fails the job with a generic
message (the traceback goes to the worker's log only).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from finres.web.orgs.roles import Action, allows

if TYPE_CHECKING:
    from finres.web.jobs.models import Job


class Progress(Protocol):
    def __call__(self, done: int, total: int, step: str = "") -> None: ...


class JobError(Exception):
    """A failure told to people as it is (already translated into the job's language)."""

    def __init__(self, message: str, data: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.data = data or {}


@dataclass
class Outcome:
    content: bytes | None = None
    file_name: str = ""
    content_type: str = ""
    data: dict[str, Any] = field(default_factory=dict)


JobFunction = Callable[["Job", Progress], Outcome]


def _everything(queryset: QuerySet[Any], role: str | None) -> QuerySet[Any]:
    return queryset


@dataclass(frozen=True)
class JobKind:
    name: str
    function: JobFunction
    action: Action  # the role permission needed to start, see and download it
    label: Any  # a lazy translation
    # Narrows the kind's jobs further for a role (e.g. a board member sees final reports only).
    restrict: Callable[[QuerySet[Any], str | None], QuerySet[Any]] = _everything

    def allowed(self, role: str | None) -> bool:
        return allows(role, self.action)


_KINDS: dict[str, JobKind] = {}


def job(
    name: str,
    *,
    action: Action,
    label: Any,
    restrict: Callable[[QuerySet[Any], str | None], QuerySet[Any]] | None = None,
) -> Callable[[JobFunction], JobFunction]:
    """Register ``function`` as the job kind ``name`` (app.what, e.g. "audit.verify_trail")."""

    def register(function: JobFunction) -> JobFunction:
        if name in _KINDS and _KINDS[name].function is not function:
            raise ValueError(f"job kind {name!r} is already registered")
        _KINDS[name] = JobKind(name, function, action, label, restrict or _everything)
        return function

    return register


def get(name: str) -> JobKind:
    """The kind ``name``; ``KeyError`` for an unknown one."""
    return _KINDS[name]


def kinds() -> list[JobKind]:
    return list(_KINDS.values())


def label_of(name: str) -> str:
    kind = _KINDS.get(name)
    return str(kind.label) if kind is not None else _("Background job")


def visible(queryset: QuerySet[Any], role: str | None) -> QuerySet[Any]:
    """The jobs of ``queryset`` (already scoped to one organisation) that ``role`` may see."""
    from django.db.models import Q

    allowed = [kind for kind in kinds() if kind.allowed(role)]
    shown = Q(kind__in=[k.name for k in allowed if k.restrict is _everything])
    for kind in allowed:
        if kind.restrict is not _everything:
            pks = kind.restrict(queryset.filter(kind=kind.name), role).values("pk")
            shown |= Q(pk__in=pks)
    return queryset.filter(shown)


# --- schedules -----------------------------------------------------------------------------------
# A schedule is asked at its interval by the beat (``finres beat``, or ``finres worker --beat`` as
# beside ``finres serve``): it looks at what is due and enqueues jobs for it, so the work itself
# runs, is seen and is audited as any job. Asking twice is harmless: each schedule leaves alone
# what is queued or running already.

ScheduleFunction = Callable[[], str]


@dataclass(frozen=True)
class Schedule:
    name: str
    function: ScheduleFunction  # enqueues what is due; returns a line for the worker's log
    every: float  # seconds, unless FINRES_SCHEDULE says otherwise
    label: Any  # a lazy translation

    def interval(self) -> float:
        """Seconds between two asks on this site; 0: turned off (``FINRES_SCHEDULE``)."""
        from django.conf import settings

        return float(getattr(settings, "FINRES_SCHEDULE", {}).get(self.name, self.every))


_SCHEDULES: dict[str, Schedule] = {}


def scheduled(
    name: str, *, every: float, label: Any
) -> Callable[[ScheduleFunction], ScheduleFunction]:
    """Register ``function`` as the schedule ``name`` (app.what, e.g. "checks.due")."""

    def register(function: ScheduleFunction) -> ScheduleFunction:
        if name in _SCHEDULES and _SCHEDULES[name].function is not function:
            raise ValueError(f"schedule {name!r} is already registered")
        _SCHEDULES[name] = Schedule(name, function, every, label)
        return function

    return register


def schedule(name: str) -> Schedule:
    """The schedule ``name``; ``KeyError`` for an unknown one."""
    return _SCHEDULES[name]


def schedules() -> list[Schedule]:
    return sorted(_SCHEDULES.values(), key=lambda s: s.name)
