"""The evidence API: the same checks, scoping and rules as the pages."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from finres.web.evidence import services, xlsx
from finres.web.evidence.models import Evidence, EvidenceLink
from finres.web.orgs.roles import Role

from . import test_evidence as shared
from .test_evidence import PDF_BYTES, make_assessment, make_file_evidence, stored_files

# The shared fixtures: English messages, and clients that ask for English pages.
english = shared.english
client_for = shared.client_for

pytestmark = pytest.mark.django_db

BASE = "/api/evidence/"
LINKS = "/api/evidence-links/"


def test_upload_through_the_api_applies_the_same_checks(client_for: Any, org: Any) -> None:
    client = client_for(Role.CONTROL_OWNER, org)
    result = make_assessment(org, limit=1).results.get()
    response = client.post(
        BASE,
        {
            "title": "Penetration test",
            "file": SimpleUploadedFile("pt.pdf", PDF_BYTES),
            "expiry_date": "2027-03-31",
            "results": [result.pk],
        },
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["sha256"] == hashlib.sha256(PDF_BYTES).hexdigest()
    assert data["content_type"] == "application/pdf"
    assert data["size"] == len(PDF_BYTES)
    assert data["link_count"] == 1
    assert data["review_state"] == "pending"
    assert "file" not in data  # never a storage path or media URL
    disguised = client.post(
        BASE,
        {"title": "x", "file": SimpleUploadedFile("x.pdf", b"MZ\x90\x00" + b"\x00" * 64)},
    )
    assert disguised.status_code == 400
    assert "Windows executable" in str(disguised.json()["file"])
    neither = client.post(BASE, {"title": "x"})
    assert neither.status_code == 400
    bad_link = client.post(BASE, {"title": "x", "url": "javascript:alert(1)"}, format="json")
    assert bad_link.status_code == 400 and "url" in bad_link.json()
    link = client.post(
        BASE, {"title": "Cert", "url": "https://example.org/cert"}, content_type="application/json"
    )
    assert link.status_code == 201 and link.json()["kind"] == "link"


def test_api_list_filters_and_is_scoped(client_for: Any, org: Any, other_org: Any) -> None:
    today = dt.date.today()
    make_file_evidence(org, title="mine-expired", expiry_date=today - dt.timedelta(days=1))
    make_file_evidence(org, title="mine-soon", expiry_date=today + dt.timedelta(days=5))
    make_file_evidence(other_org, title="theirs", expiry_date=today - dt.timedelta(days=1))
    client = client_for(Role.AUDITOR, org)
    titles = {e["title"] for e in client.get(BASE).json()["results"]}
    assert titles == {"mine-expired", "mine-soon"}
    assert [e["title"] for e in client.get(BASE, {"expired": "true"}).json()["results"]] == [
        "mine-expired"
    ]
    assert [e["title"] for e in client.get(BASE, {"expiring": 30}).json()["results"]] == [
        "mine-soon"
    ]
    assert client.get(BASE, {"unlinked": "1"}).json()["count"] == 2


def test_api_objects_of_another_organisation_are_not_found(
    client_for: Any, org: Any, other_org: Any
) -> None:
    evidence = make_file_evidence(other_org)
    result = make_assessment(other_org, limit=1).results.get()
    link = services.link(evidence, result, None)
    client = client_for(Role.ADMINISTRATOR, org)
    for path in ("", "download/"):
        assert client.get(f"{BASE}{evidence.pk}/{path}").status_code == 404
    assert (
        client.patch(
            f"{BASE}{evidence.pk}/", {"title": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert client.delete(f"{BASE}{evidence.pk}/").status_code == 404
    assert client.post(f"{BASE}{evidence.pk}/review/", {"decision": "approved"}).status_code == 404
    assert client.post(f"{BASE}{evidence.pk}/verify/").status_code == 404
    assert client.get(f"{LINKS}{link.pk}/").status_code == 404
    assert client.delete(f"{LINKS}{link.pk}/").status_code == 404
    assert client.get(LINKS).json()["count"] == 0
    evidence.refresh_from_db()
    assert evidence.review_state == "pending" and EvidenceLink.objects.filter(pk=link.pk).exists()


def test_api_cross_organisation_links_are_refused(
    client_for: Any, org: Any, other_org: Any
) -> None:
    mine = make_file_evidence(org)
    my_result = make_assessment(org, limit=1).results.get()
    foreign_result = make_assessment(other_org, limit=1).results.get()
    foreign_evidence = make_file_evidence(other_org)
    client = client_for(Role.CONTROL_OWNER, org)
    for body in (
        {"evidence": mine.pk, "result": foreign_result.pk},
        {"evidence": foreign_evidence.pk, "result": my_result.pk},
    ):
        response = client.post(LINKS, body, content_type="application/json")
        assert response.status_code == 400
        assert "does not exist" in str(response.json())
    created = client.post(
        LINKS, {"evidence": mine.pk, "result": my_result.pk}, content_type="application/json"
    )
    assert created.status_code == 201, created.content
    assert created.json()["requirement"] == my_result.requirement.code
    again = client.post(
        LINKS, {"evidence": mine.pk, "result": my_result.pk}, content_type="application/json"
    )
    assert again.status_code == 400 and "already supports" in str(again.json())
    upload = client.post(
        BASE,
        {"title": "x", "file": SimpleUploadedFile("a.txt", b"a\n"), "results": [foreign_result.pk]},
    )
    assert upload.status_code == 400
    assert not Evidence.objects.filter(title="x").exists()
    assert EvidenceLink.objects.count() == 1
    assert client.delete(f"{LINKS}{created.json()['id']}/").status_code == 204
    assert not EvidenceLink.objects.exists()


def test_api_update_delete_review_verify_download(
    client_for: Any, org: Any, django_capture_on_commit_callbacks: Any
) -> None:
    evidence = make_file_evidence(org, content=b"minutes\n", name="minutes.txt")
    result = make_assessment(org, limit=1).results.get()
    owner = client_for(Role.CONTROL_OWNER, org)
    url = f"{BASE}{evidence.pk}/"
    bad = owner.patch(
        url,
        {"effective_date": "2026-05-01", "expiry_date": "2026-01-01"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "expiry_date" in bad.json()
    ok = owner.patch(url, {"title": "Minutes", "sha256": "0" * 64}, content_type="application/json")
    assert ok.status_code == 200
    evidence.refresh_from_db()
    assert evidence.title == "Minutes" and evidence.sha256 != "0" * 64
    assert owner.post(f"{url}review/", {"decision": "approved"}).status_code == 403
    ciso = client_for(Role.CISO, org)
    reviewed = ciso.post(f"{url}review/", {"decision": "approved"})
    assert reviewed.status_code == 200 and reviewed.json()["reviewer"] == f"ciso-{org.pk}"
    rejected = ciso.post(f"{url}review/", {"decision": "rejected"})
    assert rejected.status_code == 400
    auditor = client_for(Role.AUDITOR, org)
    assert auditor.post(f"{url}verify/").json()["status"] == "ok"
    assert auditor.patch(url, {"title": "x"}, content_type="application/json").status_code == 403
    download = auditor.get(f"{url}download/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"minutes\n"
    assert download["Content-Disposition"].startswith('attachment; filename="minutes.txt"')
    assert client_for(Role.BOARD, org).get(url).status_code == 403

    services.link(evidence, result, None)
    linked = owner.delete(url)
    assert linked.status_code == 409 and "unlink" in linked.json()["detail"]
    EvidenceLink.objects.all().delete()
    before = stored_files()
    with django_capture_on_commit_callbacks(execute=True):
        assert owner.delete(url).status_code == 204
    assert not Evidence.objects.filter(pk=evidence.pk).exists()
    assert evidence.file.name in before and evidence.file.name not in stored_files()


def test_api_new_version_takes_over_links(client_for: Any, org: Any) -> None:
    result = make_assessment(org, limit=1).results.get()
    first = make_file_evidence(org, results=[result])
    client = client_for(Role.CONTROL_OWNER, org)
    response = client.post(
        BASE,
        {"title": "v2", "file": SimpleUploadedFile("v2.txt", b"two\n"), "supersedes": first.pk},
    )
    assert response.status_code == 201, response.content
    second = response.json()
    assert second["supersedes"] == first.pk
    assert client.get(f"{BASE}{first.pk}/").json()["superseded_by"] == second["id"]
    assert list(EvidenceLink.objects.values_list("evidence_id", flat=True)) == [second["id"]]
    assert client.get(BASE).json()["count"] == 1
    assert client.get(BASE, {"history": "1"}).json()["count"] == 2


def test_api_list_query_count_is_bounded(
    client_for: Any, org: Any, django_assert_max_num_queries: Any
) -> None:
    results = list(make_assessment(org, limit=4).results.all())
    client = client_for(Role.CONTROL_OWNER, org)

    def fill(count: int) -> None:
        for index in range(count):
            evidence = make_file_evidence(org, title=f"e{index}", results=results[: index % 4])
            services.review(evidence, None, "approved")

    fill(2)
    with django_assert_max_num_queries(12) as counted:
        client.get(BASE)
    fill(30)
    with django_assert_max_num_queries(len(counted.captured_queries)):
        assert client.get(BASE).json()["count"] == 32
    with django_assert_max_num_queries(len(counted.captured_queries)):
        client.get(LINKS)


def test_api_workbook_round_trip(client_for: Any, org: Any, other_org: Any) -> None:
    assessment = make_assessment(org, limit=4)
    client = client_for(Role.CONTROL_OWNER, org)
    base = f"/api/assessment-workbooks/{assessment.pk}/"
    exported = client.get(f"{base}export/")
    assert exported.status_code == 200
    assert exported["Content-Type"] == xlsx.XLSX_CONTENT_TYPE
    unchanged = client.post(
        f"{base}import/", {"file": SimpleUploadedFile("a.xlsx", exported.content)}
    )
    assert unchanged.status_code == 200, unchanged.content
    assert unchanged.json() == {"applied": True, "rows": 4, "changed": 0, "errors": []}
    broken = client.post(f"{base}import/", {"file": SimpleUploadedFile("a.xlsx", b"nope")})
    assert broken.status_code == 400
    assert broken.json()["errors"][0]["row"] == 0
    assert client.get(f"{base}gaps/").status_code == 200
    outsider = client_for(Role.ADMINISTRATOR, other_org)
    assert outsider.get(f"{base}export/").status_code == 404
    assert (
        outsider.post(
            f"{base}import/", {"file": SimpleUploadedFile("a.xlsx", exported.content)}
        ).status_code
        == 404
    )
    auditor = client_for(Role.AUDITOR, org)
    assert auditor.get(f"{base}export/").status_code == 200
    assert (
        auditor.post(
            f"{base}import/", {"file": SimpleUploadedFile("a.xlsx", exported.content)}
        ).status_code
        == 403
    )


def test_api_requires_authentication() -> None:
    assert Client().get(BASE).status_code in (401, 403)
