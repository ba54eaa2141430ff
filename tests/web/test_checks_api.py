"""TLS checks API: targets CRUD (strict, scoped, validated), runs with the stored JSON of
``finres check tls``, starting a check (202 → job → run) against a real loopback server, roles
and isolation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from finres.web.checks import services
from finres.web.checks.models import TlsRun, TlsTarget
from finres.web.jobs.models import Job
from finres.web.orgs.roles import Role
from finres.web.registers.models import InformationSystem

from ..checks.test_tls import GOOD
from ..checks.tls_servers import certificate, free_port, openssl_server

pytestmark = pytest.mark.django_db


def post(client: Client, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, body or {}, content_type="application/json")


def test_targets_are_created_scoped_strict_and_validated(
    ciso_client: Client, org, other_org
) -> None:
    mine = InformationSystem.objects.create(organisation=org, code="GW", name="Gateway")
    theirs = InformationSystem.objects.create(organisation=other_org, code="T", name="Theirs")
    body = {"host": "Trade.Example.com.TW", "port": 443, "system": mine.pk, "schedule_days": 7}
    response = post(ciso_client, "/api/tls-targets/", body)
    assert response.status_code == 201, response.json()
    assert response.json()["host"] == "trade.example.com.tw"
    assert post(ciso_client, "/api/tls-targets/", body).status_code == 400  # the same endpoint
    for bad in (
        {"host": "https://x.example/", "port": 443},
        {"host": "x.example", "port": 0},
        {"host": "x.example", "port": 443, "system": theirs.pk},
        {"host": "x.example", "port": 443, "colour": "red"},
        {"host": "x.example", "port": 443, "schedule_days": 0},
    ):
        assert post(ciso_client, "/api/tls-targets/", bad).status_code == 400, bad
    assert TlsTarget.objects.filter(organisation=org).count() == 1
    found = ciso_client.get("/api/tls-targets/").json()
    assert [t["host"] for t in found["results"]] == ["trade.example.com.tw"]


def test_start_a_run_returns_the_job_and_the_run_keeps_the_contract(
    ciso_client: Client, org, tmp_path: Path
) -> None:
    cert = certificate(tmp_path, "good")
    with openssl_server(*cert, *GOOD) as port:
        created = post(
            ciso_client,
            "/api/tls-targets/",
            {"host": "127.0.0.1", "port": port, "server_name": "localhost"},
        ).json()
        response = post(ciso_client, f"/api/tls-targets/{created['id']}/run/")
    assert response.status_code == 202
    job = response.json()
    assert response["Location"] == f"/api/jobs/{job['id']}/"
    assert job["state"] == Job.State.SUCCEEDED  # the test settings run jobs at once
    run_id = job["result"]["runs"][0]
    runs = ciso_client.get("/api/tls-runs/").json()["results"]
    assert [r["id"] for r in runs] == [run_id] and "result" not in runs[0]
    target_id = created["id"]
    assert ciso_client.get(f"/api/tls-runs/?target={target_id}&status=ok").json()["count"] == 1
    assert ciso_client.get("/api/tls-runs/?status=error").json()["count"] == 0
    assert ciso_client.get("/api/tls-runs/?status=maybe").status_code == 400
    assert ciso_client.get("/api/tls-runs/?colour=red").status_code == 400
    detail = ciso_client.get(f"/api/tls-runs/{run_id}/").json()
    assert detail["status"] == "ok" and detail["result"]["target"] == f"127.0.0.1:{port}"
    assert set(detail["result"]) >= {
        "protocols",
        "cipher_suites",
        "groups",
        "certificate",
        "findings",
    }
    outcomes = {o["requirement"]: o["status"] for o in detail["outcomes"]}
    assert outcomes["art-34-1"] == "pass" and outcomes["art-34-4"] == "needs_evidence"


def test_run_all_checks_every_enabled_target_and_reports_unreachable_ones(
    ciso_client: Client, org
) -> None:
    assert post(ciso_client, "/api/tls-targets/run-all/").status_code == 400  # nothing to check
    closed = TlsTarget.objects.create(organisation=org, host="127.0.0.1", port=free_port())
    TlsTarget.objects.create(organisation=org, host="127.0.0.1", port=free_port(), enabled=False)
    response = post(ciso_client, "/api/tls-targets/run-all/")
    assert response.status_code == 202
    runs = TlsRun.objects.filter(organisation=org)
    assert [(r.target_id, r.status) for r in runs] == [(closed.pk, "error")]
    assert "could not be reached" in runs[0].error or "無法連線" in runs[0].error


def test_roles_and_isolation(client_for, org, other_org) -> None:
    mine = TlsTarget.objects.create(organisation=org, host="a.example", port=443)
    theirs = TlsTarget.objects.create(organisation=other_org, host="b.example", port=443)
    run = TlsRun.objects.create(
        organisation=other_org, target=theirs, started=theirs.created, status="error"
    )
    auditor = client_for(Role.AUDITOR, org)
    owner = client_for(Role.CONTROL_OWNER, org)
    assert auditor.get(f"/api/tls-targets/{mine.pk}/").status_code == 200
    assert post(auditor, f"/api/tls-targets/{mine.pk}/run/").status_code == 403
    assert post(auditor, "/api/tls-targets/", {"host": "c.example", "port": 443}).status_code == 403
    assert owner.delete(f"/api/tls-targets/{mine.pk}/").status_code == 403  # manage only
    assert client_for(Role.BOARD, org).get("/api/tls-targets/").status_code == 403
    # another organisation's target is not found, and never scanned
    assert post(owner, f"/api/tls-targets/{theirs.pk}/run/").status_code == 404
    assert owner.get(f"/api/tls-runs/{run.pk}/").status_code == 404
    assert not Job.objects.filter(organisation=org).exists()
    ciso = client_for(Role.CISO, org)
    assert ciso.delete(f"/api/tls-targets/{mine.pk}/").status_code == 204
    assert services.dashboard_numbers(org)["targets"] == 0
