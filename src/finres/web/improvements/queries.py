"""Read-side queries of improvement plans and exceptions for other pages (the dashboard).

``overview(organisation, today)`` answers "what is late or about to lapse" in a fixed number of
queries (eight, whatever the amount of data): three counts, four short lists and the late
milestones of the listed findings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q

from finres.core import plans
from finres.web.improvements.models import Finding, Milestone, RiskException
from finres.web.orgs.models import Organisation

OVERVIEW_LIMIT = 10


@dataclass
class Overview:
    """Overdue plans and expiring or expired exceptions of one organisation on one day.

    The lists hold at most ``limit`` rows each, most urgent first (earliest due or expiry
    date); the counts are the full numbers.
    """

    today: dt.date
    overdue_findings: list[Finding] = field(default_factory=list)
    overdue_findings_count: int = 0
    overdue_milestones: list[Milestone] = field(default_factory=list)
    overdue_milestones_count: int = 0
    expiring_exceptions: list[RiskException] = field(default_factory=list)
    expiring_exceptions_count: int = 0
    expired_exceptions: list[RiskException] = field(default_factory=list)
    expired_exceptions_count: int = 0

    @property
    def total(self) -> int:
        return (
            self.overdue_findings_count
            + self.overdue_milestones_count
            + self.expiring_exceptions_count
            + self.expired_exceptions_count
        )


def overview(organisation: Organisation, today: dt.date, limit: int = OVERVIEW_LIMIT) -> Overview:
    """Overdue findings (open, past due or with a milestone past due), overdue milestones (not
    done, past due, finding not closed) and tracked exceptions (proposed or approved) that
    expire within ``plans.EXPIRING_SOON_DAYS`` days or have expired."""
    findings = Finding.objects.filter(organisation=organisation).overdue(today)
    milestones = Milestone.objects.filter(organisation=organisation).overdue(today)
    exceptions = RiskException.objects.filter(organisation=organisation)
    soon = today + dt.timedelta(days=plans.EXPIRING_SOON_DAYS)

    result = Overview(today=today)
    result.overdue_findings_count = findings.count()
    result.overdue_findings = list(
        findings.select_related("owner", "requirement__framework").order_by("due_date", "pk")[
            :limit
        ]
    )
    result.overdue_milestones_count = milestones.count()
    result.overdue_milestones = list(
        milestones.select_related("finding", "owner").order_by("due_date", "pk")[:limit]
    )
    # A finding is overdue when one of its milestones is, so the dashboard lists each late
    # milestone under its finding (counted once) rather than as a second overdue action.
    late: dict[int, list[Milestone]] = {}
    for milestone in (
        Milestone.objects.filter(finding__in=[f.pk for f in result.overdue_findings])
        .overdue(today)
        .select_related("owner")
        .order_by("due_date", "pk")
    ):
        late.setdefault(milestone.finding_id, []).append(milestone)
    for finding in result.overdue_findings:
        finding.late_milestones = late.get(finding.pk, [])
    counts = exceptions.tracked().aggregate(
        expired=Count("pk", filter=Q(expiry_date__lt=today)),
        expiring=Count("pk", filter=Q(expiry_date__gte=today, expiry_date__lte=soon)),
    )
    result.expired_exceptions_count = counts["expired"]
    result.expiring_exceptions_count = counts["expiring"]
    lapsing = exceptions.tracked().select_related("requirement__framework", "approver")
    result.expired_exceptions = list(
        lapsing.filter(expiry_date__lt=today).order_by("expiry_date", "pk")[:limit]
    )
    result.expiring_exceptions = list(
        lapsing.filter(expiry_date__gte=today, expiry_date__lte=soon).order_by("expiry_date", "pk")[
            :limit
        ]
    )
    return result
