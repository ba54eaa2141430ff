"""Crypto inventory API and imports: filters and strictness, scoping of systems, the plan's
JSON, CBOM import (validated, all or nothing, precise errors) and export (valid against the
official schema), TLS results upload, XLSX/CSV round trip, roles, a bounded number of queries."""

from __future__ import annotations

import io
import json
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from finres.core.crypto import AssetKind, export_cbom
from finres.core.crypto import CryptoAsset as CryptoAsset_
from finres.web.audit.models import AuditEvent
from finres.web.crypto.models import CryptoAsset, SystemCryptoRisk
from finres.web.crypto.services import plan_for
from finres.web.orgs.roles import Role
from finres.web.registers.models import InformationSystem

from ..core.test_crypto_cbom import EVERY_KIND, needs_data, valid
from .test_isolation import world  # noqa: F401  (the fixture: the demo and an outsider)

pytestmark = pytest.mark.django_db


def system(organisation: Any, code: str = "SYS-E") -> InformationSystem:
    return InformationSystem.objects.create(organisation=organisation, code=code, name=code)


def upload(client: Client, url: str, name: str, content: bytes, **extra: Any) -> Any:
    return client.post(url, {"file": SimpleUploadedFile(name, content), **extra})


def test_api_list_filters_and_refuses_what_it_does_not_know(ciso_client: Client, org) -> None:
    CryptoAsset.objects.create(organisation=org, code="a", kind="algorithm", name="AES-128-GCM")
    CryptoAsset.objects.create(organisation=org, code="b", kind="algorithm", name="ML-KEM-768")
    data = ciso_client.get("/api/crypto-assets/?exposure=grover_weakened").json()
    assert [r["code"] for r in data["results"]] == ["a"]
    assert data["results"][0]["exposure_reason"].startswith("AES 128 位元")
    assert ciso_client.get("/api/crypto-assets/?exposure=bad").status_code == 400
    assert ciso_client.get("/api/crypto-assets/?colour=red").status_code == 400
    assert ciso_client.get("/api/crypto-assets/?system=99999999999999999999").status_code == 400
    assert ciso_client.get("/api/crypto-assets/?unassigned=maybe").status_code == 400


def test_api_create_is_scoped_and_strict(ciso_client: Client, org, other_org) -> None:
    mine, theirs = system(org), system(other_org, "THEIRS")
    body = {"code": "k1", "kind": "key", "name": "RSA-2048", "system": mine.pk}
    response = ciso_client.post("/api/crypto-assets/", body, content_type="application/json")
    assert response.status_code == 201, response.json()
    assert response.json()["exposure"] == "quantum_vulnerable"
    again = ciso_client.post("/api/crypto-assets/", body, content_type="application/json")
    assert again.status_code == 400 and "code" in again.json()
    foreign = ciso_client.post(
        "/api/crypto-assets/",
        {**body, "code": "k2", "system": theirs.pk},
        content_type="application/json",
    )
    assert foreign.status_code == 400 and "system" in foreign.json()
    extra = ciso_client.post(
        "/api/crypto-assets/", {**body, "code": "k3", "colour": 1}, content_type="application/json"
    )
    assert extra.status_code == 400 and "colour" in extra.json()
    bad_kind = ciso_client.post(
        "/api/crypto-assets/",
        {**body, "code": "k4", "kind": "toy"},
        content_type="application/json",
    )
    assert bad_kind.status_code == 400
    assert CryptoAsset.objects.filter(organisation=org).count() == 1


def test_api_risks_and_plan(ciso_client: Client, org) -> None:
    mine = system(org)
    response = ciso_client.post(
        "/api/crypto-risks/",
        {"system": mine.pk, "data_secrecy_years": 20, "migration_years": 5, "business_impact": 5},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    twice = ciso_client.post(
        "/api/crypto-risks/", {"system": mine.pk}, content_type="application/json"
    )
    assert twice.status_code == 400
    out_of_scale = ciso_client.patch(
        f"/api/crypto-risks/{response.json()['id']}/",
        {"business_impact": 6},
        content_type="application/json",
    )
    assert out_of_scale.status_code == 400
    plan = ciso_client.get("/api/crypto-plan/").json()
    assert plan["plan"][0]["system"] == "SYS-E" and plan["plan"][0]["at_risk_now"] is True
    assert plan == plan_for(org)
    assert ciso_client.get("/api/crypto-plan/?x=1").status_code == 400


@needs_data
def test_cbom_export_is_valid_and_imports_back(ciso_client: Client, org) -> None:
    system(org)
    response = upload(
        ciso_client,
        "/crypto/cbom/import/",
        "cbom.json",
        json.dumps(export_cbom(EVERY_KIND)).encode(),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert CryptoAsset.objects.filter(organisation=org).count() == len(EVERY_KIND)
    assert CryptoAsset.objects.get(organisation=org, code="c").system.code == "SYS-E"
    assert AuditEvent.objects.filter(model="crypto.cryptoasset", action="import").exists()
    exported = ciso_client.get("/crypto/cbom/export/")
    document = json.loads(exported.content)
    assert valid(document) == []
    assert {c["bom-ref"] for c in document["components"]} == {a.id for a in EVERY_KIND}
    cbom = ciso_client.get("/api/crypto-assets/cbom/")
    assert cbom["Content-Type"] == "application/vnd.cyclonedx+json"
    assert json.loads(cbom.content)["specVersion"] == "1.6"
    again = upload(ciso_client, "/crypto/cbom/import/", "cbom.json", exported.content)
    assert again.status_code == 302
    assert CryptoAsset.objects.filter(organisation=org).count() == len(EVERY_KIND)


def test_a_bad_cbom_imports_nothing_and_says_where(ciso_client: Client, org) -> None:
    system(org)
    document = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "components": [
            {
                "type": "cryptographic-asset",
                "name": "ok",
                "cryptoProperties": {"assetType": "algorithm"},
            },
            {
                "type": "cryptographic-asset",
                "name": "bad",
                "cryptoProperties": {
                    "assetType": "algorithm",
                    "algorithmProperties": {"mode": "sideways"},
                },
            },
        ],
    }
    response = upload(
        ciso_client, "/crypto/cbom/import/", "bad.json", json.dumps(document).encode()
    )
    assert response.status_code == 400
    assert "components[1].cryptoProperties.algorithmProperties.mode" in response.content.decode()
    stray = CryptoAsset_("z", AssetKind.CERTIFICATE, "CN=z", system="NOT-IN-REGISTER")
    unknown_system = export_cbom([EVERY_KIND[0], stray])
    response = upload(
        ciso_client,
        "/api/crypto-assets/cbom-import/",
        "u.json",
        json.dumps(unknown_system).encode(),
    )
    assert response.status_code == 400
    assert response.json()["applied"] is False
    assert "NOT-IN-REGISTER" in response.json()["errors"][0]
    response = upload(ciso_client, "/crypto/cbom/import/", "x.json", b"{not json")
    assert response.status_code == 400 and "line 1" in response.content.decode()
    assert CryptoAsset.objects.filter(organisation=org).count() == 0


def test_tls_results_upload_into_a_system(ciso_client: Client, org) -> None:
    target = system(org, "SYS-GW")
    result = {
        "target": "gw:443",
        "protocols": {"TLSv1.2": True, "TLSv1.3": True},
        "cipher_suites": {},
        "groups": ["x25519", "X25519MLKEM768"],
        "certificate": {
            "subject": "CN=gw",
            "key_type": "EC",
            "key_size": 256,
            "signature_algorithm": "ecdsa-with-SHA256",
            "not_after": "2027-01-01",
        },
    }
    response = upload(
        ciso_client,
        "/crypto/cbom/import/",
        "tls.json",
        json.dumps([result]).encode(),
        system=target.pk,
    )
    assert response.status_code == 302
    found = CryptoAsset.objects.filter(organisation=org)
    assert found.count() == 5 and {a.system_id for a in found} == {target.pk}
    assert {a.source for a in found} == {"tls"}
    assert found.get(name="X25519MLKEM768").exposure == "quantum_safe"


def test_only_a_manager_imports(client_for, org) -> None:
    owner = client_for(Role.CONTROL_OWNER, org)
    body = json.dumps(export_cbom(EVERY_KIND[:1])).encode()
    assert upload(owner, "/crypto/cbom/import/", "c.json", body).status_code == 403
    assert upload(owner, "/api/crypto-assets/cbom-import/", "c.json", body).status_code == 403
    assert upload(owner, "/crypto/import/", "c.csv", b"code\n").status_code == 403
    assert owner.get("/crypto/cbom/export/").status_code == 200
    board = client_for(Role.BOARD, org)
    assert board.get("/crypto/").status_code == 403
    assert board.get("/api/crypto-plan/").status_code == 403


def test_table_export_and_import_round_trip(ciso_client: Client, org) -> None:
    mine = system(org)
    CryptoAsset.objects.create(
        organisation=org,
        code="a1",
        kind="certificate",
        name="CN=a",
        family="RSA",
        key_size=2048,
        system=mine,
        pqc_capable=None,
    )
    CryptoAsset.objects.create(
        organisation=org, code="h1", kind="hsm", name="HSM", pqc_capable=False
    )
    content = ciso_client.get("/crypto/export/?format=xlsx").content
    book = openpyxl.load_workbook(io.BytesIO(content))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][0] == "代碼" and len(rows) == 3
    response = upload(ciso_client, "/crypto/import/", "assets.xlsx", content)
    assert response.status_code == 302
    csv = ciso_client.get("/crypto/export/?format=csv").content
    changed = csv.replace(b"CN=a", b"CN=b")
    response = upload(ciso_client, "/crypto/import/", "assets.csv", changed)
    assert response.status_code == 302
    assert CryptoAsset.objects.get(code="a1").name == "CN=b"
    assert CryptoAsset.objects.get(code="h1").pqc_capable is False
    assert CryptoAsset.objects.get(code="a1").pqc_capable is None


def test_a_bad_table_imports_nothing_and_names_each_problem(ciso_client: Client, org) -> None:
    system(org)
    text = (
        b"code,kind,name,system,key_size,pqc_capable\n"
        b"n1,key,RSA-2048,SYS-E,2048,\n"
        b"n2,gadget,x,,,\n"
        b"n3,key,y,NOWHERE,abc,perhaps\n"
        b"n1,key,dup,,,\n"
    )
    response = upload(ciso_client, "/crypto/import/", "bad.csv", text)
    assert response.status_code == 400
    body = response.content.decode()
    for fragment in ("gadget", "NOWHERE", "abc", "perhaps", "data-import-errors"):
        assert fragment in body.lower() or fragment in body
    assert CryptoAsset.objects.filter(organisation=org).count() == 0
    api = upload(ciso_client, "/api/crypto-assets/import/", "bad.csv", text).json()
    assert api["applied"] is False and {e["row"] for e in api["errors"]} == {3, 4, 5}
    assert upload(ciso_client, "/crypto/import/", "f.csv", b"=1+1,kind\n").status_code == 400


def test_the_list_and_the_api_take_a_bounded_number_of_queries(
    ciso_client: Client, org, django_assert_max_num_queries
) -> None:
    systems = [system(org, f"S{i}") for i in range(5)]
    for i in range(60):
        CryptoAsset.objects.create(
            organisation=org, code=f"a{i:03}", kind="group", name="x25519", system=systems[i % 5]
        )
    for s in systems:
        SystemCryptoRisk.objects.create(
            organisation=org, system=s, data_secrecy_years=5, migration_years=2
        )
    with django_assert_max_num_queries(25):
        assert ciso_client.get("/crypto/").status_code == 200
    with django_assert_max_num_queries(25):
        assert ciso_client.get("/api/crypto-assets/").status_code == 200
    with django_assert_max_num_queries(25):
        assert ciso_client.get("/crypto/plan/").status_code == 200


def test_another_organisations_objects_stay_out_of_reach(
    ciso_client: Client, org, other_org
) -> None:
    theirs = system(other_org, "SYS-THEIRS")
    their_asset = CryptoAsset.objects.create(
        organisation=other_org, code="t", kind="key", name="RSA-2048", system=theirs
    )
    their_risk = SystemCryptoRisk.objects.create(organisation=other_org, system=theirs)
    for url in (
        f"/crypto/assets/{their_asset.pk}/",
        f"/crypto/assets/{their_asset.pk}/edit/",
        f"/crypto/systems/{theirs.pk}/risk/",
        f"/api/crypto-assets/{their_asset.pk}/",
        f"/api/crypto-risks/{their_risk.pk}/",
    ):
        assert ciso_client.get(url).status_code == 404, url
    assert ciso_client.post(f"/crypto/systems/{theirs.pk}/risk/", {}).status_code == 404
    assert ciso_client.post(f"/crypto/assets/{their_asset.pk}/delete/").status_code == 404
    # a CBOM naming the other organisation's system code is refused: codes are per organisation
    stray = CryptoAsset_("z", AssetKind.KEY, "RSA-2048", system="SYS-THEIRS")
    response = upload(
        ciso_client,
        "/api/crypto-assets/cbom-import/",
        "c.json",
        json.dumps(export_cbom([stray])).encode(),
    )
    assert response.status_code == 400 and "SYS-THEIRS" in response.json()["errors"][0]
    assert ciso_client.get("/api/crypto-assets/").json()["count"] == 0
    assert ciso_client.get("/api/crypto-plan/").json()["plan"] == []
    assert b"SYS-THEIRS" not in ciso_client.get("/crypto/cbom/export/").content


def test_every_crypto_route_keeps_to_its_organisation(world: dict[str, Any]) -> None:  # noqa: F811
    """The isolation walk of test_isolation, on the crypto routes only (quick to run alone)."""
    from .conftest import login
    from .test_isolation import fill, params, routes

    client = login(Client(), world["user"])
    crypto = [(t, n) for t, n in routes() if t.startswith(("crypto/", "api/crypto"))]
    assert len(crypto) >= 12
    leaks = []
    for template, name in crypto:
        if not params(template):
            continue
        for label, pk in world["samples"].items():
            url = fill(template, pk)
            for method in ("get", "post", "put", "patch", "delete"):
                response = getattr(client, method)(url, content_type="application/json")
                if response.status_code not in (400, 403, 404, 405):
                    leaks.append(f"{method} {url} ({name}, {label}) {response.status_code}")
    assert leaks == []
    victim_titles = list(
        CryptoAsset.objects.filter(organisation=world["victim"]).values_list("name", flat=True)
    )
    assert victim_titles
    for template, _name in crypto:
        if params(template):
            continue
        body = client.get("/" + template.replace("\\", "")).content.decode(errors="replace")
        assert not [t for t in victim_titles if len(t) > 6 and t in body], template


def test_an_ssh_check_result_fills_the_inventory_of_a_system(ciso_client: Client, org) -> None:
    from finres.core.checks.ssh import scan

    from ..checks.ssh_servers import ssh_server

    admin = InformationSystem.objects.create(organisation=org, code="SYS-ADM", name="Jump host")
    with ssh_server() as port:
        result = scan("127.0.0.1", port)
    response = upload(
        ciso_client,
        "/crypto/cbom/import/",
        "ssh.json",
        json.dumps(result).encode(),
        system=admin.pk,
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    saved = CryptoAsset.objects.filter(organisation=org, system=admin)
    assert set(saved.values_list("source", flat=True)) == {"ssh"}
    hybrid = saved.get(name="mlkem768x25519-sha256")
    assert hybrid.exposure == "quantum_safe" and hybrid.kind == "group"
    assert saved.get(name="rsa-sha2-512").exposure == "quantum_vulnerable"
