"""API of findings, milestones and exceptions: same scoping and rules as the pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from finres.web.improvements.models import Finding, Milestone, RiskException
from finres.web.orgs.roles import Role

from .conftest import login
from .test_improvements import (
    days,
    make_exception,
    make_finding,
    make_milestone,
    make_result,
    requirement,
)

pytestmark = pytest.mark.django_db


def post(client: Client, url: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(url, data or {}, content_type="application/json")


def patch(client: Client, url: str, data: dict[str, Any]) -> Any:
    return client.patch(url, data, content_type="application/json")


def test_findings_are_listed_with_their_milestones(client_for, org, other_org) -> None:
    finding = make_finding(org, due_date=days(30))
    make_milestone(finding, title="Late step", due_date=days(-1))
    make_finding(other_org, title="Not ours")
    response = client_for(Role.AUDITOR, org).get("/api/findings/")
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 1
    row = data["results"][0]
    assert row["id"] == finding.pk and row["overdue"] is True
    assert [m["title"] for m in row["milestones"]] == ["Late step"]
    assert row["milestones"][0]["overdue"] is True


def test_finding_list_queries_do_not_grow(client_for, org) -> None:
    client = client_for(Role.CONTROL_OWNER, org)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/findings/", {"status": "all"}).status_code == 200
        return len(queries)

    make_milestone(make_finding(org))
    few = count()
    for n in range(30):
        finding = make_finding(org, title=f"F{n}")
        make_milestone(finding)
        make_milestone(finding, done=True)
    assert count() == few


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.CONTROL_OWNER, 201), (Role.CISO, 201), (Role.AUDITOR, 403), (Role.BOARD, 403)],
)
def test_who_may_create_a_finding(client_for, org, role, status) -> None:
    response = post(
        client_for(role, org),
        "/api/findings/",
        {"title": "From the API", "requirement": requirement().pk, "due_date": str(days(20))},
    )
    assert response.status_code == status
    assert Finding.objects.filter(title="From the API").count() == (1 if status == 201 else 0)
    if status == 201:
        finding = Finding.objects.get()
        assert finding.organisation == org and finding.created_by is not None
        assert response.json()["status"] == "open"


def test_finding_from_a_result_takes_its_requirement(client_for, org, other_org) -> None:
    client = client_for(Role.CONTROL_OWNER, org)
    result = make_result(org)
    response = post(client, "/api/findings/", {"title": "From result", "result": result.pk})
    assert response.status_code == 201
    assert response.json()["requirement"] == result.requirement_id
    foreign = make_result(other_org)
    response = post(client, "/api/findings/", {"title": "Foreign", "result": foreign.pk})
    assert response.status_code == 400 and "result" in response.json()
    assert not Finding.objects.filter(title="Foreign").exists()


def test_bad_finding_input_is_400(client_for, make_user, org, other_org) -> None:
    client = client_for(Role.CONTROL_OWNER, org)
    stranger = make_user(Role.CONTROL_OWNER, other_org)
    for data in (
        {"title": "Past", "due_date": "2020-01-01"},
        {"title": "Stranger", "owner": stranger.pk},
        {"title": "", "due_date": str(days(5))},
        {"title": "Status", "status": "closed", "due_date": "not a date"},
    ):
        assert post(client, "/api/findings/", data).status_code == 400, data
    assert not Finding.objects.exists()


def test_status_action(client_for, org) -> None:
    finding = make_finding(org)
    make_milestone(finding)
    client = client_for(Role.CONTROL_OWNER, org)
    url = f"/api/findings/{finding.pk}/status/"
    refused = post(client, url, {"status": "closed"})
    assert refused.status_code == 400 and "detail" in refused.json()
    assert patch(client, f"/api/findings/{finding.pk}/", {"title": "t"}).json()["status"] == "open"
    closed = post(client, url, {"status": "closed", "closing_note": "Risk transferred."})
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed" and closed.json()["closed_at"]
    auditor = client_for(Role.AUDITOR, org)
    assert post(auditor, url, {"status": "open"}).status_code == 403


def test_milestones_through_the_api(client_for, org) -> None:
    finding = make_finding(org, due_date=days(40))
    client = client_for(Role.CONTROL_OWNER, org)
    late = post(
        client,
        "/api/milestones/",
        {"finding": finding.pk, "title": "After the deadline", "due_date": str(days(41))},
    )
    assert late.status_code == 400 and "due_date" in late.json()
    created = post(
        client,
        "/api/milestones/",
        {"finding": finding.pk, "title": "In time", "due_date": str(days(39))},
    )
    assert created.status_code == 201
    milestone = Milestone.objects.get()
    assert milestone.organisation == org
    done = post(client, f"/api/milestones/{milestone.pk}/complete/")
    assert done.status_code == 200 and done.json()["done"] is True
    listed = client.get("/api/milestones/", {"finding": finding.pk}).json()
    assert [m["id"] for m in listed["results"]] == [milestone.pk]
    assert (
        post(client_for(Role.AUDITOR, org), f"/api/milestones/{milestone.pk}/reopen/").status_code
        == 403
    )
    milestone.refresh_from_db()
    assert milestone.done


def test_exceptions_through_the_api(client_for, make_user, org) -> None:
    owner = client_for(Role.CONTROL_OWNER, org)
    proposal = {
        "title": "Legacy host",
        "requirement": requirement().pk,
        "risk": "Malware.",
        "compensating_controls": "Isolation.",
        "expiry_date": str(days(100)),
    }
    too_long = post(owner, "/api/exceptions/", {**proposal, "expiry_date": str(days(400))})
    assert too_long.status_code == 400 and "expiry_date" in too_long.json()
    no_requirement = post(owner, "/api/exceptions/", {**proposal, "requirement": None})
    assert no_requirement.status_code == 400
    created = post(owner, "/api/exceptions/", proposal)
    assert created.status_code == 201 and created.json()["status"] == "proposed"
    pk = created.json()["id"]
    assert post(owner, f"/api/exceptions/{pk}/approve/").status_code == 403

    ciso_user = make_user(Role.CISO, org, username="api-ciso")
    ciso = login(Client(), ciso_user)
    rejected = post(ciso, f"/api/exceptions/{pk}/reject/", {"note": ""})
    assert rejected.status_code == 400
    approved = post(ciso, f"/api/exceptions/{pk}/approve/", {"note": "OK for 100 days"})
    assert approved.status_code == 200
    body = approved.json()
    assert body["status"] == "approved" and body["approver"] == ciso_user.pk
    assert body["approved_at"]
    assert patch(owner, f"/api/exceptions/{pk}/", {"title": "Changed"}).status_code == 400
    assert RiskException.objects.get().title == "Legacy host"
    closed = post(owner, f"/api/exceptions/{pk}/close/", {"closing_note": "Host retired."})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"


def test_no_self_approval_through_the_api(make_user, org) -> None:
    ciso_user = make_user(Role.CISO, org)
    exception = make_exception(org, proposed_by=ciso_user)
    response = post(login(Client(), ciso_user), f"/api/exceptions/{exception.pk}/approve/")
    assert response.status_code == 400
    exception.refresh_from_db()
    assert exception.status == "proposed"


def test_exception_filters_and_flags(client_for, make_user, org) -> None:
    approver = make_user(Role.CISO, org)
    decided = {"status": "approved", "approver": approver, "approved_at": timezone.now()}
    expired = make_exception(org, title="Old", expiry_date=days(-1), **decided)
    make_exception(org, title="Fresh", expiry_date=days(200), **decided)
    client = client_for(Role.AUDITOR, org)
    rows = client.get("/api/exceptions/", {"flag": "expired"}).json()["results"]
    assert [(r["id"], r["expiry_flag"]) for r in rows] == [(expired.pk, "expired")]


def test_foreign_ids_are_404_on_every_api_route(client_for, org, other_org) -> None:
    finding = make_finding(other_org)
    milestone = make_milestone(finding)
    exception = make_exception(other_org)
    client = client_for(Role.ADMINISTRATOR, org)
    routes = [
        ("get", f"/api/findings/{finding.pk}/"),
        ("patch", f"/api/findings/{finding.pk}/"),
        ("put", f"/api/findings/{finding.pk}/"),
        ("post", f"/api/findings/{finding.pk}/status/"),
        ("get", f"/api/milestones/{milestone.pk}/"),
        ("patch", f"/api/milestones/{milestone.pk}/"),
        ("post", f"/api/milestones/{milestone.pk}/complete/"),
        ("post", f"/api/milestones/{milestone.pk}/reopen/"),
        ("get", f"/api/exceptions/{exception.pk}/"),
        ("patch", f"/api/exceptions/{exception.pk}/"),
        ("post", f"/api/exceptions/{exception.pk}/approve/"),
        ("post", f"/api/exceptions/{exception.pk}/reject/"),
        ("post", f"/api/exceptions/{exception.pk}/close/"),
    ]
    payload = {"status": "closed", "closing_note": "x", "note": "x", "title": "x"}
    for method, url in routes:
        response = getattr(client, method)(url, payload, content_type="application/json")
        assert response.status_code == 404, (method, url)
    for url, filters in (
        ("/api/findings/", {"status": "all"}),
        ("/api/milestones/", {}),  # milestones have no status filter (it would be a 400)
        ("/api/exceptions/", {"status": "all"}),
    ):
        assert client.get(url, filters).json()["count"] == 0
    # a new milestone cannot be hung on a foreign finding either
    response = post(
        client, "/api/milestones/", {"finding": finding.pk, "title": "x", "due_date": str(days(5))}
    )
    assert response.status_code == 400
    assert Milestone.objects.count() == 1
    finding.refresh_from_db()
    exception.refresh_from_db()
    assert (finding.status, exception.status) == ("open", "proposed")


def test_nothing_is_deleted_through_the_api(client_for, org) -> None:
    finding = make_finding(org)
    milestone = make_milestone(finding)
    exception = make_exception(org)
    client = client_for(Role.CISO, org)
    for url in (
        f"/api/findings/{finding.pk}/",
        f"/api/milestones/{milestone.pk}/",
        f"/api/exceptions/{exception.pk}/",
    ):
        assert client.delete(url).status_code == 405
    assert (
        Finding.objects.count() == Milestone.objects.count() == RiskException.objects.count() == 1
    )


def test_the_schema_describes_the_endpoints(client_for, org) -> None:
    response = client_for(Role.CISO, org).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/findings/",
        "/api/findings/{id}/status/",
        "/api/milestones/{id}/complete/",
        "/api/exceptions/{id}/approve/",
        "/api/exceptions/{id}/close/",
    ):
        assert path in paths, path


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.CISO, 200), (Role.CONTROL_OWNER, 200), (Role.AUDITOR, 200), (Role.BOARD, 403)],
)
def test_who_may_read_through_the_api(client_for, org, role, status) -> None:
    finding = make_finding(org)
    make_milestone(finding)
    exception = make_exception(org)
    client = client_for(role, org)
    for url in (
        "/api/findings/",
        f"/api/findings/{finding.pk}/",
        "/api/milestones/",
        "/api/exceptions/",
        f"/api/exceptions/{exception.pk}/",
    ):
        assert client.get(url).status_code == status, url


def test_approval_is_in_the_audit_trail(make_user, org) -> None:
    from finres.web.audit.models import AuditEvent

    proposer = make_user(Role.CONTROL_OWNER, org)
    approver = make_user(Role.CISO, org)
    exception = make_exception(org, proposed_by=proposer)
    post(login(Client(), approver), f"/api/exceptions/{exception.pk}/approve/", {"note": "ok"})
    event = AuditEvent.objects.filter(
        model="improvements.riskexception", object_id=str(exception.pk), action="update"
    ).last()
    assert event.actor_id == approver.pk
    assert event.changes["status"] == ["proposed", "approved"]
    assert event.changes["approver_id"] == [None, approver.pk]
