"""What the incident pages, the API and the board report share: the regimes an organisation may
choose, each incident's deadlines (from the core), lessons as findings, the FSB FIRE export, the
list as XLSX/CSV and the major incidents of a year.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from finres.core import incidents as core
from finres.web.improvements.models import Finding
from finres.web.incidents.models import Incident, ReportingRegime
from finres.web.orgs.models import Organisation
from finres.web.registers import tabular

SHIPPED = "shipped:"


@lru_cache(maxsize=1)
def shipped() -> dict[str, core.Regime]:
    return core.shipped_regimes()


@dataclass(frozen=True)
class Choice:
    key: str
    regime: core.Regime
    own: ReportingRegime | None  # None: shipped with FinRes

    @property
    def example_only(self) -> bool:
        return self.own is None and self.regime.example_only


def choices(organisation: Organisation) -> dict[str, Choice]:
    """Every regime the organisation may attach to an incident: its own, then the shipped ones
    (marked when they are documented examples). An own regime that no longer validates is
    left out rather than breaking every page."""
    found: dict[str, Choice] = {}
    for own in ReportingRegime.objects.filter(organisation=organisation).order_by("code"):
        try:
            found[own.key] = Choice(own.key, own.regime(), own)
        except core.RegimeError:
            continue
    for regime_id, regime in shipped().items():
        found[SHIPPED + regime_id] = Choice(SHIPPED + regime_id, regime, None)
    return found


def facts_of(incident: Incident) -> core.Facts:
    submitted: dict[str, dt.datetime] = {}
    for submission in incident.submissions.all():  # the latest of each stage counts
        known = submitted.get(submission.stage)
        if known is None or submission.submitted_at > known:
            submitted[submission.stage] = submission.submitted_at
    return core.Facts(
        detected=incident.detected_at,
        classified=incident.classified_at,
        recovered=incident.recovered_at,
        submitted=submitted,
    )


@dataclass(frozen=True)
class Deadlines:
    choice: Choice | None
    rows: list[core.StageDeadline]

    @property
    def overdue(self) -> bool:
        return core.overdue(self.rows)

    @property
    def next(self) -> core.StageDeadline | None:
        return core.next_due(self.rows)


def deadlines(
    incident: Incident, available: dict[str, Choice], now: dt.datetime | None = None
) -> Deadlines:
    choice = available.get(incident.regime)
    if choice is None:
        return Deadlines(None, [])
    rows = core.deadlines(choice.regime, facts_of(incident), now or timezone.now())
    return Deadlines(choice, rows)


# --- findings -----------------------------------------------------------------------------------


class NoLesson(ValueError):
    pass


def reference(incident: Incident, index: int) -> str:
    return f"incident {incident.code} lesson {index}"[:200]


def lessons_of(incident: Incident) -> list[str]:
    return [line.strip() for line in incident.lessons.splitlines() if line.strip()]


def finding_from_lesson(incident: Incident, lesson: str, user: Any) -> tuple[Finding, bool]:
    """A lesson becomes a finding of source "incident" (once while it is open): the board
    report lists those as the improvements made after incidents."""
    lessons = lessons_of(incident)
    lesson = lesson.strip()
    if lesson not in lessons:
        raise NoLesson(_("Choose one of the incident's lessons."))
    source_reference = reference(incident, lessons.index(lesson) + 1)
    severity = {
        Incident.Severity.CRITICAL: Finding.Severity.CRITICAL,
        Incident.Severity.HIGH: Finding.Severity.HIGH,
        Incident.Severity.MEDIUM: Finding.Severity.MEDIUM,
    }.get(incident.severity, Finding.Severity.LOW)
    return Finding.objects.record_once(
        organisation_id=incident.organisation_id,
        source_reference=source_reference,
        user=user,
        title=_("Incident %(code)s: %(lesson)s") % {"code": incident.code, "lesson": lesson},
        description=_("Lesson of incident %(code)s (%(title)s).")
        % {"code": incident.code, "title": incident.title},
        source=Finding.Source.INCIDENT,
        severity=severity,
    )


def findings_of(incident: Incident) -> list[Finding]:
    return list(
        Finding.objects.filter(
            organisation_id=incident.organisation_id,
            source_reference__startswith=f"incident {incident.code} ",
        ).order_by("-created")[:50]
    )


# --- FSB FIRE -----------------------------------------------------------------------------------

FIRE_REFERENCE = (
    "FSB, Format for Incident Reporting Exchange (FIRE): Final report, 15 April 2025 "
    "(four groups: reporting details, incident details, impact assessment, incident closure)"
)


def _iso(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="minutes") if value else None


def fire_data(incident: Incident, organisation: Organisation) -> dict[str, Any]:
    """The incident in the FIRE groups, with only the items FinRes can fill honestly; the
    mapping and what is left out are documented in docs/incidents.md."""
    kind = "final" if incident.status == Incident.Status.CLOSED else "intermediate"
    if incident.recovered_at is None and incident.contained_at is None:
        kind = "initial"
    duration = None
    if incident.recovered_at is not None:
        start = incident.occurred_at or incident.detected_at
        duration = int((incident.recovered_at - start).total_seconds() // 60)
    return {
        "format": FIRE_REFERENCE,
        "reporting_details": {
            "report_type": kind,
            "reporting_entity": organisation.name,
            "language": "zh-TW",
            "incident_reference": incident.code,
            "report_generated_at": _iso(timezone.now()),
        },
        "incident_details": {
            "title": incident.title,
            "description": incident.description,
            "occurrence_date_time": _iso(incident.occurred_at),
            "detection_date_time": _iso(incident.detected_at),
            "classification_date_time": _iso(incident.classified_at),
            "incident_type": incident.category,
            "discovery_method": incident.discovery or None,
            "status": incident.status,
            "timeline": [
                {"date_time": _iso(entry.at), "description": entry.text}
                for entry in incident.timeline.all()
            ],
        },
        "impact_assessment": {
            "severity": incident.severity,
            "major": incident.major,
            "services_affected": [
                {"code": s.code, "name": s.name} for s in incident.services.all()
            ],
            "resources_affected": [{"code": s.code, "name": s.name} for s in incident.systems.all()]
            + [{"code": n.code, "name": n.name} for n in incident.nodes.all()],
            "third_parties_affected": [
                {"code": s.code, "name": s.name} for s in incident.suppliers.all()
            ],
            "clients_affected": incident.clients_affected,
            "transactions_affected": incident.transactions_affected,
            "economic_impact": None
            if incident.financial_loss is None
            else {"amount": str(incident.financial_loss), "currency": incident.loss_currency},
            "data_affected": incident.data_affected or None,
            "geographic_spread": incident.geographic_spread or None,
            "containment_date_time": _iso(incident.contained_at),
            "recovery_date_time": _iso(incident.recovered_at),
            "duration_minutes": duration,
        },
        "incident_closure": {
            "root_cause": incident.root_cause,
            "lessons_identified": lessons_of(incident),
            "remedial_actions": [
                {"title": f.title, "status": f.status, "due_date": f.due_date}
                for f in findings_of(incident)
            ],
            "closure_date_time": _iso(incident.closed_at),
        },
    }


# --- lists --------------------------------------------------------------------------------------


def export(organisation: Organisation, kind: str) -> tuple[bytes, str, str]:
    """The incident register as XLSX or CSV (the registers' writers)."""
    header = [
        _("code"),
        _("title"),
        _("incident type"),
        _("severity"),
        _("major incident"),
        _("status"),
        _("detected at"),
        _("classified at"),
        _("contained at"),
        _("recovered at"),
        _("services affected"),
        _("suppliers affected"),
        _("root cause"),
    ]
    incidents = (
        Incident.objects.filter(organisation=organisation)
        .prefetch_related("services", "suppliers")
        .order_by("-detected_at", "code")
    )

    def stamp(value: dt.datetime | None) -> str:
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""

    def rows() -> Iterator[list[Any]]:
        for incident in incidents:
            yield [
                incident.code,
                incident.title,
                str(incident.get_category_display()),
                str(incident.get_severity_display()),
                incident.major,
                str(incident.get_status_display()),
                stamp(incident.detected_at),
                stamp(incident.classified_at),
                stamp(incident.contained_at),
                stamp(incident.recovered_at),
                ", ".join(s.code for s in incident.services.all()),
                ", ".join(s.code for s in incident.suppliers.all()),
                incident.root_cause[:1000],
            ]

    day = timezone.localdate().isoformat()
    if kind == "csv":
        return tabular.write_csv(header, rows()), "text/csv; charset=utf-8", f"incidents-{day}.csv"
    return (
        tabular.write_xlsx(_("incidents"), header, rows()),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"incidents-{day}.xlsx",
    )


# --- the board report ---------------------------------------------------------------------------

STATUS_AS_FINDING = {"open": "open", "contained": "in_progress", "recovered": "in_progress"}


def major_incident_rows(organisation: Organisation, year: int) -> list[dict[str, Any]]:
    """The year's major incidents from the register, as rows of the board report's incident
    table (one query): title with its code, severity, status, lessons as the improvement."""
    rows = Incident.objects.filter(
        organisation=organisation, major=True, detected_at__year=year
    ).order_by("-detected_at")[:50]
    return [
        {
            "title": f"{incident.code} {incident.title}",
            "severity": incident.severity,
            "status": STATUS_AS_FINDING.get(incident.status, "closed"),
            "due_date": None,
            "plan": "；".join(lessons_of(incident))[:400],
            "created": timezone.localtime(incident.detected_at).date().isoformat(),
            "register": True,
        }
        for incident in rows
    ]


def dashboard_numbers(organisation: Organisation, now: dt.datetime | None = None) -> dict[str, int]:
    """What a dashboard tile shows: open incidents, open major ones, and those with a report
    overdue (three queries)."""
    open_incidents = list(
        Incident.objects.filter(organisation=organisation)
        .exclude(status=Incident.Status.CLOSED)
        .prefetch_related("submissions")
    )
    available = choices(organisation)
    return {
        "open": len(open_incidents),
        "open_major": sum(1 for i in open_incidents if i.major),
        "reports_overdue": sum(1 for i in open_incidents if deadlines(i, available, now).overdue),
    }
