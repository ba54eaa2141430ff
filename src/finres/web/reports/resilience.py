"""The dashboard's operational-resilience and technical-verification figures, gathered from
each domain's own ``dashboard_numbers`` (continuity graph and drills, registers' reviews,
incidents, crypto inventory, TLS checks, SBOM matching): one place for the page and the API,
each domain keeping its own counting."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from finres.web.checks import services as checks
from finres.web.continuity import drills, graph
from finres.web.crypto import services as crypto
from finres.web.incidents import services as incidents
from finres.web.orgs.models import Organisation
from finres.web.registers.models import InformationSystem, Supplier
from finres.web.sbom import services as sbom


def resilience_numbers(organisation: Organisation) -> dict[str, Any]:
    today = timezone.localdate()
    numbers: dict[str, Any] = {
        "services": graph.dashboard_numbers(organisation),
        "reviews": {
            # CC-14000's yearly classification review; measure 19's review interval per tier
            "systems": InformationSystem.objects.filter(organisation=organisation)
            .review_due(today)
            .count(),
            "suppliers": Supplier.objects.filter(organisation=organisation)
            .review_due(today)
            .count(),
        },
        "drills": drills.dashboard_numbers(organisation),
        "incidents": incidents.dashboard_numbers(organisation),
        "crypto": crypto.dashboard_numbers(organisation),
        "checks": checks.dashboard_numbers(organisation),
        "sbom": sbom.dashboard_numbers(organisation),
    }
    assets = numbers["crypto"]["assets"]
    # PQC readiness: the share of inventoried assets already quantum-safe (None: no inventory)
    numbers["crypto"]["ready_percent"] = (
        round(100 * numbers["crypto"]["quantum_safe"] / assets) if assets else None
    )
    return numbers
