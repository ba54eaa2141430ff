"""The dashboard's operational-resilience and technical-verification figures, gathered from
each domain's own ``dashboard_numbers`` (continuity graph and drills, registers' reviews,
incidents, crypto inventory, TLS checks, SBOM matching): one place for the page and the API,
each domain keeping its own counting."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from finres.web.audit import versioned
from finres.web.checks import services as checks
from finres.web.continuity import drills, graph
from finres.web.crypto import services as crypto
from finres.web.incidents import services as incidents
from finres.web.orgs.models import Organisation
from finres.web.registers.models import InformationSystem, Supplier
from finres.web.sbom import services as sbom


def _reviews(organisation: Organisation, today: dt.date) -> dict[str, int]:
    # CC-14000's yearly classification review; measure 19's review interval per tier
    return {
        "systems": InformationSystem.objects.filter(organisation=organisation)
        .review_due(today)
        .count(),
        "suppliers": Supplier.objects.filter(organisation=organisation).review_due(today).count(),
    }


def resilience_numbers(organisation: Organisation) -> dict[str, Any]:
    today = timezone.localdate()
    counted_by: dict[str, Callable[[], dict[str, Any]]] = {
        "services": lambda: graph.dashboard_numbers(organisation),
        "reviews": lambda: _reviews(organisation, today),
        "drills": lambda: drills.dashboard_numbers(organisation),
        "crypto": lambda: crypto.dashboard_numbers(organisation),
        "checks": lambda: checks.dashboard_numbers(organisation),
        "sbom": lambda: sbom.dashboard_numbers(organisation),
    }
    # Each tile kept while the data it counts is unchanged (a changed result recounts none),
    # for the day and the profile: reviews and drills fall due with the date, and the drills
    # required follow the industry and tier of the organisation passed in (not read by SQL).
    profile = organisation.profile_data()
    numbers: dict[str, Any] = {
        name: versioned.cached(organisation.pk, f"dashboard-{name}", count, today, profile)
        for name, count in counted_by.items()
    }
    # counted on every view: a report's deadline passes within the hour
    numbers["incidents"] = incidents.dashboard_numbers(organisation)
    assets = numbers["crypto"]["assets"]
    # PQC readiness: the share of inventoried assets already quantum-safe (None: no inventory)
    numbers["crypto"] = {
        **numbers["crypto"],
        "ready_percent": round(100 * numbers["crypto"]["quantum_safe"] / assets)
        if assets
        else None,
    }
    return numbers
