"""Drills and exercises: planned and recorded, their results met or missed against the BIA,
their demonstrated recovery times fed into the analysis with the drill as the reason, the
CC-20000 drills due, findings from a drill, export, roles, audit and the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from finres.web.audit.models import AuditEvent
from finres.web.continuity import drills, graph
from finres.web.continuity.models import (
    CriticalService,
    Drill,
    DrillNodeResult,
    DrillServiceResult,
    Node,
    RecoveryLayer,
    Scenario,
)
from finres.web.improvements.models import Finding
from finres.web.orgs.models import Organisation
from finres.web.orgs.roles import Role
from finres.web.registers.models import InformationSystem

from .conftest import login
from .test_continuity import import_text

pytestmark = pytest.mark.django_db

# One service on one system on one database: the system's stated recovery sets the time.
EXAMPLE = """
nodes:
  - {id: pay, kind: service, rto: 2h, rpo: 15m, requires: [app]}
  - {id: app, kind: system, recovery_time: 3h, recovery_point: 10m, requires: [db]}
  - {id: db, kind: data_store, recovery_time: 30m, recovery_point: 5m, tags: [core]}
scenarios:
  - {id: ransom, fail_tagged: [core]}
"""


@pytest.fixture
def example(org: Organisation) -> Organisation:
    report = import_text(org, EXAMPLE)
    assert report.ok, report.problems
    return org


def outcome(org: Organisation, code: str, scenario: Scenario | None = None) -> Any:
    result = graph.run(org, scenario)
    return next(o for o in result.outcomes if o.node.code == code)


def make_drill(org: Organisation, performed: dt.date | None, **fields: Any) -> Drill:
    values: dict[str, Any] = {
        "organisation": org,
        "code": "DR-1",
        "name": "Failover test",
        "kind": Drill.Kind.FAILOVER,
        "scenario_text": "The primary site is lost.",
        "planned_on": dt.date(2026, 1, 10),
        "performed_on": performed,
    }
    values.update(fields)
    return Drill.objects.create(**values)


# --- the analysis uses what a drill demonstrated ------------------------------------------------


def test_a_performed_drill_replaces_the_stated_recovery_time(example: Organisation) -> None:
    app = Node.objects.get(organisation=example, code="app")
    # worst single failure: app fails alone and takes its stated 3 hours: RTO of 2 h missed
    assert outcome(example, "pay").outcome.meets_rto is False
    drill = make_drill(example, None)
    DrillNodeResult.objects.create(
        organisation=example, drill=drill, node=app, recovery_time_minutes=45
    )
    # planned only: the result is not used yet
    assert outcome(example, "pay").outcome.recovery_time == 180
    drill.performed_on = timezone.localdate() - dt.timedelta(days=1)
    drill.save()
    found = outcome(example, "pay")
    assert found.outcome.recovery_time == 45  # app failing alone: its demonstrated 45 min
    assert found.outcome.meets_rto is True
    shown = Node.objects.get(pk=app.pk).demonstration()
    assert shown is not None and shown.drill == drill and shown.on == drill.performed_on


def test_a_drill_on_a_layer_supersedes_an_older_restore_test_of_that_layer(
    example: Organisation,
) -> None:
    app = Node.objects.get(organisation=example, code="app")
    today = timezone.localdate()
    RecoveryLayer.objects.create(
        organisation=example,
        node=app,
        layer="local",
        recovery_time_minutes=60,
        recovery_point_minutes=5,
        demonstrated_on=today - dt.timedelta(days=100),
    )
    RecoveryLayer.objects.create(
        organisation=example,
        node=app,
        layer="off_site",
        recovery_time_minutes=240,
        recovery_point_minutes=60,
        demonstrated_on=today - dt.timedelta(days=100),
    )
    assert Node.objects.get(pk=app.pk).effective_recovery()[:2] == (60, 5)
    drill = make_drill(example, today - dt.timedelta(days=5))
    DrillNodeResult.objects.create(
        organisation=example,
        drill=drill,
        node=app,
        layer="local",
        recovery_time_minutes=150,
        recovery_point_minutes=5,
    )
    # the local layer now takes 150 min (the drill is more recent); off-site still 240: 150
    time, point, source = Node.objects.get(pk=app.pk).effective_recovery()
    assert (time, point) == (150, 5)
    assert isinstance(source, DrillNodeResult)
    # an older drill does not override a newer restore test
    older = make_drill(example, today - dt.timedelta(days=300), code="DR-0")
    DrillNodeResult.objects.create(
        organisation=example,
        drill=older,
        node=app,
        layer="off_site",
        recovery_time_minutes=10,
        recovery_point_minutes=0,
    )
    assert Node.objects.get(pk=app.pk).effective_recovery()[:2] == (150, 5)


def test_a_whole_node_drill_counts_when_it_is_the_latest(example: Organisation) -> None:
    app = Node.objects.get(organisation=example, code="app")
    today = timezone.localdate()
    RecoveryLayer.objects.create(
        organisation=example,
        node=app,
        layer="local",
        recovery_time_minutes=60,
        recovery_point_minutes=5,
        demonstrated_on=today - dt.timedelta(days=100),
    )
    drill = make_drill(example, today - dt.timedelta(days=2))
    DrillNodeResult.objects.create(
        organisation=example, drill=drill, node=app, recovery_time_minutes=200
    )
    # the drill showed the node really took 200 minutes: that, not the older 60
    assert Node.objects.get(pk=app.pk).effective_recovery()[:2] == (200, 0)


def test_the_pages_give_the_drill_as_the_reason(example: Organisation, ciso_client: Client) -> None:
    app = Node.objects.get(organisation=example, code="app")
    drill = make_drill(example, dt.date(2026, 3, 4), code="DR-42")
    DrillNodeResult.objects.create(
        organisation=example, drill=drill, node=app, recovery_time_minutes=45
    )
    page = ciso_client.get(f"/continuity/nodes/{app.pk}/").content.decode()
    assert 'data-demonstrated-by="DR-42"' in page and "2026-03-04" in page
    overview = ciso_client.get("/continuity/").content.decode()
    assert 'data-demonstrated-by="DR-42"' in overview


# --- results against the BIA, findings ----------------------------------------------------------


def test_a_service_result_is_met_or_missed_against_the_bia(example: Organisation) -> None:
    service = CriticalService.objects.get(organisation=example, code="pay")
    drill = make_drill(example, dt.date(2026, 2, 1))
    met = DrillServiceResult(
        organisation=example, drill=drill, service=service, recovery_time_minutes=120
    )
    assert met.meets_rto and met.meets_rpo
    missed = DrillServiceResult(
        organisation=example,
        drill=drill,
        service=service,
        recovery_time_minutes=121,
        data_loss_minutes=16,
    )
    assert not missed.meets_rto and missed.rto_gap == 1 and missed.rpo_gap == 1


def test_recording_a_drill_in_the_pages(example: Organisation, ciso_client: Client) -> None:
    service = CriticalService.objects.get(organisation=example, code="pay")
    app = Node.objects.get(organisation=example, code="app")
    response = ciso_client.post(
        "/continuity/drills/new/",
        {
            "code": "DR-9",
            "name": "Site failover",
            "kind": "failover",
            "scenario_text": "Primary site lost",
            "planned_on": "2026-05-01",
            "performed_on": "2026-05-02",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    drill = Drill.objects.get(organisation=example, code="DR-9")
    response = ciso_client.post(
        f"/continuity/drills/{drill.pk}/service-results/",
        {"service": service.pk, "recovery_time_minutes": "150", "data_loss_minutes": "20"},
    )
    assert response.status_code == 302
    response = ciso_client.post(
        f"/continuity/drills/{drill.pk}/node-results/",
        {"node": app.pk, "layer": "", "recovery_time_minutes": "40"},
    )
    assert response.status_code == 302
    drill.refresh_from_db()
    assert list(drill.services.all()) == [service] and list(drill.nodes.all()) == [app]
    page = ciso_client.get(f"/continuity/drills/{drill.pk}/").content.decode()
    assert 'data-meets-rto="no"' in page and 'data-meets-rpo="no"' in page
    result = drill.service_results.get()
    response = ciso_client.post(
        f"/continuity/drills/{drill.pk}/finding/", {"result": result.pk, "gap": "rto"}
    )
    assert response.status_code == 302
    finding = Finding.objects.get(organisation=example, source_reference="drill DR-9 pay RTO")
    assert "30" in finding.title
    # twice is once while it is open
    ciso_client.post(f"/continuity/drills/{drill.pk}/finding/", {"result": result.pk, "gap": "rto"})
    assert Finding.objects.filter(source_reference="drill DR-9 pay RTO").count() == 1
    # the RPO gap is 5 minutes; an unknown gap is refused with a message, not an error
    response = ciso_client.post(
        f"/continuity/drills/{drill.pk}/finding/", {"result": result.pk, "gap": "mtpd"}
    )
    assert response.status_code == 302
    assert not Finding.objects.filter(source_reference__contains="MTPD").exists()
    # the analysis took the node's demonstrated 40 minutes
    assert outcome(example, "pay").outcome.recovery_time == 40


def test_an_issue_becomes_a_finding_once(example: Organisation, ciso_client: Client) -> None:
    drill = make_drill(
        example, dt.date(2026, 2, 1), issues="Backups were a day old\nRunbook out of date"
    )
    response = ciso_client.post(
        f"/continuity/drills/{drill.pk}/finding/", {"issue": "Runbook out of date"}
    )
    assert response.status_code == 302
    assert Finding.objects.get(source_reference="drill DR-1 issue 2").title.endswith(
        "Runbook out of date"
    )
    ciso_client.post(f"/continuity/drills/{drill.pk}/finding/", {"issue": "not an issue"})
    assert Finding.objects.filter(source_reference__startswith="drill DR-1").count() == 1


def test_a_drill_needs_a_scenario_and_cannot_be_performed_in_the_future(
    example: Organisation, ciso_client: Client
) -> None:
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = ciso_client.post(
        "/continuity/drills/new/",
        {
            "code": "DR-X",
            "name": "X",
            "kind": "tabletop",
            "planned_on": "2026-01-01",
            "performed_on": tomorrow,
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"scenario_text", "performed_on"}
    assert not Drill.objects.filter(code="DR-X").exists()


def test_another_organisations_objects_are_not_offered(
    example: Organisation, other_org: Organisation, ciso_client: Client
) -> None:
    other = CriticalService.objects.create(organisation=other_org, code="X", name="Other")
    drill = make_drill(example, None)
    response = ciso_client.post(
        f"/continuity/drills/{drill.pk}/service-results/",
        {"service": other.pk, "recovery_time_minutes": "1"},
    )
    assert response.status_code == 400
    assert not DrillServiceResult.objects.exists()


# --- roles and audit ----------------------------------------------------------------------------


def test_roles(example: Organisation, client_for: Any) -> None:
    drill = make_drill(example, None)
    auditor = client_for(Role.AUDITOR, example)
    assert auditor.get("/continuity/drills/").status_code == 200
    assert auditor.get(f"/continuity/drills/{drill.pk}/").status_code == 200
    assert auditor.get("/continuity/drills/new/").status_code == 403
    assert (
        auditor.post(f"/continuity/drills/{drill.pk}/finding/", {"issue": "x"}).status_code == 403
    )
    owner = client_for(Role.CONTROL_OWNER, example)
    assert owner.get("/continuity/drills/new/").status_code == 200
    assert owner.post(f"/continuity/drills/{drill.pk}/delete/").status_code == 403
    board = client_for(Role.BOARD, example)
    assert board.get("/continuity/drills/").status_code == 403


def test_changes_are_audited(example: Organisation, ciso_client: Client) -> None:
    service = CriticalService.objects.get(organisation=example, code="pay")
    drill = make_drill(example, None)
    drill.services.set([service])
    events = AuditEvent.objects.filter(model="continuity.drill", object_id=str(drill.pk))
    assert events.filter(action="create").exists()
    assert any("services" in (e.changes or {}) for e in events.filter(action="update"))
    ciso_client.post(
        f"/continuity/drills/{drill.pk}/service-results/",
        {"service": service.pk, "recovery_time_minutes": "10"},
    )
    assert AuditEvent.objects.filter(model="continuity.drillserviceresult").exists()


# --- drills due (CC-20000) ----------------------------------------------------------------------


def test_core_systems_of_a_tier_1_to_3_securities_firm_are_due(
    example: Organisation, ciso_client: Client
) -> None:
    system = InformationSystem.objects.create(
        organisation=example, code="CORE", name="Core", classification="core"
    )
    InformationSystem.objects.create(
        organisation=example, code="NC", name="Non-core", classification="non_core"
    )
    found = drills.schedule(example, dt.date(2026, 6, 1))
    assert found.tier in (1, 2, 3) and found.rule is not None
    assert found.rule.interval_from_source is False  # the slides give no interval
    assert [(r.object.code, r.due.state) for r in found.systems] == [("CORE", "never")]
    node = Node.objects.create(organisation=example, code="core-node", kind="system", system=system)
    drill = make_drill(example, dt.date(2026, 3, 1))
    drill.nodes.set([node])
    found = drills.schedule(example, dt.date(2026, 6, 1))
    row = found.systems[0]
    assert row.required and row.due.state == "current" and row.due.due == dt.date(2027, 3, 1)
    assert drills.schedule(example, dt.date(2027, 3, 2)).systems[0].due.state == "overdue"
    page = ciso_client.get("/continuity/drills/").content.decode()
    assert 'data-due="system:CORE"' in page and "CC-20000" in page


def test_a_tier_4_firm_or_a_bank_owes_no_cc_20000_drill(make_org: Any) -> None:
    small = make_org(name="Small", paid_in_capital=1_000_000_000)
    bank = make_org(name="Bank", industry="bank", paid_in_capital=50_000_000_000)
    assert drills.schedule(small).rule is None
    assert drills.schedule(bank).rule is None


# --- export -------------------------------------------------------------------------------------


def test_export_xlsx_and_csv(example: Organisation, ciso_client: Client) -> None:
    service = CriticalService.objects.get(organisation=example, code="pay")
    drill = make_drill(example, dt.date(2026, 2, 1))
    DrillServiceResult.objects.create(
        organisation=example, drill=drill, service=service, recovery_time_minutes=500
    )
    response = ciso_client.get("/continuity/drills/export/?format=csv")
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert "DR-1" in text and "pay" in text.splitlines()[1]
    response = ciso_client.get("/continuity/drills/export/?format=xlsx")
    assert response.content[:2] == b"PK"
    assert ciso_client.get("/continuity/drills/export/?format=pdf").status_code == 302


# --- API ----------------------------------------------------------------------------------------


def test_api(example: Organisation, ciso_client: Client, other_org: Organisation) -> None:
    service = CriticalService.objects.get(organisation=example, code="pay")
    app = Node.objects.get(organisation=example, code="app")
    response = ciso_client.post(
        "/api/drills/",
        {
            "code": "DR-API",
            "name": "API drill",
            "kind": "full_scale",
            "scenario_text": "all",
            "planned_on": "2026-01-01",
            "performed_on": "2026-01-02",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    drill_id = response.json()["id"]
    response = ciso_client.post(
        "/api/drill-service-results/",
        {"drill": drill_id, "service": service.pk, "recovery_time_minutes": 100},
        content_type="application/json",
    )
    assert response.status_code == 201 and response.json()["meets_rto"] is True
    response = ciso_client.post(
        "/api/drill-node-results/",
        {"drill": drill_id, "node": app.pk, "layer": "local", "recovery_time_minutes": 20},
        content_type="application/json",
    )
    assert response.status_code == 201
    duplicate = ciso_client.post(
        "/api/drill-node-results/",
        {"drill": drill_id, "node": app.pk, "layer": "local", "recovery_time_minutes": 25},
        content_type="application/json",
    )
    assert duplicate.status_code == 400
    other = Node.objects.create(organisation=other_org, code="o", kind="system")
    response = ciso_client.post(
        "/api/drill-node-results/",
        {"drill": drill_id, "node": other.pk, "recovery_time_minutes": 1},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert ciso_client.get("/api/drills/").json()["count"] == 1
    due = ciso_client.get("/api/drill-schedule/due/").json()
    assert due["rule"]["requirement"] == "CC-20000" and due["items"][0]["kind"] == "service"
    no_scenario = ciso_client.post(
        "/api/drills/",
        {"code": "DR-N", "name": "n", "kind": "tabletop", "planned_on": "2026-01-01"},
        content_type="application/json",
    )
    assert no_scenario.status_code == 400 and "scenario_text" in no_scenario.json()


# --- the demo -----------------------------------------------------------------------------------


def test_the_demo_drill_changes_the_ransomware_scenario(client_for: Any) -> None:
    from finres.web.setup import load_demo

    context = load_demo()
    securities = context.organisations["securities"]
    ransom = Scenario.objects.get(organisation=securities, code="SCN-RANSOM")
    settle = outcome(securities, "SVC-SETTLE", ransom)
    assert settle.outcome.meets_rto is True  # 2 h database + 1.5 h demonstrated by DR-2026-01
    assert settle.outcome.recovery_time == 210
    # without the drill the scenario breaches settlement's 4-hour RTO
    DrillNodeResult.objects.filter(drill__code="DR-2026-01", node__code="SYS-SETTLE").delete()
    assert outcome(securities, "SVC-SETTLE", ransom).outcome.meets_rto is False
    login(Client(), context.users["demo-ciso"])


def test_a_layer_is_named_only_for_a_node_that_has_layers(
    example: Organisation, ciso_client: Client
) -> None:
    drill = make_drill(example, None)
    service_node = Node.objects.get(organisation=example, code="pay")
    site = Node.objects.create(organisation=example, code="dc", kind="site")
    for node in (site,):
        response = ciso_client.post(
            f"/continuity/drills/{drill.pk}/node-results/",
            {"node": node.pk, "layer": "local", "recovery_time_minutes": "5"},
        )
        assert response.status_code == 400
    response = ciso_client.post(
        f"/continuity/drills/{drill.pk}/node-results/",
        {"node": service_node.pk, "recovery_time_minutes": "5"},
    )
    assert response.status_code == 400  # a service node is not offered
    assert not DrillNodeResult.objects.exists()


def test_pages_run_a_bounded_number_of_queries(
    example: Organisation, ciso_client: Client, django_assert_max_num_queries: Any
) -> None:
    service = CriticalService.objects.get(organisation=example, code="pay")
    nodes = list(Node.objects.filter(organisation=example).exclude(kind="service"))
    for index in range(30):
        drill = make_drill(example, dt.date(2026, 1, 1), code=f"DR-{index}")
        drill.services.set([service])
        drill.nodes.set(nodes)
        DrillServiceResult.objects.create(
            organisation=example, drill=drill, service=service, recovery_time_minutes=index
        )
        for node in nodes:
            DrillNodeResult.objects.create(
                organisation=example, drill=drill, node=node, recovery_time_minutes=index + 1
            )
    for url in ("/continuity/drills/", "/continuity/", f"/continuity/drills/{drill.pk}/"):
        with django_assert_max_num_queries(40):
            assert ciso_client.get(url).status_code == 200
    with django_assert_max_num_queries(30):
        assert ciso_client.get("/api/drills/").json()["count"] == 30
    with django_assert_max_num_queries(30):
        ciso_client.get("/continuity/drills/export/?format=csv")
    assert drills.dashboard_numbers(example) == {"due": 0, "required_due": 0}
