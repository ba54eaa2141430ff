"""The dashboard's resilience and verification tiles: each figure is its domain's count (graph
analysis, drills due, incidents, crypto exposure), on the page and in the API, for every role
that sees the dashboard, with links only for those who may open the registers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from finres.web.crypto.models import CryptoAsset, Exposure
from finres.web.incidents.models import Incident
from finres.web.orgs.models import Organisation
from finres.web.orgs.roles import Role

from .test_continuity import import_text

pytestmark = pytest.mark.django_db

# pay needs app (3 h to recover) within 2 h: the RTO is missed; the 15-minute RPO is met.
GRAPH = """
nodes:
  - {id: pay, kind: service, rto: 2h, rpo: 15m, requires: [app]}
  - {id: app, kind: system, recovery_time: 3h, recovery_point: 10m, requires: [db]}
  - {id: db, kind: data_store, recovery_time: 30m, recovery_point: 5m}
"""


@pytest.fixture
def example(org: Organisation) -> Organisation:
    assert import_text(org, GRAPH).ok
    for code, name, family, size in [
        ("tls-rsa", "RSA-2048", "RSA", 2048),
        ("kem", "ML-KEM-768", "ML-KEM", None),
        ("old", "RSA-1024", "RSA", 1024),
        ("aes", "AES-256-GCM", "AES", 256),
    ]:
        CryptoAsset.objects.create(
            organisation=org, code=code, kind="algorithm", name=name, family=family, key_size=size
        )
    now = timezone.now()
    for code, major, status in [
        ("INC-1", True, Incident.Status.OPEN),
        ("INC-2", False, Incident.Status.OPEN),
        ("INC-3", True, Incident.Status.CLOSED),
    ]:
        Incident.objects.create(
            organisation=org,
            code=code,
            title=code,
            detected_at=now - dt.timedelta(hours=3),
            category=Incident.Category.SYSTEM_FAILURE,
            severity=Incident.Severity.HIGH,
            major=major,
            status=status,
        )
    return org


def test_the_tiles_count_what_each_domain_holds(example: Organisation, ciso_client: Client) -> None:
    response = ciso_client.get(reverse("reports:dashboard"))
    numbers = response.context["resilience"]
    assert numbers["services"] == {
        "services": 1,
        "valid": True,
        "breaching_rto": 1,
        "breaching_rpo": 0,
        "single_points_of_failure": 1,  # app: alone down, pay misses its RTO (db: 30 min)
    }
    assert numbers["drills"]["due"] == 1  # pay was never drilled
    assert numbers["reviews"] == {"systems": 0, "suppliers": 0}  # the graph names no entries
    assert numbers["checks"]["targets"] == 0 and numbers["sbom"]["sboms"] == 0
    assert numbers["incidents"]["open"] == 2 and numbers["incidents"]["open_major"] == 1
    exposures = dict(
        CryptoAsset.objects.filter(organisation=example).values_list("code", "exposure")
    )
    safe = sum(1 for e in exposures.values() if e == Exposure.QUANTUM_SAFE)
    assert numbers["crypto"]["assets"] == 4
    assert numbers["crypto"]["quantum_safe"] == safe
    assert numbers["crypto"]["ready_percent"] == round(100 * safe / 4)
    assert exposures["old"] == Exposure.CLASSICALLY_WEAK and numbers["crypto"]["classically_weak"]
    page = response.content.decode()
    assert "營運韌性與技術驗證" in page and "後量子密碼遷移準備度" in page
    assert reverse("crypto:plan") in page and reverse("continuity:overview") in page


def test_reviews_due_count_the_registers_and_link_to_their_filtered_lists(
    org: Organisation, ciso_client: Client
) -> None:
    from finres.web.registers.models import InformationSystem, Supplier

    InformationSystem.objects.create(organisation=org, code="NEVER", name="Never reviewed")
    InformationSystem.objects.create(
        organisation=org, code="NEW", name="Reviewed", reviewed_on=timezone.localdate()
    )
    Supplier.objects.create(organisation=org, code="SUP", name="Vendor")
    response = ciso_client.get(reverse("reports:dashboard"))
    assert response.context["resilience"]["reviews"] == {"systems": 1, "suppliers": 1}
    page = response.content.decode()
    assert "/registers/systems/?review_due=1" in page
    listed = ciso_client.get("/registers/suppliers/?review_due=1").content.decode()
    assert "Vendor" in listed


def test_a_board_member_sees_the_counts_without_links(
    example: Organisation, client_for: Any
) -> None:
    page = client_for(Role.BOARD, example).get(reverse("reports:dashboard")).content.decode()
    assert 'id="kpi-pqc"' in page and 'id="kpi-services"' in page
    assert reverse("crypto:plan") not in page and reverse("incidents:incident_list") not in page


def test_the_tiles_in_english_and_without_data(org: Organisation, ciso_client: Client) -> None:
    ciso_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = ciso_client.get(reverse("reports:dashboard")).content.decode()
    assert "Operational resilience and technical verification" in page
    assert "No crypto inventory yet." in page
    assert "No endpoint registered for checks yet." in page and "No SBOM imported yet." in page
    assert "營運韌性" not in page


def test_the_demo_shows_failing_endpoints_and_what_its_sbom_matched(client_for: Any) -> None:
    from finres.web.checks.services import dashboard_numbers as checks_numbers
    from finres.web.sbom.services import dashboard_numbers as sbom_numbers
    from finres.web.setup import load_demo

    securities = load_demo().organisations["securities"]
    numbers = client_for(Role.CISO, securities).get(reverse("reports:dashboard")).context
    assert numbers["resilience"]["checks"] == checks_numbers(securities)
    assert numbers["resilience"]["checks"]["failing_targets"] >= 1  # the demo's expired endpoint
    assert numbers["resilience"]["sbom"] == sbom_numbers(securities)


def test_the_api_gives_the_same_figures_to_its_own_organisation_only(
    example: Organisation, other_org: Organisation, client_for: Any
) -> None:
    mine = client_for(Role.BOARD, example).get("/api/dashboard/resilience/").json()
    assert mine["services"]["breaching_rto"] == 1 and mine["crypto"]["assets"] == 4
    theirs = client_for(Role.CISO, other_org).get("/api/dashboard/resilience/").json()
    assert theirs["crypto"]["assets"] == 0 and theirs["incidents"]["open"] == 0
    assert Client().get("/api/dashboard/resilience/").status_code in (401, 403)


def test_an_unchanged_graph_is_not_analysed_again_and_a_change_is_seen_at_once(
    example: Organisation, monkeypatch: Any
) -> None:
    from django.core.cache import cache

    from finres.web.continuity import graph
    from finres.web.continuity.models import Node

    cache.clear()
    calls = []
    real = graph.analyse

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(graph, "analyse", counted)
    first = graph.dashboard_numbers(example)
    assert graph.dashboard_numbers(example) == first and len(calls) == 1
    assert first["breaching_rto"] == 1
    Node.objects.filter(organisation=example, code="app").update(recovery_time_minutes=60)
    changed = graph.dashboard_numbers(example)
    assert len(calls) == 2 and changed["breaching_rto"] == 0


def test_the_tiles_are_counted_again_after_a_change_of_the_profile(
    example: Organisation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each tile is kept while its data is unchanged; the drills required follow the industry
    and tier, which the tile takes from the organisation passed in, not from a statement."""
    from django.apps import apps

    from finres.web.audit.models import DataVersion
    from finres.web.continuity import drills
    from finres.web.reports.resilience import resilience_numbers

    # every kind of data changed once, as in an institution that has used the platform a while
    # (a kind never changed moves with any change)
    for model in apps.get_models():
        DataVersion.objects.get_or_create(
            organisation_id=example.pk,
            model=model._meta.label_lower,
            defaults={"sequence": 0, "hash": "before"},
        )
    counted: list[int] = []
    count = drills.dashboard_numbers
    monkeypatch.setattr(drills, "dashboard_numbers", lambda org: counted.append(1) or count(org))
    first = resilience_numbers(example)
    assert resilience_numbers(example) == first and len(counted) == 1
    Incident.objects.create(
        organisation=example, title="Outage", detected_at=timezone.now(), major=True
    )
    assert resilience_numbers(example)["incidents"]["open"] == first["incidents"]["open"] + 1
    assert len(counted) == 1  # an incident is not the drills' data
    example.paid_in_capital = (example.paid_in_capital or 0) + 10**11
    example.save()
    resilience_numbers(example)
    assert len(counted) == 2
