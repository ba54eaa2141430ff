"""The continuity API: scoped reads and writes, roles, validation, the graph in the core's file
format (export read back by the core, all-or-nothing import), the analysis against the core,
and list query counts that do not grow with the graph."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from finres.core.resilience import analyse, analysis_data, build_graph
from finres.web.audit.models import AuditEvent
from finres.web.continuity.models import CriticalService, Dependency, Node, Scenario
from finres.web.orgs.models import Organisation
from finres.web.orgs.roles import Role
from finres.web.registers.models import InformationSystem

from .test_continuity import EXAMPLE

pytestmark = pytest.mark.django_db
JSON = "application/json"


def test_build_a_graph_through_the_api(ciso_client: Client, org: Organisation) -> None:
    service = ciso_client.post(
        "/api/critical-services/",
        {
            "code": "PAY",
            "name": "Payments",
            "mtpd_minutes": 240,
            "rto_minutes": 60,
            "rpo_minutes": 5,
        },
        content_type=JSON,
    )
    assert service.status_code == 201, service.json()
    service_id = service.json()["id"]
    bad = ciso_client.post(
        "/api/critical-services/",
        {"code": "X", "name": "X", "mtpd_minutes": 30, "rto_minutes": 60, "rpo_minutes": -5},
        content_type=JSON,
    )
    assert bad.status_code == 400 and "rpo_minutes" in bad.json()
    late = ciso_client.post(
        "/api/critical-services/",
        {"code": "X", "name": "X", "mtpd_minutes": 30, "rto_minutes": 60, "rpo_minutes": 5},
        content_type=JSON,
    )
    assert late.status_code == 400 and "MTPD" in str(late.json()["rto_minutes"])
    impact = ciso_client.post(
        "/api/impact-ratings/",
        {"service": service_id, "bucket": "1d", "financial": 4, "customer": 3},
        content_type=JSON,
    )
    assert impact.status_code == 201, impact.json()
    system = InformationSystem.objects.create(organisation=org, code="GW", name="Gateway")
    node = ciso_client.post(
        "/api/graph-nodes/",
        {"code": "PAY", "kind": "service", "service": service_id},
        content_type=JSON,
    ).json()
    gateway = ciso_client.post(
        "/api/graph-nodes/",
        {
            "code": "GW",
            "kind": "system",
            "system": system.pk,
            "recovery_time_minutes": 180,
            "recovery_point_minutes": 10,
            "tags": ["core"],
        },
        content_type=JSON,
    )
    assert gateway.status_code == 201, gateway.json()
    gw = gateway.json()
    wrong = ciso_client.post(
        "/api/graph-nodes/", {"code": "Z", "kind": "site", "system": system.pk}, content_type=JSON
    )
    assert wrong.status_code == 400 and "system" in wrong.json()
    edge = ciso_client.post(
        "/api/graph-dependencies/", {"node": node["id"], "target": gw["id"]}, content_type=JSON
    )
    assert edge.status_code == 201, edge.json()
    cycle = ciso_client.post(
        "/api/graph-dependencies/", {"node": gw["id"], "target": node["id"]}, content_type=JSON
    )
    assert cycle.status_code == 400 and "target" in cycle.json()
    again = ciso_client.post(
        "/api/graph-dependencies/", {"node": node["id"], "target": gw["id"]}, content_type=JSON
    )
    assert again.status_code == 400
    layer = ciso_client.post(
        "/api/recovery-layers/",
        {
            "node": gw["id"],
            "layer": "local",
            "recovery_time_minutes": 90,
            "recovery_point_minutes": 5,
            "demonstrated_on": "2026-10-01",
        },
        content_type=JSON,
    )
    assert layer.status_code == 201, layer.json()
    read = ciso_client.get(f"/api/graph-nodes/{gw['id']}/").json()
    assert (read["effective_recovery_time"], read["effective_recovery_point"]) == (90, 5)
    scenario = ciso_client.post(
        "/api/continuity-scenarios/",
        {"code": "CORE", "name": "Core down", "fail_tagged": ["core"]},
        content_type=JSON,
    )
    assert scenario.status_code == 201, scenario.json()
    unknown = ciso_client.post(
        "/api/continuity-scenarios/",
        {"code": "T", "name": "T", "fail_tagged": ["nope"]},
        content_type=JSON,
    )
    assert unknown.status_code == 400 and "fail_tagged" in unknown.json()
    empty = ciso_client.post(
        "/api/continuity-scenarios/", {"code": "E", "name": "E"}, content_type=JSON
    )
    assert empty.status_code == 400
    run = ciso_client.get(f"/api/continuity-scenarios/{scenario.json()['id']}/run/").json()
    assert run["services"][0] | {} == {
        "id": "PAY",
        "rto": 60,
        "rpo": 5,
        "recovery_time": 90,
        "data_loss": 5,
        "meets_rto": False,
        "meets_rpo": True,
        "critical_path": ["PAY", "GW"],
    }
    summary = ciso_client.get("/api/continuity-graph/summary/").json()
    assert summary == {
        "services": 1,
        "valid": True,
        "breaching_rto": 1,
        "breaching_rpo": 0,
        "single_points_of_failure": 1,
    }


def test_unknown_fields_and_parameters_are_refused(ciso_client: Client) -> None:
    response = ciso_client.post(
        "/api/critical-services/", {"code": "A", "name": "A", "colour": "red"}, content_type=JSON
    )
    assert response.status_code == 400 and "colour" in response.json()
    assert ciso_client.get("/api/graph-nodes/?colour=red").status_code == 400
    assert ciso_client.get("/api/graph-nodes/?kind=planet").status_code == 400
    assert ciso_client.get("/api/continuity-graph/analysis/?scenario=abc").status_code == 400
    assert ciso_client.get("/api/continuity-graph/analysis/?scenario=99999999").status_code == 400
    assert ciso_client.get("/api/continuity-graph/analysis/?colour=1").status_code == 400


def test_the_graph_and_the_analysis_are_the_cores(ciso_client: Client, org: Organisation) -> None:
    upload = SimpleUploadedFile("g.yaml", EXAMPLE.encode(), content_type="application/yaml")
    imported = ciso_client.post("/api/continuity-graph/import/", {"file": upload})
    assert imported.status_code == 200 and imported.json()["applied"] is True
    exported = ciso_client.get("/api/continuity-graph/export/").json()
    assert AuditEvent.objects.filter(action="export", organisation_id=org.pk).exists()
    graph = build_graph(exported)
    assert list(graph.nodes) == ["svc", "app", "db", "dc1", "dc2"]
    expected = analysis_data(analyse(build_graph(__import__("yaml").safe_load(EXAMPLE))))
    analysis = ciso_client.get("/api/continuity-graph/analysis/").json()
    assert {k: analysis[k] for k in expected} == expected
    assert analysis["problems"] == []
    scenario = Scenario.objects.get(organisation=org, code="both-sites")
    both = ciso_client.get(f"/api/continuity-graph/analysis/?scenario={scenario.pk}").json()
    assert both["scenario"] == "both-sites" and both["services"][0]["recovery_time"] == 1440
    broken = EXAMPLE.replace("requires: [app]", "requires: [nowhere]")
    upload = SimpleUploadedFile("g.yaml", broken.encode(), content_type="application/yaml")
    refused = ciso_client.post("/api/continuity-graph/import/", {"file": upload})
    assert refused.status_code == 400
    assert refused.json()["problems"][0]["place"] == "svc"
    assert ciso_client.get("/api/continuity-graph/export/").json() == exported


def test_roles_and_isolation(client_for: Any, org: Organisation, other_org: Organisation) -> None:
    theirs = CriticalService.objects.create(organisation=other_org, code="T", name="Theirs")
    their_node = Node.objects.create(organisation=other_org, code="T", kind="process")
    auditor = client_for(Role.AUDITOR, org)
    assert auditor.get("/api/critical-services/").status_code == 200
    assert (
        auditor.post(
            "/api/critical-services/", {"code": "A", "name": "A"}, content_type=JSON
        ).status_code
        == 403
    )
    assert auditor.get(f"/api/critical-services/{theirs.pk}/").status_code == 404
    owner = client_for(Role.CONTROL_OWNER, org)
    mine = owner.post("/api/graph-nodes/", {"code": "P", "kind": "process"}, content_type=JSON)
    assert mine.status_code == 201
    assert owner.delete(f"/api/graph-nodes/{mine.json()['id']}/").status_code == 403
    edge = owner.post(
        "/api/graph-dependencies/",
        {"node": mine.json()["id"], "target": their_node.pk},
        content_type=JSON,
    )
    assert edge.status_code == 400 and not Dependency.objects.exists()
    upload = SimpleUploadedFile("g.yaml", EXAMPLE.encode(), content_type="application/yaml")
    assert owner.post("/api/continuity-graph/import/", {"file": upload}).status_code == 403
    assert owner.get("/api/continuity-graph/export/").json()["nodes"][0]["id"] == "P"


def test_api_lists_run_a_bounded_number_of_queries(
    ciso_client: Client, org: Organisation, django_assert_max_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (5, 40):
        start = Node.objects.filter(organisation=org).count()
        for i in range(start, start + size):
            node = Node.objects.create(organisation=org, code=f"N{i}", kind="system")
            Dependency.objects.create(
                organisation=org, node=node, target=Node.objects.filter(organisation=org).first()
            ) if i else None
        sizes = []
        for url in (
            "/api/graph-nodes/",
            "/api/graph-dependencies/",
            "/api/continuity-graph/export/",
            "/api/continuity-graph/analysis/",
        ):
            with CaptureQueriesContext(connection) as captured:
                assert ciso_client.get(url).status_code == 200, url
            sizes.append(len(captured))
        counts.append(sizes)
    assert counts[0] == counts[1]
