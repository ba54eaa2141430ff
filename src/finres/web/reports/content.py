"""The data sections of the board report, as plain JSON.

A draft shows live figures; a final report shows the figures it was signed with (the JSON is
kept in ``BoardReport.snapshot``). Names are kept in both languages so that a final report can
be printed in either.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from finres.core.i18n import LANGUAGES, Language
from finres.web.audit import versioned
from finres.web.evidence.models import Evidence
from finres.web.evidence.services import is_current_q
from finres.web.improvements.models import Finding, Milestone, RiskException
from finres.web.incidents.services import major_incident_rows
from finres.web.orgs.models import Organisation
from finres.web.reports import metrics

SNAPSHOT_VERSION = 1
LIST_LIMIT = 15
EXPIRING_DAYS = 60
SEVERITY_ORDER = ("critical", "high", "medium", "low")
TRACKED_EXCEPTIONS = (RiskException.Status.PROPOSED, RiskException.Status.APPROVED)


def _both(zh: str, en: str) -> dict[str, str]:
    return {"zh-TW": zh or en, "en": en or zh}


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def as_of_for(year: int) -> dt.date:
    """Figures for a past year are as at its end; for the current year, as at today."""
    return min(timezone.localdate(), dt.date(year, 12, 31))


def maturity_data(found: metrics.OrganisationMetrics) -> dict[str, Any]:
    """CSF functions (current, previous, target) and the yearly trend."""
    tree = found.tree
    current, previous, target = found.current_csf, found.previous_csf, found.target
    return {
        "year": found.year,
        "previous_year": found.previous_year,
        "functions": [
            {
                "id": function,
                "title": {lang: tree.title(function, lang) for lang in LANGUAGES},
                "current": _round(current.functions.get(function) if current else None),
                "previous": _round(previous.functions.get(function) if previous else None),
                "target": _round(target.functions.get(function) if target else None),
            }
            for function in tree.functions
        ],
        "overall": {
            "current": _round(current.overall if current else None),
            "previous": _round(previous.overall if previous else None),
            "target": _round(target.overall if target else None),
        },
        "coverage": _round(current.coverage(tree) if current else None, 3),
        "years": found.years,
        "trend": {key: [_round(v) for v in values] for key, values in found.trend().items()},
    }


def frameworks_data(found: metrics.OrganisationMetrics) -> list[dict[str, Any]]:
    rows = []
    for status in found.frameworks:
        current = status.maturity
        rows.append(
            {
                "code": status.code,
                "name": _both(status.latest.framework_zh, status.latest.framework_en),
                "assessment": status.latest.name,
                "period_end": _iso(status.latest.period_end),
                "counts": dict(status.compliance.counts),
                "total": status.compliance.total,
                "rate": _round(status.compliance.rate, 4),
                "maturity": None
                if current is None
                else {
                    "mean": _round(current.mean),
                    "scale": [current.scale.minimum, current.scale.maximum],
                    "target": current.target,
                    "target_title": {
                        lang: current.scale.level(current.target).title(lang) for lang in LANGUAGES
                    }
                    if current.target is not None
                    else None,
                    "share_at_target": _round(current.share_at_target, 4),
                    "assessed": current.assessed,
                },
                "previous_mean": _round(status.previous.mean if status.previous else None),
                "change": _round(status.change),
            }
        )
    return rows


def compliance_total(found: metrics.OrganisationMetrics) -> dict[str, Any]:
    total = found.compliance
    return {
        "counts": dict(total.counts),
        "total": total.total,
        "rate": _round(total.rate, 4),
    }


def improvements_data(organisation: Organisation, year: int, as_of: dt.date) -> dict[str, Any]:
    """Findings, plans (milestones) and exceptions, and the register's major incidents: seven
    queries."""
    findings = Finding.objects.filter(organisation=organisation)
    open_q = ~Q(status=Finding.Status.CLOSED)
    counts = findings.aggregate(
        total=Count("pk"),
        open=Count("pk", filter=open_q),
        opened_in_year=Count("pk", filter=Q(created__year=year)),
        closed_in_year=Count("pk", filter=Q(closed_at__year=year)),
        incidents_in_year=Count("pk", filter=Q(source=Finding.Source.INCIDENT, created__year=year)),
        **{
            f"open_{severity}": Count("pk", filter=open_q & Q(severity=severity))
            for severity in SEVERITY_ORDER
        },
    )
    # Overdue as the improvement plans define it (past due, or a milestone past due).
    counts["overdue"] = findings.overdue(as_of).count()
    # Incidents of the year and the most serious open findings, in one query.
    listed = list(
        findings.filter(
            Q(source=Finding.Source.INCIDENT, created__year=year)
            | (open_q & Q(severity__in=["critical", "high"]))
        )
        .order_by("-created")
        .values("title", "severity", "status", "source", "due_date", "plan", "created")[:100]
    )
    incidents = [row for row in listed if row["source"] == Finding.Source.INCIDENT][:LIST_LIMIT]
    serious = sorted(
        (row for row in listed if row["status"] != Finding.Status.CLOSED),
        key=lambda row: (SEVERITY_ORDER.index(row["severity"]), row["due_date"] or dt.date.max),
    )[:LIST_LIMIT]
    milestones = Milestone.objects.filter(organisation=organisation).aggregate(
        due_in_year=Count("pk", filter=Q(due_date__year=year)),
        done_in_year=Count("pk", filter=Q(due_date__year=year, done=True)),
        overdue=Count(
            "pk",
            filter=Q(done=False, due_date__lt=as_of) & ~Q(finding__status=Finding.Status.CLOSED),
        ),
    )
    exceptions = RiskException.objects.filter(organisation=organisation)
    approved = Q(status=RiskException.Status.APPROVED)
    exception_counts = exceptions.aggregate(
        active=Count("pk", filter=approved & Q(expiry_date__gte=as_of)),
        expired=Count("pk", filter=Q(status__in=TRACKED_EXCEPTIONS, expiry_date__lt=as_of)),
        proposed=Count("pk", filter=Q(status=RiskException.Status.PROPOSED)),
        closed_in_year=Count("pk", filter=Q(closed_at__year=year)),
    )
    active = list(
        exceptions.filter(approved)
        .order_by("expiry_date")
        .values("title", "expiry_date", "compensating_controls")[:LIST_LIMIT]
    )

    def finding_row(row: dict[str, Any]) -> dict[str, Any]:
        return {
            "title": row["title"],
            "severity": row["severity"],
            "status": row["status"],
            "due_date": _iso(row["due_date"]),
            "plan": row["plan"][:400],
            "created": _iso(timezone.localtime(row["created"]).date()),
        }

    return {
        # the register's major incidents of the year, then the findings raised from incidents
        "findings": {
            **counts,
            "incidents": (
                major_incident_rows(organisation, year) + [finding_row(r) for r in incidents]
            )[:LIST_LIMIT],
        },
        "serious": [finding_row(r) for r in serious],
        "milestones": milestones,
        "exceptions": {
            **exception_counts,
            "items": [
                {
                    "title": row["title"],
                    "expiry_date": _iso(row["expiry_date"]),
                    "compensating_controls": row["compensating_controls"][:400],
                }
                for row in active
            ],
        },
    }


def evidence_data(organisation: Organisation, as_of: dt.date) -> dict[str, Any]:
    """Current evidence (not replaced by a newer version) by review state and expiry."""
    soon = as_of + dt.timedelta(days=EXPIRING_DAYS)
    current = Evidence.objects.filter(is_current_q(), organisation=organisation)
    return current.aggregate(
        total=Count("pk"),
        approved=Count("pk", filter=Q(review_state=Evidence.Review.APPROVED)),
        pending=Count("pk", filter=Q(review_state=Evidence.Review.PENDING)),
        rejected=Count("pk", filter=Q(review_state=Evidence.Review.REJECTED)),
        expired=Count("pk", filter=Q(expiry_date__lt=as_of)),
        expiring=Count("pk", filter=Q(expiry_date__gte=as_of, expiry_date__lte=soon)),
    )


def build(organisation: Organisation, year: int) -> dict[str, Any]:
    """Every figure the board report shows for ``year``, from the platform's data."""
    as_of = as_of_for(year)
    found = metrics.for_organisation(organisation, year)
    # plans, exceptions and evidence as at the date: kept until the organisation's data changes
    plans_and_evidence = versioned.cached(
        organisation.pk,
        "board-report-plans-evidence",
        lambda: {
            **improvements_data(organisation, year, as_of),
            "evidence": evidence_data(organisation, as_of),
        },
        year,
        as_of,
        organisation.profile_data(),
    )
    return {
        "version": SNAPSHOT_VERSION,
        "generated": timezone.now().isoformat(timespec="seconds"),
        "as_of": as_of.isoformat(),
        "year": year,
        "organisation": organisation.name,
        "tier": found.tier,
        "frameworks": frameworks_data(found),
        "compliance": compliance_total(found),
        "maturity": maturity_data(found),
        **plans_and_evidence,
    }


def digest(snapshot: dict[str, Any]) -> str:
    data = json.dumps(snapshot, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode()).hexdigest()


def localise(value: Any, language: Language) -> Any:
    """The data with every {"zh-TW": …, "en": …} pair replaced by the text in ``language``."""
    if isinstance(value, dict):
        if set(value) == set(LANGUAGES):
            return value.get(language) or next(iter(value.values()))
        return {key: localise(item, language) for key, item in value.items()}
    if isinstance(value, list):
        return [localise(item, language) for item in value]
    return value
