"""SBOM API: upload (multipart) → job (202) → results; list and retrieve with components and
vulnerabilities; scoping of systems and suppliers; roles; another organisation's SBOM is 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from finres.web.orgs.roles import Role
from finres.web.registers.models import Supplier
from finres.web.sbom import services
from finres.web.sbom.models import Sbom

from .test_sbom import (  # noqa: F401
    KEV,
    KEYCLOAK,
    SPDX,
    ZEPPELIN,
    needs_data,
    no_advisories,
    system,
    use_advisories,
)

pytestmark = pytest.mark.django_db


def post_upload(client: Client, path: Any, **fields: Any) -> Any:
    body = {"file": SimpleUploadedFile(path.name, path.read_bytes()), **fields}
    return client.post("/api/sboms/upload/", body)


@needs_data
def test_upload_starts_a_job_whose_result_names_the_sbom(
    ciso_client: Client, org: Any, settings: Any
) -> None:
    use_advisories(settings, ZEPPELIN)
    iam = system(org)
    vendor = Supplier.objects.create(organisation=org, code="SUP-X", name="Vendor X")
    response = post_upload(ciso_client, KEYCLOAK, system=iam.pk, supplier=vendor.pk)
    assert response.status_code == 202, response.content
    job = ciso_client.get(response["Location"]).json()
    assert job["state"] == "succeeded" and job["kind"] == "sbom.import"
    pk = job["result"]["sbom"]
    assert job["result"]["kev_components"] >= 1 and job["result"]["new_findings"] > 0
    listed = ciso_client.get("/api/sboms/").json()
    assert [r["id"] for r in listed["results"]] == [pk]
    assert (
        listed["results"][0]["component_count"] == 903 and "components" not in listed["results"][0]
    )
    detail = ciso_client.get(f"/api/sboms/{pk}/").json()
    assert detail["supplier"] == vendor.pk and len(detail["components"]) == 903
    tomcat = [c for c in detail["components"] if c["name"] == "tomcat-embed-core"]
    kev = [v for c in tomcat for v in c["vulnerabilities"] if v["kev"]]
    assert any(v["advisory_id"] == "GHSA-c9hw-wf7x-jp9j" and v["finding"] for v in kev)
    assert tomcat[0]["vulnerabilities"][0]["kev"]  # KEV-listed first


@needs_data
def test_a_bad_file_fails_the_job_with_the_reason(ciso_client: Client, org: Any) -> None:
    response = ciso_client.post(
        "/api/sboms/upload/",
        {"file": SimpleUploadedFile("x.json", b"{}"), "system": system(org).pk},
    )
    assert response.status_code == 202
    job = ciso_client.get(response["Location"]).json()
    assert job["state"] == "failed" and "x.json" in job["error"]
    assert not Sbom.objects.exists()


@needs_data
def test_systems_and_suppliers_of_another_organisation_are_refused(
    ciso_client: Client, org: Any, other_org: Any
) -> None:
    theirs = system(other_org, "THEIRS")
    assert post_upload(ciso_client, SPDX, system=theirs.pk).status_code == 400
    supplier = Supplier.objects.create(organisation=other_org, code="SUP-T", name="Theirs")
    response = post_upload(ciso_client, SPDX, system=system(org).pk, supplier=supplier.pk)
    assert response.status_code == 400
    assert (
        post_upload(ciso_client, SPDX, system=system(org, "S2").pk, colour="red").status_code == 400
    )
    assert not Sbom.objects.exists()


@needs_data
def test_roles_and_isolation(client_for: Any, org: Any, other_org: Any) -> None:
    mine = services.import_sbom(org, SPDX.read_bytes(), file_name="a.spdx.json", system=system(org))
    theirs = services.import_sbom(
        other_org, SPDX.read_bytes(), file_name="b.spdx.json", system=system(other_org)
    )
    auditor = client_for(Role.AUDITOR, org)
    assert auditor.get(f"/api/sboms/{mine.pk}/").status_code == 200
    assert auditor.get(f"/api/sboms/{theirs.pk}/").status_code == 404
    assert [r["id"] for r in auditor.get("/api/sboms/").json()["results"]] == [mine.pk]
    assert post_upload(auditor, SPDX, system=mine.system_id).status_code == 403
    assert auditor.post("/api/sboms/rematch/").status_code == 403
    assert auditor.delete(f"/api/sboms/{mine.pk}/").status_code in (403, 405)
    ciso = client_for(Role.CISO, org)
    assert ciso.delete(f"/api/sboms/{mine.pk}/").status_code == 405
    assert ciso.post("/api/sboms/", {}).status_code in (403, 405)
    assert Sbom.objects.filter(organisation=org).count() == 1


def test_rematch_without_advisory_data_fails_with_a_reason(ciso_client: Client) -> None:
    response = ciso_client.post("/api/sboms/rematch/")
    assert response.status_code == 202
    job = ciso_client.get(response["Location"]).json()
    assert job["state"] == "failed" and job["error"]
