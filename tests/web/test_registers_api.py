"""The registers' API: scoped reads and writes, roles, validation, import and export, facts, and
list pages and API lists whose query count does not grow with the register."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from finres.web.orgs.models import Organisation
from finres.web.orgs.roles import Role
from finres.web.registers.models import InformationSystem, Site, Supplier, SupplierReview

pytestmark = pytest.mark.django_db


def test_create_read_update_through_the_api(ciso_client: Client, org: Organisation) -> None:
    site = ciso_client.post(
        "/api/sites/", {"code": "DC1", "name": "Primary", "kind": "primary_data_centre"}
    ).json()
    supplier = ciso_client.post(
        "/api/suppliers/",
        {
            "code": "V1",
            "name": "Vendor",
            "system_access": "core_systems",
            "contract_clauses": ["sbom"],
        },
        content_type="application/json",
    )
    assert supplier.status_code == 201, supplier.json()
    body = supplier.json()
    assert body["tier"] == "critical" and "right_to_audit" in body["missing_clauses"]
    assert "exit_plan" in body["gaps"]
    created = ciso_client.post(
        "/api/systems/",
        {
            "code": "TRADE",
            "name": "Trading",
            "classification": "core",
            "internet_facing": True,
            "sites": [site["id"]],
            "suppliers": [body["id"]],
            "tags": ["trading"],
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    system = created.json()
    assert system["sites"] == [site["id"]] and system["tags"] == ["trading"]
    listed = ciso_client.get("/api/systems/?classification=core&internet_facing=true").json()
    assert [s["code"] for s in listed["results"]] == ["TRADE"]
    found = ciso_client.get(f"/api/systems/?supplier={body['id']}&tag=trading").json()
    assert found["count"] == 1
    requirements = ciso_client.get(f"/api/systems/{system['id']}/requirements/").json()
    refs = {r["ref"] for r in requirements["requirements"]}
    assert {"CC-17010", "CC-20000"} <= refs
    patched = ciso_client.patch(
        f"/api/systems/{system['id']}/", {"hosting": "cloud"}, content_type="application/json"
    )
    assert patched.status_code == 400 and "cloud_provider" in patched.json()
    review = ciso_client.post(
        "/api/supplier-reviews/",
        {
            "supplier": body["id"],
            "kind": "due_diligence",
            "performed_on": "2026-11-01",
            "outcome": "satisfactory",
        },
    )
    assert review.status_code == 201
    assert ciso_client.get(f"/api/suppliers/{body['id']}/").json()["last_review"] == "2026-11-01"


def test_bad_input_is_a_clear_400(ciso_client: Client, org: Organisation) -> None:
    Site.objects.create(organisation=org, code="DC1", name="Primary")
    cases = [
        ("/api/sites/", {"code": "DC1", "name": "Again"}, "code"),
        ("/api/sites/", {"code": "bad code!", "name": "x"}, "code"),
        ("/api/sites/", {"code": "X", "name": "x", "country": "Taiwan"}, "country"),
        ("/api/systems/", {"code": "S", "name": "s", "classification": "vital"}, "classification"),
        ("/api/systems/", {"code": "S", "name": "s", "tags": ["", "x"]}, "tags"),
        ("/api/systems/", {"code": "S", "name": "s", "colour": "red"}, "colour"),
        (
            "/api/suppliers/",
            {"code": "V", "name": "v", "contract_clauses": ["nda"]},
            "contract_clauses",
        ),
        (
            "/api/suppliers/",
            {
                "code": "V",
                "name": "v",
                "contract_start": "2026-02-01",
                "contract_end": "2026-01-01",
            },
            "contract_end",
        ),
    ]
    for url, data, field in cases:
        response = ciso_client.post(url, data, content_type="application/json")
        assert response.status_code == 400, (url, data, response.content)
        assert field in response.json(), (url, data, response.json())
    assert ciso_client.get("/api/systems/?site=99999999999999999999").status_code == 400
    assert ciso_client.get("/api/suppliers/?tier=platinum").status_code == 400


def test_related_objects_of_another_organisation_are_refused(
    ciso_client: Client, org: Organisation, other_org: Organisation
) -> None:
    foreign_site = Site.objects.create(organisation=other_org, code="X", name="Theirs")
    foreign_supplier = Supplier.objects.create(organisation=other_org, code="X", name="Theirs")
    response = ciso_client.post(
        "/api/systems/",
        {"code": "S", "name": "s", "sites": [foreign_site.pk]},
        content_type="application/json",
    )
    assert response.status_code == 400 and "sites" in response.json()
    response = ciso_client.post(
        "/api/supplier-reviews/",
        {
            "supplier": foreign_supplier.pk,
            "kind": "periodic",
            "performed_on": "2026-01-01",
            "outcome": "satisfactory",
        },
    )
    assert response.status_code == 400
    assert ciso_client.get(f"/api/suppliers/{foreign_supplier.pk}/").status_code == 404
    assert ciso_client.get("/api/sites/").json()["count"] == 0


def test_roles_in_the_api(client_for: Any, org: Organisation) -> None:
    system = InformationSystem.objects.create(organisation=org, code="S", name="s")
    auditor = client_for(Role.AUDITOR, org)
    owner = client_for(Role.CONTROL_OWNER, org)
    assert auditor.get("/api/systems/").status_code == 200
    assert auditor.post("/api/sites/", {"code": "A", "name": "a"}).status_code == 403
    assert owner.post("/api/sites/", {"code": "A", "name": "a"}).status_code == 201
    assert owner.delete(f"/api/systems/{system.pk}/").status_code == 403
    upload = io.BytesIO(b"Code,Name\nB,b\n")
    upload.name = "sites.csv"
    assert owner.post("/api/sites/import/", {"file": upload}).status_code == 403
    ciso = client_for(Role.CISO, org)
    assert ciso.delete(f"/api/systems/{system.pk}/").status_code == 204


def test_import_and_export_through_the_api(ciso_client: Client, org: Organisation) -> None:
    upload = io.BytesIO(b"Code,Name,Kind\nB,b,office\nB,c,nowhere\n")
    upload.name = "sites.csv"
    response = ciso_client.post("/api/sites/import/", {"file": upload})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {(e["row"], e["column"]) for e in errors} == {(3, "類型"), (3, "代碼")}
    assert not Site.objects.filter(organisation=org).exists()
    upload = io.BytesIO(b"Code,Name,Kind\nB,b,office\n")
    upload.name = "sites.csv"
    response = ciso_client.post("/api/sites/import/", {"file": upload})
    assert response.status_code == 200 and response.json()["created"] == 1
    exported = ciso_client.get("/api/sites/export/?export_format=csv")
    assert exported.status_code == 200 and b"b" in exported.content
    assert ciso_client.get("/api/sites/export/?export_format=pdf").status_code == 400
    upload = io.BytesIO(b"not a table at all")
    upload.name = "x.xlsx"
    response = ciso_client.post("/api/sites/import/", {"file": upload})
    assert response.status_code == 400
    assert response.json()["errors"][0]["row"] == 0 and not response.json()["applied"]


def test_facts_through_the_api(ciso_client: Client, org: Organisation) -> None:
    assert all(f["value"] is None for f in ciso_client.get("/api/register-facts/").json())
    InformationSystem.objects.create(
        organisation=org, code="E", name="E-trading", classification="core", internet_facing=True
    )
    facts = {f["fact"]: f for f in ciso_client.get("/api/register-facts/").json()}
    internet = facts["internet_facing_core_systems"]
    assert internet["value"] is True and internet["reasons"][0]["code"] == "E"
    assert facts["hybrid_cloud"]["value"] is False


# --- query counts -------------------------------------------------------------------------------


def fill(org: Organisation, systems: int, suppliers: int) -> None:
    sites = Site.objects.bulk_create(
        Site(organisation=org, code=f"DC{i}", name=f"Site {i}") for i in range(3)
    )
    vendors = Supplier.objects.bulk_create(
        Supplier(organisation=org, code=f"V{i:05}", name=f"Vendor {i}", tier="general")
        for i in range(suppliers)
    )
    SupplierReview.objects.bulk_create(
        SupplierReview(
            organisation=org,
            supplier=v,
            kind="periodic",
            performed_on="2026-01-01",
            outcome="satisfactory",
        )
        for v in vendors
    )
    created = InformationSystem.objects.bulk_create(
        InformationSystem(organisation=org, code=f"S{i:05}", name=f"System {i}", tags=["a", "b"])
        for i in range(systems)
    )
    InformationSystem.sites.through.objects.bulk_create(
        InformationSystem.sites.through(informationsystem=s, site=sites[i % 3])
        for i, s in enumerate(created)
    )
    InformationSystem.suppliers.through.objects.bulk_create(
        InformationSystem.suppliers.through(informationsystem=s, supplier=vendors[i % len(vendors)])
        for i, s in enumerate(created)
    )


URLS = (
    "/registers/systems/",
    "/registers/suppliers/",
    "/registers/sites/",
    "/registers/facts/",
    "/api/systems/",
    "/api/suppliers/",
    "/api/supplier-reviews/",
    "/api/register-facts/",
)


def counts(client: Client) -> dict[str, int]:
    found = {}
    for url in URLS:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200, url
        found[url] = len(queries)
    return found


def test_query_counts_do_not_grow_with_the_register(client_for: Any, make_org: Any) -> None:
    small, large = make_org(name="Small"), make_org(name="Large")
    fill(small, systems=60, suppliers=55)
    fill(large, systems=600, suppliers=300)
    small_counts = counts(client_for(Role.CISO, small))
    large_counts = counts(client_for(Role.CISO, large))
    assert small_counts == large_counts
    assert max(large_counts.values()) <= 25, large_counts


def test_an_entry_still_referred_to_is_not_deleted(
    ciso_client: Client, org: Organisation, monkeypatch: Any
) -> None:
    """Later models (e.g. the dependency graph) protect the entries they refer to."""
    from django.db.models import ProtectedError

    site = Site.objects.create(organisation=org, code="DC1", name="Primary")

    def protected(self: Any, *args: Any, **kwargs: Any) -> None:
        raise ProtectedError("referred to", set())

    monkeypatch.setattr(Site, "delete", protected)
    response = ciso_client.delete(f"/api/sites/{site.pk}/")
    assert response.status_code == 400 and "detail" in response.json()
    response = ciso_client.post(f"/registers/sites/{site.pk}/delete/")
    assert response.status_code == 302 and Site.objects.filter(pk=site.pk).exists()


def test_tag_and_search_filters(ciso_client: Client, org: Organisation) -> None:
    InformationSystem.objects.create(organisation=org, code="A", name="Alpha", tags=["核心", "x"])
    InformationSystem.objects.create(organisation=org, code="B", name="Beta", tags=["核心系統"])
    found = ciso_client.get("/api/systems/", {"tag": "核心"}).json()
    assert [s["code"] for s in found["results"]] == ["A"]
    found = ciso_client.get("/api/systems/", {"q": "bet"}).json()
    assert [s["code"] for s in found["results"]] == ["B"]


def test_facts_need_the_view_right(client_for: Any, org: Organisation) -> None:
    assert client_for(Role.BOARD, org).get("/api/register-facts/").status_code == 403
    assert client_for(Role.AUDITOR, org).get("/api/register-facts/").status_code == 200
    assert Client().get("/api/register-facts/").status_code in (401, 403)


def test_an_import_without_a_file_is_a_report_too(ciso_client: Client, org: Organisation) -> None:
    response = ciso_client.post("/api/systems/import/", {})
    assert response.status_code == 400
    body = response.json()
    assert body["applied"] is False and body["errors"][0]["column"] == "file"
