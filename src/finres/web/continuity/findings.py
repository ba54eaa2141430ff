"""A gap of the analysis becomes a finding of the improvement plans, in one audited step.

The gap is recomputed here with the core (never taken from the request), and a gap already
recorded as an open finding (same source reference) is not recorded twice.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from finres.web.continuity import graph
from finres.web.continuity.models import CriticalService, Scenario
from finres.web.improvements.models import Finding
from finres.web.orgs.models import Organisation

GAPS = ("rto", "rpo")


class NoGap(ValueError):
    """Nothing to record: the service meets the objective (or the gap kind is unknown)."""


def reference(service: CriticalService, gap: str, scenario: Scenario | None) -> str:
    case = f"scenario {scenario.code}" if scenario is not None else "worst single failure"
    return f"continuity {service.code} {gap.upper()} ({case})"


def from_gap(
    organisation: Organisation,
    service: CriticalService,
    gap: str,
    scenario: Scenario | None,
    user: Any,
) -> tuple[Finding, bool]:
    if gap not in GAPS:
        raise NoGap(_("Choose the RTO or the RPO gap."))
    result = graph.run(organisation, scenario)
    outcome = next((o for o in result.outcomes if o.service == service), None)
    if outcome is None:
        raise NoGap(_("The service is not in a valid dependency graph."))
    minutes = outcome.rto_gap if gap == "rto" else outcome.rpo_gap
    if minutes <= 0:
        raise NoGap(_("The service meets this objective: there is no gap to record."))
    values = {
        "service": service.name,
        "gap": int(minutes),
        "achieved": int(
            outcome.outcome.recovery_time if gap == "rto" else outcome.outcome.data_loss
        ),
        "objective": int((outcome.outcome.rto if gap == "rto" else outcome.outcome.rpo) or 0),
        "path": " → ".join(n.code for n in outcome.path) or "—",
        "case": scenario.name if scenario is not None else _("the worst single failure"),
    }
    if gap == "rto":
        title = _("%(service)s cannot recover within its RTO (%(gap)s minutes late)") % values
        text = (
            _(
                "In %(case)s the service recovers in %(achieved)s minutes against an RTO of "
                "%(objective)s. Critical path: %(path)s."
            )
            % values
        )
    else:
        title = _("%(service)s loses more data than its RPO (%(gap)s minutes over)") % values
        text = (
            _(
                "In %(case)s the service loses %(achieved)s minutes of data against an RPO of "
                "%(objective)s. Critical path: %(path)s."
            )
            % values
        )
    return Finding.objects.record_once(
        organisation_id=organisation.pk,
        source_reference=reference(service, gap, scenario),
        user=user,
        title=title,
        description=text,
        source=Finding.Source.CHECK,
        severity=Finding.Severity.HIGH,
    )
