"""Drills: when they are due (the CC-20000 rule as data, ``finres.core.drills``), the issues and
missed objectives they found as findings, and the list exported as XLSX or CSV.

Due dates are per critical service and per core system of the register (CC-20000's scope is the
core systems of tier 1–3 securities firms): a drill covers a system when one of its nodes is in
the drill's scope. Everything is read in a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from finres.core.applicability import tier_of
from finres.core.drills import Due, Frequency, FrequencyRule, due_state, load_frequency
from finres.core.library import Library, load_library
from finres.core.registers import Classification
from finres.web.continuity.models import CriticalService, Drill, DrillServiceResult, Node
from finres.web.improvements.models import Finding
from finres.web.orgs.models import Organisation
from finres.web.registers import tabular
from finres.web.registers.models import InformationSystem


@lru_cache(maxsize=1)
def frequency() -> Frequency:
    return load_frequency()


@lru_cache(maxsize=1)
def _library() -> Library:
    return load_library()  # read-only content: loaded once per process


def tier(organisation: Organisation) -> int | None:
    return tier_of(_library(), organisation.profile().industry, organisation.paid_in_capital).tier


@dataclass(frozen=True)
class DueRow:
    kind: str  # service | system
    object: Any
    due: Due
    required: bool  # a CC-20000 obligation (core system of a tier 1–3 securities firm)


@dataclass(frozen=True)
class Schedule:
    rule: FrequencyRule | None
    tier: int | None
    services: list[DueRow]
    systems: list[DueRow]

    @property
    def overdue(self) -> list[DueRow]:
        return [r for r in self.services + self.systems if r.due.state in ("never", "overdue")]


def schedule(organisation: Organisation, today: dt.date | None = None) -> Schedule:
    """Every critical service and core system with its last performed drill and due state."""
    today = today or timezone.localdate()
    found = frequency()
    the_tier = tier(organisation)
    rule = found.rule_for(organisation.industry, the_tier, today)
    performed = Q(drills__performed_on__isnull=False)
    services = (
        CriticalService.objects.filter(organisation=organisation)
        .annotate(last_drill=Max("drills__performed_on", filter=performed))
        .order_by("code")
    )
    service_rows = [
        DueRow("service", s, due_state(s.last_drill, found.services_interval_months, today), False)
        for s in services
    ]
    interval = rule.interval_months if rule else found.services_interval_months
    # a system is drilled when a node standing for it is in a performed drill's scope
    last_by_system = dict(
        Node.objects.filter(
            organisation=organisation,
            system__isnull=False,
            drills__performed_on__isnull=False,
        )
        .order_by()
        .values("system_id")
        .annotate(last=Max("drills__performed_on"))
        .values_list("system_id", "last")
    )
    systems = InformationSystem.objects.filter(
        organisation=organisation, classification=Classification.CORE.value
    ).order_by("code")
    system_rows = [
        DueRow("system", s, due_state(last_by_system.get(s.pk), interval, today), rule is not None)
        for s in systems
    ]
    return Schedule(rule, the_tier, service_rows, system_rows)


# --- findings -----------------------------------------------------------------------------------


class NoIssue(ValueError):
    """Nothing to record (the objective was met, or the issue is empty)."""


def _reference(drill: Drill, what: str) -> str:
    return f"drill {drill.code} {what}"[:200]


def finding_from_result(
    drill: Drill, result: DrillServiceResult, gap: str, user: Any
) -> tuple[Finding, bool]:
    """A missed RTO or RPO of a drill becomes a finding (once while it is open)."""
    if gap not in ("rto", "rpo"):
        raise NoIssue(_("Choose the RTO or the RPO gap."))
    minutes = result.rto_gap if gap == "rto" else result.rpo_gap
    if minutes <= 0:
        raise NoIssue(_("The drill met this objective: there is no gap to record."))
    values = {
        "service": result.service.name,
        "drill": drill.code,
        "gap": minutes,
        "achieved": result.recovery_time_minutes if gap == "rto" else result.data_loss_minutes,
        "objective": result.service.rto_minutes if gap == "rto" else result.service.rpo_minutes,
        "date": drill.performed_on.isoformat() if drill.performed_on else "",
    }
    if gap == "rto":
        title = _("Drill %(drill)s: %(service)s missed its RTO by %(gap)s minutes") % values
        text = _(
            "In drill %(drill)s on %(date)s the service recovered in %(achieved)s minutes "
            "against an RTO of %(objective)s."
        )
    else:
        title = (
            _("Drill %(drill)s: %(service)s lost %(gap)s minutes of data beyond its RPO") % values
        )
        text = _(
            "In drill %(drill)s on %(date)s the service lost %(achieved)s minutes of data "
            "against an RPO of %(objective)s."
        )
    return _record(
        drill, _reference(drill, f"{result.service.code} {gap.upper()}"), title, text % values, user
    )


def finding_from_issue(drill: Drill, issue: str, user: Any) -> tuple[Finding, bool]:
    """One line of the drill's issues becomes a finding (once while it is open)."""
    issue = issue.strip()
    if not issue or issue not in [line.strip() for line in drill.issues.splitlines()]:
        raise NoIssue(_("Choose one of the drill's issues."))
    index = [line.strip() for line in drill.issues.splitlines()].index(issue) + 1
    title = _("Drill %(drill)s: %(issue)s") % {"drill": drill.code, "issue": issue}
    text = _("Found in drill %(drill)s (%(name)s).") % {"drill": drill.code, "name": drill.name}
    return _record(drill, _reference(drill, f"issue {index}"), title, text, user)


def _record(drill: Drill, reference: str, title: str, text: str, user: Any) -> tuple[Finding, bool]:
    return Finding.objects.record_once(
        organisation_id=drill.organisation_id,
        source_reference=reference,
        user=user,
        title=title,
        description=text,
        source=Finding.Source.OTHER,
        severity=Finding.Severity.HIGH
        if "RTO" in reference or "RPO" in reference
        else Finding.Severity.MEDIUM,
    )


def findings_of(drill: Drill) -> list[Finding]:
    return list(
        Finding.objects.filter(
            organisation_id=drill.organisation_id,
            source_reference__startswith=f"drill {drill.code} ",
        ).order_by("-created")[:50]
    )


# --- export -------------------------------------------------------------------------------------


def export(organisation: Organisation, kind: str) -> tuple[bytes, str, str]:
    """The drill list as XLSX or CSV (the registers' writers)."""
    header = [
        _("code"),
        _("name"),
        _("kind"),
        _("scenario"),
        _("planned date"),
        _("performed on"),
        _("services in scope"),
        _("systems and nodes in scope"),
        _("suppliers involved"),
        _("services that met RTO and RPO"),
        _("services that missed"),
    ]
    drills = (
        Drill.objects.filter(organisation=organisation)
        .select_related("scenario")
        .prefetch_related("services", "nodes", "suppliers", "service_results__service")
        .order_by("-planned_on", "code")
    )

    def rows() -> Iterator[list[Any]]:
        for drill in drills:
            results = list(drill.service_results.all())
            met = [r.service.code for r in results if r.meets_rto and r.meets_rpo]
            missed = [r.service.code for r in results if not (r.meets_rto and r.meets_rpo)]
            yield [
                drill.code,
                drill.name,
                str(drill.get_kind_display()),
                drill.scenario.code if drill.scenario else drill.scenario_text[:200],
                drill.planned_on,
                drill.performed_on,
                ", ".join(s.code for s in drill.services.all()),
                ", ".join(n.code for n in drill.nodes.all()),
                ", ".join(s.code for s in drill.suppliers.all()),
                ", ".join(met),
                ", ".join(missed),
            ]

    stamp = timezone.localdate().isoformat()
    if kind == "csv":
        return tabular.write_csv(header, rows()), "text/csv; charset=utf-8", f"drills-{stamp}.csv"
    return (
        tabular.write_xlsx(_("drills"), header, rows()),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"drills-{stamp}.xlsx",
    )


def dashboard_numbers(organisation: Organisation) -> dict[str, int]:
    """What a dashboard tile shows: services and core systems due a drill (never drilled or
    overdue), and how many of those are CC-20000 obligations."""
    found = schedule(organisation)
    return {
        "due": len(found.overdue),
        "required_due": sum(1 for row in found.overdue if row.required),
    }
