"""Rules of improvement plans (findings and their milestones) and risk acceptances (exceptions).

Blueprint measure 2 lets the CISO answer a requirement or maturity level not yet met with either
an improvement plan and timeline, or an equivalent (compensating) control, tracked regularly.
These functions hold the date and status rules of both, on plain values, so that the web views,
the API and the dashboard agree. They return problem codes, not messages: the caller words them
in the user's language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import StrEnum


class FindingStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"


class ExceptionStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    CLOSED = "closed"


# open -> in progress -> closed; work may fall back to open, and a closed finding may be reopened.
FINDING_TRANSITIONS: dict[FindingStatus, frozenset[FindingStatus]] = {
    FindingStatus.OPEN: frozenset({FindingStatus.IN_PROGRESS, FindingStatus.CLOSED}),
    FindingStatus.IN_PROGRESS: frozenset({FindingStatus.OPEN, FindingStatus.CLOSED}),
    FindingStatus.CLOSED: frozenset({FindingStatus.OPEN}),
}

# The step a person usually takes next, offered first: start the work, finish it, or reopen.
NEXT_FINDING_STATUS: dict[FindingStatus, FindingStatus] = {
    FindingStatus.OPEN: FindingStatus.IN_PROGRESS,
    FindingStatus.IN_PROGRESS: FindingStatus.CLOSED,
    FindingStatus.CLOSED: FindingStatus.OPEN,
}

# A plan whose date is further away than this is almost certainly a typing mistake.
PLAN_HORIZON_DAYS = 5 * 366
# An approved exception is "expiring soon" this many days before its expiry date.
EXPIRING_SOON_DAYS = 30
# Default for the longest risk acceptance (the setting FINRES_EXCEPTION_MAX_DAYS overrides it).
EXCEPTION_MAX_DAYS = 365

# Exceptions still being tracked: a proposal awaiting a decision, or an accepted risk.
TRACKED_EXCEPTION_STATUSES = frozenset({ExceptionStatus.PROPOSED, ExceptionStatus.APPROVED})


class TransitionProblem(StrEnum):
    NOT_ALLOWED = "not_allowed"  # e.g. closed -> in progress
    UNCHANGED = "unchanged"
    MILESTONES_OPEN = "milestones_open"  # closing with open milestones needs a closing note


class DateProblem(StrEnum):
    IN_PAST = "in_past"
    TOO_FAR = "too_far"
    AFTER_FINDING_DUE = "after_finding_due"  # a milestone due after its finding
    BEFORE_OPEN_MILESTONES = "before_open_milestones"  # a finding due before its milestones
    NOT_IN_FUTURE = "not_in_future"  # an exception must still be running tomorrow


class ExceptionFlag(StrEnum):
    EXPIRED = "expired"
    EXPIRING_SOON = "expiring_soon"


def transition_problem(
    current: str, target: str, open_milestones: int, closing_note: str
) -> TransitionProblem | None:
    """Why a finding may not move from ``current`` to ``target`` (None: it may)."""
    source, wanted = FindingStatus(current), FindingStatus(target)
    if source == wanted:
        return TransitionProblem.UNCHANGED
    if wanted not in FINDING_TRANSITIONS[source]:
        return TransitionProblem.NOT_ALLOWED
    if wanted == FindingStatus.CLOSED and open_milestones > 0 and not closing_note.strip():
        return TransitionProblem.MILESTONES_OPEN
    return None


def finding_due_problem(
    due: dt.date | None,
    today: dt.date,
    *,
    previous: dt.date | None = None,
    open_milestone_dues: Iterable[dt.date] = (),
) -> DateProblem | None:
    """Whether a finding's (new) due date is sensible.

    An unchanged date is always accepted, so that an overdue finding can still be edited; a
    newly set date must lie between today and the planning horizon and must not fall before
    a milestone that is still open.
    """
    if due is None or due == previous:
        return None
    if due < today:
        return DateProblem.IN_PAST
    if due > today + dt.timedelta(days=PLAN_HORIZON_DAYS):
        return DateProblem.TOO_FAR
    if any(milestone_due > due for milestone_due in open_milestone_dues):
        return DateProblem.BEFORE_OPEN_MILESTONES
    return None


def milestone_due_problem(
    due: dt.date,
    today: dt.date,
    finding_due: dt.date | None,
    *,
    previous: dt.date | None = None,
) -> DateProblem | None:
    """Whether a milestone's (new) due date is sensible: not in the past (unless unchanged),
    within the horizon, and never after its finding's due date (rejected, not just warned
    about: a plan whose steps end after its deadline is not a plan)."""
    if finding_due is not None and due > finding_due:
        return DateProblem.AFTER_FINDING_DUE
    if due == previous:
        return None
    if due < today:
        return DateProblem.IN_PAST
    if due > today + dt.timedelta(days=PLAN_HORIZON_DAYS):
        return DateProblem.TOO_FAR
    return None


def expiry_problem(
    expiry: dt.date, today: dt.date, max_days: int = EXCEPTION_MAX_DAYS
) -> DateProblem | None:
    """A risk acceptance must end after today and at most ``max_days`` from today."""
    if expiry <= today:
        return DateProblem.NOT_IN_FUTURE
    if expiry > today + dt.timedelta(days=max_days):
        return DateProblem.TOO_FAR
    return None


def milestone_overdue(done: bool, due: dt.date, finding_status: str, today: dt.date) -> bool:
    """Open, past its due date, and part of a finding still being worked on."""
    return not done and due < today and FindingStatus(finding_status) != FindingStatus.CLOSED


def finding_overdue(
    status: str,
    due: dt.date | None,
    milestones: Iterable[tuple[bool, dt.date]],
    today: dt.date,
) -> bool:
    """Not closed, and past its due date or with a milestone (done, due) past due and not done."""
    if FindingStatus(status) == FindingStatus.CLOSED:
        return False
    if due is not None and due < today:
        return True
    return any(milestone_overdue(done, m_due, status, today) for done, m_due in milestones)


def exception_flag(
    status: str, expiry: dt.date, today: dt.date, warning_days: int = EXPIRING_SOON_DAYS
) -> ExceptionFlag | None:
    """Expired or expiring soon, for exceptions still tracked (proposed or approved).

    Expiry is computed, never stored: an approved exception past its date keeps the status
    "approved" and shows as expired until someone closes it (or proposes a new one).
    """
    if ExceptionStatus(status) not in TRACKED_EXCEPTION_STATUSES:
        return None
    if expiry < today:
        return ExceptionFlag.EXPIRED
    if expiry <= today + dt.timedelta(days=warning_days):
        return ExceptionFlag.EXPIRING_SOON
    return None
