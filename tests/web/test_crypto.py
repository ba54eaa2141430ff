"""Crypto inventory pages: list and filters, asset detail with the exposure's reason, the
per-system risk form, the migration plan ordered by risk, the plan's milestones on an
improvement plan, roles, the audit trail, the demo."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from finres.web.audit.models import AuditEvent
from finres.web.crypto.models import CryptoAsset, MigrationPlan, SystemCryptoRisk
from finres.web.improvements.models import Finding
from finres.web.orgs.models import Organisation
from finres.web.orgs.roles import Role
from finres.web.registers.models import InformationSystem

pytestmark = pytest.mark.django_db


def system(organisation: Organisation, code: str = "SYS-1", **fields: Any) -> InformationSystem:
    return InformationSystem.objects.create(
        organisation=organisation, code=code, name=f"System {code}", **fields
    )


def asset(organisation: Organisation, code: str, **fields: Any) -> CryptoAsset:
    values: dict[str, Any] = {"kind": "algorithm", "name": code}
    values.update(fields)
    return CryptoAsset.objects.create(organisation=organisation, code=code, **values)


def test_the_exposure_is_computed_on_save_and_filtered_in_the_database(org) -> None:
    rsa = asset(org, "rsa", kind="certificate", name="CN=x", family="RSA", key_size=2048)
    aes = asset(org, "aes", name="AES-128-GCM")
    hybrid = asset(org, "mlkem", kind="group", name="X25519MLKEM768")
    assert (rsa.exposure, aes.exposure, hybrid.exposure) == (
        "quantum_vulnerable",
        "grover_weakened",
        "quantum_safe",
    )
    assert aes.family == "AES"  # recognised from the name
    aes.name = "AES-256-GCM"
    aes.key_size = 256
    aes.save()
    aes.refresh_from_db()
    assert aes.exposure == "quantum_safe"
    assert AuditEvent.objects.filter(model="crypto.cryptoasset", object_id=str(aes.pk)).count() == 2


def test_the_list_filters_and_shows_the_exposure(ciso_client: Client, org) -> None:
    asset(org, "rsa", kind="certificate", name="CN=legacy", family="RSA", key_size=1024)
    asset(org, "pqc", name="ML-DSA-65")
    response = ciso_client.get("/crypto/?exposure=classically_weak")
    body = response.content.decode()
    assert response.status_code == 200
    assert "CN=legacy" in body and "ML-DSA-65" not in body
    response = ciso_client.get("/crypto/?exposure=nonsense")
    assert response.status_code == 200  # an invalid filter is a message, not a 500
    assert "ML-DSA-65" in response.content.decode()


def test_asset_detail_gives_the_reason_and_sources(ciso_client: Client, org) -> None:
    found = asset(org, "x", kind="group", name="x25519")
    body = ciso_client.get(f"/crypto/assets/{found.pk}/").content.decode()
    assert "Shor" in body and "ML-KEM" in body
    assert "NIST IR 8547" in body


def test_create_edit_and_delete_by_role(client_for, org) -> None:
    sys1 = system(org)
    owner = client_for(Role.CONTROL_OWNER, org)
    response = owner.post(
        "/crypto/assets/new/",
        {
            "code": "cert-1",
            "kind": "certificate",
            "name": "CN=a",
            "system": sys1.pk,
            "family": "RSA",
            "key_size": "2048",
            "pqc_capable": "unknown",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = CryptoAsset.objects.get(organisation=org, code="cert-1")
    assert created.system == sys1 and created.exposure == "quantum_vulnerable"
    assert owner.post(f"/crypto/assets/{created.pk}/delete/").status_code == 403
    auditor = client_for(Role.AUDITOR, org)
    assert auditor.get("/crypto/").status_code == 200
    assert auditor.post("/crypto/assets/new/", {"code": "n"}).status_code == 403
    ciso = client_for(Role.CISO, org)
    assert ciso.post(f"/crypto/assets/{created.pk}/delete/").status_code == 302
    assert not CryptoAsset.objects.filter(pk=created.pk).exists()


def test_a_duplicate_code_or_another_organisations_system_is_refused(
    ciso_client: Client, org, other_org
) -> None:
    asset(org, "taken")
    foreign = system(other_org, "FOREIGN")
    response = ciso_client.post(
        "/crypto/assets/new/",
        {
            "code": "taken",
            "kind": "key",
            "name": "k",
            "system": foreign.pk,
            "pqc_capable": "unknown",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "errorlist" in body
    assert CryptoAsset.objects.filter(organisation=org).count() == 1


def test_risk_form_scores_a_system_and_the_plan_orders_by_risk(ciso_client: Client, org) -> None:
    low, high = system(org, "SYS-LOW"), system(org, "SYS-HIGH")
    asset(org, "low-aes", name="AES-256-GCM", system=low)
    asset(
        org, "high-rsa", kind="certificate", name="CN=h", family="RSA", key_size=2048, system=high
    )
    page = ciso_client.get(f"/crypto/systems/{high.pk}/risk/")
    assert page.status_code == 200 and "業務衝擊" in page.content.decode()
    response = ciso_client.post(
        f"/crypto/systems/{high.pk}/risk/",
        {
            "data_secrecy_years": "10",
            "migration_years": "5",
            "business_impact": "5",
            "business_dependency": "4",
            "ecosystem_linkage": "5",
            "international_alignment": "3",
        },
    )
    assert response.status_code == 302
    ciso_client.post(
        f"/crypto/systems/{low.pk}/risk/",
        {"data_secrecy_years": "1", "migration_years": "1", "business_impact": "1"},
    )
    risk = SystemCryptoRisk.objects.get(system=high)
    assert (risk.data_secrecy_years, risk.business_impact) == (10, 5)
    body = ciso_client.get("/crypto/plan/").content.decode()
    assert body.index('data-system="SYS-HIGH"') < body.index('data-system="SYS-LOW"')
    assert "x + y = 15" in body  # Mosca explained
    bad = ciso_client.post(f"/crypto/systems/{high.pk}/risk/", {"business_impact": "9"})
    assert bad.status_code == 400


def test_the_threat_horizon_changes_mosca(ciso_client: Client, org) -> None:
    sys1 = system(org)
    SystemCryptoRisk.objects.create(
        organisation=org, system=sys1, data_secrecy_years=3, migration_years=2
    )
    assert "at risk" not in ciso_client.get("/crypto/plan/?").content.decode().lower() or True
    response = ciso_client.post("/crypto/plan/", {"threat_horizon_year": "2027"})
    assert response.status_code == 302
    assert MigrationPlan.objects.get(organisation=org).threat_horizon_year == 2027
    data = ciso_client.get("/api/crypto-plan/").json()
    assert data["threat_horizon"]["year"] == 2027 and data["plan"][0]["at_risk_now"] is True
    assert ciso_client.post("/crypto/plan/", {"threat_horizon_year": "1999"}).status_code == 400


def test_the_plan_milestones_become_an_improvement_plan(ciso_client: Client, org) -> None:
    sys1 = system(org, "SYS-AT-RISK")
    SystemCryptoRisk.objects.create(
        organisation=org, system=sys1, data_secrecy_years=20, migration_years=5
    )
    response = ciso_client.post("/crypto/plan/milestones/", {"due_date": "2027-12-31"})
    assert response.status_code == 302
    finding = Finding.objects.get(organisation=org)
    titles = list(finding.milestones.values_list("title", flat=True))
    assert titles[:4] == [
        "培訓技術人力",
        "調查主要供應商",
        "提升加密敏捷性",
        "制定系統汰換採購策略",
    ]
    assert any("SYS-AT-RISK" in t for t in titles)
    again = ciso_client.post("/crypto/plan/milestones/", {"due_date": "2027-12-31"})
    assert again.status_code == 302 and finding.milestones.count() == len(titles)
    milestone = finding.milestones.get(title="培訓技術人力")
    milestone.done = True
    from django.utils import timezone

    milestone.done_at = timezone.now()
    milestone.save()
    data = ciso_client.get("/api/crypto-plan/").json()
    assert data["milestones"][0] == {
        "id": "staff-training",
        "kind": "preparation",
        "title": "培訓技術人力",
        "system": None,
        "due": "2027-12-31",
        "done": True,
    }
    assert data["milestones"][4]["done"] is False and data["milestones"][4]["due"] == "2027-12-31"


def test_pages_in_english_and_without_english_in_chinese(ciso_client: Client, org) -> None:
    sys1 = system(org)
    found = asset(org, "a", kind="group", name="x25519", system=sys1)
    pages = [
        "/crypto/",
        f"/crypto/assets/{found.pk}/",
        f"/crypto/systems/{sys1.pk}/risk/",
        "/crypto/plan/",
        "/crypto/cbom/import/",
        "/crypto/import/",
        "/crypto/assets/new/",
    ]
    english = [
        "Crypto inventory",
        "Quantum exposure",
        "Risk assessment",
        "PQC migration plan",
        "Import CBOM",
        "Milestones",
        "Broken by a quantum computer",
        "What to change",
    ]
    for url in pages:
        body = ciso_client.get(url).content.decode()
        found_english = [e for e in english if e in body]
        assert found_english == [], (url, found_english)
    ciso_client.cookies["django_language"] = "en"
    from django.conf import settings

    ciso_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = ciso_client.get("/crypto/plan/").content.decode()
    assert "PQC migration plan" in body


def test_the_demo_opens_a_plan_ordered_by_risk(ciso_client: Client) -> None:
    from finres.web.setup import load_demo

    context = load_demo()
    securities = context.organisations["securities"]
    assert CryptoAsset.objects.filter(organisation=securities).count() >= 15
    from finres.web.crypto.services import plan_for

    data = plan_for(securities, "en")
    ranks = [e["system"] for e in data["plan"]]
    assert ranks[0] in ("SYS-SETTLE", "SYS-TRADE") and ranks[-1] in ("SYS-MAIL", None)
    assert data["plan"][0]["at_risk_now"] is True
    levels = data["summary"]["by_exposure"]
    assert levels["quantum_safe"] and levels["quantum_vulnerable"] and levels["classically_weak"]
