"""State changes of findings, milestones and exceptions, shared by the pages and the API.

Callers fetch the object through the organisation-scoped queryset and check the role's action
first; these functions enforce the rules that hold whoever calls them (the status transitions,
segregation of duties, expiry) and raise ``PlanError`` with a message for the user.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from finres.core import plans
from finres.web.improvements.models import Finding, Milestone, RiskException


class PlanError(Exception):
    """A change the rules refuse; ``str(error)`` is the message for the user."""


def change_finding_status(finding: Finding, status: str, closing_note: str) -> None:
    open_milestones = finding.milestones.filter(done=False).count()
    problem = plans.transition_problem(finding.status, status, open_milestones, closing_note)
    if problem == plans.TransitionProblem.MILESTONES_OPEN:
        raise PlanError(
            ngettext(
                "%(count)d milestone is not done: complete it, or explain in a closing note "
                "why the finding can be closed.",
                "%(count)d milestones are not done: complete them, or explain in a closing "
                "note why the finding can be closed.",
                open_milestones,
            )
            % {"count": open_milestones}
        )
    if problem == plans.TransitionProblem.UNCHANGED:
        raise PlanError(_("The finding already has this status."))
    if problem is not None:
        raise PlanError(_("This status change is not possible."))
    finding.status = status
    if status == plans.FindingStatus.CLOSED:
        finding.closed_at = timezone.now()
        finding.closing_note = closing_note.strip()
    else:
        finding.closed_at = None  # reopened or moved back: no longer closed
    finding.save(update_fields=["status", "closed_at", "closing_note"])


def set_milestone_done(milestone: Milestone, done: bool, user: Any) -> None:
    if milestone.finding.status == Finding.Status.CLOSED:
        raise PlanError(_("The finding is closed: reopen it to change its milestones."))
    if milestone.done == done:
        return
    milestone.done = done
    milestone.done_at = timezone.now() if done else None
    milestone.done_by = user if done else None
    milestone.save(update_fields=["done", "done_at", "done_by"])


def decide_exception(
    exception: RiskException, user: Any, approve: bool, note: str, today: dt.date
) -> None:
    """Approve or reject a proposal. The proposer may not decide (segregation of duties); an
    approval needs an expiry date still ahead."""
    if exception.status != RiskException.Status.PROPOSED:
        raise PlanError(_("Only a proposed exception can be approved or rejected."))
    if exception.proposed_by_id is not None and exception.proposed_by_id == user.pk:
        raise PlanError(
            _("You proposed this exception: another person with approval rights must decide.")
        )
    if not approve and not note.strip():
        raise PlanError(_("Give the reason for the rejection."))
    now = timezone.now()
    if approve:
        flag = plans.exception_flag(exception.status, exception.expiry_date, today)
        if flag == plans.ExceptionFlag.EXPIRED:
            raise PlanError(
                _("The proposed expiry date has passed: revise the proposal before approving.")
            )
        exception.status = RiskException.Status.APPROVED
        exception.approver, exception.approved_at = user, now
    else:
        exception.status = RiskException.Status.REJECTED
        exception.rejected_by, exception.rejected_at = user, now
    exception.decision_note = note.strip()
    exception.save(
        update_fields=[
            "status",
            "approver",
            "approved_at",
            "rejected_by",
            "rejected_at",
            "decision_note",
        ]
    )


def close_exception(exception: RiskException, user: Any, note: str) -> None:
    """End the tracking of a proposal (withdrawn) or of an accepted risk (e.g. now met)."""
    if exception.status not in (RiskException.Status.PROPOSED, RiskException.Status.APPROVED):
        raise PlanError(_("Only a proposed or approved exception can be closed."))
    if not note.strip():
        raise PlanError(_("Say why the exception is closed."))
    exception.status = RiskException.Status.CLOSED
    exception.closed_at, exception.closed_by = timezone.now(), user
    exception.closing_note = note.strip()
    exception.save(update_fields=["status", "closed_at", "closed_by", "closing_note"])
