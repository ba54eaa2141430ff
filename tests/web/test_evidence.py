"""Evidence: upload checks, hashing and integrity, linking, review, versions, lists, download."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from finres.web.assessments.models import Assessment, RequirementResult
from finres.web.audit.models import AuditEvent
from finres.web.evidence import files, services
from finres.web.evidence.models import Evidence, EvidenceLink
from finres.web.frameworks.models import Framework, Requirement
from finres.web.orgs.roles import Role

pytestmark = pytest.mark.django_db

ISO = "iso27001-2022-annex-a"
TWSE = "twse-securities-tiered-protection"
PDF_BYTES = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< >>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


# --- helpers shared with the XLSX and API tests --------------------------------------------------


@pytest.fixture(autouse=True)
def english() -> Any:
    """Messages are asserted in English (zh-TW, the default, has its own test)."""
    with translation.override("en"):
        yield


@pytest.fixture
def client_for(client_for: Any) -> Any:
    def make(role: str, organisation: Any) -> Client:
        client = client_for(role, organisation)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return make


def make_assessment(
    organisation: Any,
    framework_code: str = ISO,
    limit: int | None = None,
    name: str | None = None,
    start: dt.date = dt.date(2026, 1, 1),
) -> Assessment:
    framework = Framework.objects.get(code=framework_code)
    assessment = Assessment.objects.create(
        organisation=organisation,
        framework=framework,
        name=name or f"{framework_code} {start.year} ({organisation.name})",
        period_start=start,
        period_end=dt.date(start.year, 12, 31),
    )
    requirements = Requirement.objects.filter(
        framework=framework, assessable=True, active=True
    ).order_by("position")
    if limit is not None:
        requirements = requirements[:limit]
    RequirementResult.objects.bulk_create(
        RequirementResult(organisation=organisation, assessment=assessment, requirement=r)
        for r in requirements
    )
    return assessment


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> Any:
    return SimpleUploadedFile(name, content, content_type=content_type)


def make_file_evidence(
    organisation: Any, user: Any = None, title: str = "Policy", **fields: Any
) -> Evidence:
    name = fields.pop("name", "policy.txt")
    content = fields.pop("content", "資訊安全政策\nInformation security policy\n".encode())
    return services.create_evidence(
        organisation=organisation,
        user=user,
        title=title,
        upload=ContentFile(content, name=name),
        **fields,
    )


def stored_files() -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def ooxml(main_type: str, extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/word/document.xml" ContentType="{main_type}"/></Types>',
        )
        archive.writestr("word/document.xml", "<w:document/>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


# --- upload checks -------------------------------------------------------------------------------


def create_url() -> str:
    return reverse("evidence:create")


def test_upload_records_hash_size_type_and_stores_under_a_generated_name(
    client_for: Any, org: Any
) -> None:
    client = client_for(Role.CONTROL_OWNER, org)
    response = client.post(
        create_url(),
        {
            "kind": "file",
            "title": "Penetration test report",
            "file": upload("報告 report.pdf", PDF_BYTES, "text/plain"),
            "effective_date": "2026-01-01",
            "expiry_date": "2026-12-31",
        },
    )
    assert response.status_code == 302
    evidence = Evidence.objects.get(organisation=org)
    assert evidence.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    assert evidence.size == len(PDF_BYTES)
    assert evidence.content_type == "application/pdf"  # by content, not what the browser said
    assert evidence.original_name == "報告 report.pdf"
    assert evidence.kind == Evidence.Kind.FILE
    assert evidence.review_state == Evidence.Review.PENDING
    assert evidence.uploaded_by.username == f"control_owner-{org.pk}"
    assert evidence.file.name.startswith(f"{org.pk}/")
    assert "report" not in evidence.file.name
    with evidence.file.open("rb") as stored:
        assert stored.read() == PDF_BYTES
    assert response.url == reverse("evidence:detail", args=[evidence.pk])


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.pdf", b"", "The file is empty."),
        ("setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100, "Windows executable"),
        ("photo.pdf", PNG_BYTES, "a PNG image but its name ends in “.pdf”"),
        ("report.txt", PDF_BYTES, "a PDF document but its name ends in “.txt”"),
        ("binary.txt", bytes(range(256)) * 4, "not of an accepted type"),
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "legacy Office"),
    ],
)
def test_files_are_checked_by_content(
    client_for: Any, org: Any, name: str, content: bytes, message: str
) -> None:
    client = client_for(Role.CONTROL_OWNER, org)
    before = stored_files()
    response = client.post(
        create_url(), {"kind": "file", "title": "x", "file": upload(name, content)}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Evidence.objects.exists()
    assert stored_files() == before


def test_oversize_file_is_refused_with_the_limit(client_for: Any, org: Any, settings: Any) -> None:
    settings.FINRES_EVIDENCE_MAX_BYTES = 1024
    client = client_for(Role.CONTROL_OWNER, org)
    response = client.post(
        create_url(), {"kind": "file", "title": "big", "file": upload("big.txt", b"a" * 1025)}
    )
    assert "larger than the limit" in response.content.decode()
    assert not Evidence.objects.exists()
    exact = client.post(
        create_url(), {"kind": "file", "title": "ok", "file": upload("ok.txt", b"a" * 1024)}
    )
    assert exact.status_code == 302


def test_size_is_counted_while_streaming_even_if_the_declared_size_lies(settings: Any) -> None:
    settings.FINRES_EVIDENCE_MAX_BYTES = 1000
    lying = ContentFile(b"a" * 5000, name="a.txt")
    lying.size = 10  # what a misbehaving client could claim
    with pytest.raises(ValidationError, match="larger than the limit"):
        files.check_file(lying)


def test_office_documents_are_recognised_by_their_package_manifest() -> None:
    checked = files.check_file(ContentFile(ooxml(DOCX_MAIN), name="plan.docx"))
    assert checked.content_type == files.DOCX
    import openpyxl

    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    assert files.check_file(ContentFile(buffer.getvalue(), name="a.xlsx")).content_type == (
        files.XLSX
    )
    with pytest.raises(ValidationError, match=r"but its name ends in “\.xlsx”"):
        files.check_file(ContentFile(ooxml(DOCX_MAIN), name="plan.xlsx"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (ooxml("application/vnd.ms-word.document.macroEnabled.main+xml"), "macros"),
        (ooxml(DOCX_MAIN, {"word/vbaProject.bin": b"\x00"}), "macros"),
    ],
)
def test_documents_with_macros_are_refused(content: bytes, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        files.check_file(ContentFile(content, name="plan.docx"))


def test_archives_other_than_office_documents_are_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("evil.exe", b"MZ")
    with pytest.raises(ValidationError, match="Archives are not accepted"):
        files.check_file(ContentFile(buffer.getvalue(), name="report.docx"))
    with pytest.raises(ValidationError, match="damaged"):
        files.check_file(ContentFile(b"PK\x03\x04" + b"\x00" * 50, name="report.docx"))


def test_manifest_with_entities_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaa">]>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            f'<Override PartName="/word/document.xml" ContentType="{DOCX_MAIN}"/></Types>',
        )
    with pytest.raises(ValidationError, match="not a Word, Excel or PowerPoint"):
        files.check_file(ContentFile(buffer.getvalue(), name="report.docx"))


def test_text_in_several_encodings_and_chunk_boundaries() -> None:
    # A long UTF-8 text whose multi-byte characters straddle the chunk boundaries.
    text = ("資安長每年向董事會報告資訊安全整體執行情形。\n" * 20_000).encode("utf-8")
    assert len(text) > 3 * files.CHUNK_SIZE
    checked = files.check_file(ContentFile(text, name="report.txt"))
    assert checked.content_type == files.TEXT
    assert checked.sha256 == hashlib.sha256(text).hexdigest()
    assert checked.size == len(text)
    big5 = "日期,事件\n2026-01-02,防火牆阻擋\n".encode("cp950")
    assert files.check_file(ContentFile(big5, name="log.csv")).content_type == files.CSV
    utf16 = "事件紀錄\r\n".encode("utf-16")
    assert files.check_file(ContentFile(utf16, name="log.txt")).content_type == files.TEXT


def test_links_must_be_http_or_https(client_for: Any, org: Any) -> None:
    client = client_for(Role.CONTROL_OWNER, org)
    for bad in ("javascript:alert(1)", "ftp://example.com/file", "file:///etc/passwd"):
        response = client.post(create_url(), {"kind": "link", "title": "x", "url": bad})
        assert response.status_code == 200, bad
        assert "http://" in response.content.decode()
    assert not Evidence.objects.exists()
    ok = client.post(
        create_url(), {"kind": "link", "title": "Certificate", "url": "https://example.com/c"}
    )
    assert ok.status_code == 302
    evidence = Evidence.objects.get()
    assert (evidence.kind, evidence.url, evidence.sha256) == ("link", "https://example.com/c", "")
    with pytest.raises(ValidationError):
        services.create_evidence(organisation=org, user=None, title="x", url="javascript:alert(1)")


def test_expiry_must_not_be_before_effective(client_for: Any, org: Any) -> None:
    client = client_for(Role.CONTROL_OWNER, org)
    response = client.post(
        create_url(),
        {
            "kind": "link",
            "title": "x",
            "url": "https://example.com",
            "effective_date": "2026-05-01",
            "expiry_date": "2026-04-30",
        },
    )
    assert "cannot be before the effective date" in response.content.decode()
    with pytest.raises(ValidationError):
        services.create_evidence(
            organisation=org,
            user=None,
            title="x",
            url="https://example.com",
            effective_date=dt.date(2026, 5, 1),
            expiry_date=dt.date(2026, 4, 1),
        )
    assert not Evidence.objects.exists()


def test_nothing_half_written_when_the_database_step_fails(org: Any, other_org: Any) -> None:
    foreign = make_assessment(other_org, limit=1).results.get()
    before = stored_files()
    with pytest.raises(ValidationError, match="its own organisation"):
        make_file_evidence(org, results=[foreign])
    assert not Evidence.objects.exists()
    assert stored_files() == before  # the file stored first was removed again


def test_database_error_removes_the_stored_file(org: Any, monkeypatch: Any) -> None:
    from django.db import IntegrityError

    def fail(*args: Any, **kwargs: Any) -> None:
        raise IntegrityError("simulated")

    before = stored_files()
    monkeypatch.setattr(Evidence, "save", fail)
    with pytest.raises((IntegrityError, ValidationError)):
        make_file_evidence(org)
    assert stored_files() == before


def test_roles_that_may_not_upload(client_for: Any, org: Any) -> None:
    for role in (Role.AUDITOR, Role.BOARD):
        client = client_for(role, org)
        response = client.post(
            create_url(), {"kind": "link", "title": "x", "url": "https://example.com"}
        )
        assert response.status_code == 403
    assert not Evidence.objects.exists()


# --- integrity and download ----------------------------------------------------------------------


def test_integrity_check_detects_tampering(client_for: Any, org: Any) -> None:
    evidence = make_file_evidence(org)
    client = client_for(Role.AUDITOR, org)  # read-only users may check too
    url = reverse("evidence:verify", args=[evidence.pk])
    ok = client.post(url, HTTP_HX_REQUEST="true")
    assert ok.status_code == 200
    assert 'data-integrity="ok"' in ok.content.decode()
    path = Path(settings.MEDIA_ROOT) / evidence.file.name
    path.write_bytes(path.read_bytes() + b"tampered")
    bad = client.post(url, HTTP_HX_REQUEST="true")
    assert 'data-integrity="mismatch"' in bad.content.decode()
    assert hashlib.sha256(path.read_bytes()).hexdigest() in bad.content.decode()
    checks = list(
        AuditEvent.objects.filter(action="verify", object_id=str(evidence.pk)).order_by("sequence")
    )
    assert [e.changes["status"] for e in checks] == ["ok", "mismatch"]
    assert checks[0].actor_name == f"auditor-{org.pk}"
    path.unlink()
    assert services.verify(evidence).status == "missing"


def test_integrity_without_htmx_redirects_with_a_message(ciso_client: Client, org: Any) -> None:
    evidence = make_file_evidence(org)
    response = ciso_client.post(reverse("evidence:verify", args=[evidence.pk]), follow=True)
    assert "SHA-256" in response.content.decode()


def test_download_is_an_attachment_for_members_only(
    client_for: Any, org: Any, other_org: Any
) -> None:
    content = "稽核紀錄\n".encode()
    evidence = make_file_evidence(org, name="稽核 紀錄.txt", content=content)
    url = reverse("evidence:download", args=[evidence.pk])
    response = client_for(Role.AUDITOR, org).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert "filename*=utf-8''%E7%A8%BD%E6%A0%B8%20%E7%B4%80%E9%8C%84.txt" in disposition
    assert response["Content-Type"].startswith("text/plain")
    assert client_for(Role.CISO, other_org).get(url).status_code == 404
    assert client_for(Role.BOARD, org).get(url).status_code == 403
    assert Client().get(url).status_code == 302  # to the login page
    # No public URL serves the stored file.
    assert Client().get("/media/" + evidence.file.name).status_code == 404
    assert Client().get("/" + evidence.file.name).status_code == 404


def test_pages_of_another_organisation_are_not_found(
    client_for: Any, org: Any, other_org: Any
) -> None:
    evidence = make_file_evidence(org)
    outsider = client_for(Role.ADMINISTRATOR, other_org)
    for name in ("detail", "edit", "new_version", "download", "link_search"):
        assert outsider.get(reverse(f"evidence:{name}", args=[evidence.pk])).status_code == 404
    for name in ("verify", "review", "delete", "link_add"):
        assert outsider.post(reverse(f"evidence:{name}", args=[evidence.pk])).status_code == 404
    assert Evidence.objects.filter(pk=evidence.pk).exists()


# --- linking -------------------------------------------------------------------------------------


def test_one_piece_of_evidence_supports_results_in_several_assessments(
    client_for: Any, org: Any
) -> None:
    iso = make_assessment(org, ISO, limit=3)
    twse = make_assessment(org, TWSE, limit=3)
    evidence = make_file_evidence(org)
    client = client_for(Role.CONTROL_OWNER, org)
    targets = [iso.results.first(), twse.results.first()]
    response = client.post(
        reverse("evidence:link_add", args=[evidence.pk]),
        {"result": [r.pk for r in targets]},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="evidence-links"' in body
    assert f'id="candidate-{targets[0].pk}" hx-swap-oob="delete"' in body
    assert set(evidence.links.values_list("result_id", flat=True)) == {r.pk for r in targets}
    link = evidence.links.first()
    assert link.organisation_id == org.pk
    assert link.created_by.username == f"control_owner-{org.pk}"
    # Linking again is refused with a message, not an error page.
    again = client.post(
        reverse("evidence:link_add", args=[evidence.pk]),
        {"result": targets[0].pk},
        HTTP_HX_REQUEST="true",
    )
    assert "already supports" in again.content.decode()
    assert evidence.links.count() == 2


def test_linking_to_another_organisations_result_is_refused(
    client_for: Any, org: Any, other_org: Any
) -> None:
    foreign = make_assessment(other_org, limit=1).results.get()
    evidence = make_file_evidence(org)
    client = client_for(Role.CISO, org)
    response = client.post(reverse("evidence:link_add", args=[evidence.pk]), {"result": foreign.pk})
    assert response.status_code == 404
    with pytest.raises(ValidationError, match="its own organisation"):
        services.link(evidence, foreign, None)
    # Even a result whose organisation field was forged is refused through its assessment.
    forged = RequirementResult(
        organisation=org, assessment=foreign.assessment, requirement=foreign.requirement
    )
    with pytest.raises(ValidationError, match="its own organisation"):
        services.link(evidence, forged, None)
    assert not EvidenceLink.objects.exists()


def test_link_search_finds_results_by_requirement_and_assessment(
    client_for: Any, org: Any, other_org: Any
) -> None:
    iso = make_assessment(org, ISO)
    make_assessment(other_org, ISO)
    evidence = make_file_evidence(org)
    a51 = iso.results.get(requirement__code="A.5.1")
    services.link(evidence, iso.results.get(requirement__code="A.5.2"), None)
    client = client_for(Role.CONTROL_OWNER, org)
    url = reverse("evidence:link_search", args=[evidence.pk])
    response = client.get(url, {"assessment": iso.pk, "q": "A.5."}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert f'id="candidate-{a51.pk}"' in body
    already = iso.results.get(requirement__code="A.5.2")
    assert f'id="candidate-{already.pk}"' not in body  # already linked
    assert "<html" not in body  # a fragment
    other_results = RequirementResult.objects.filter(organisation=other_org)
    assert not any(f'id="candidate-{r.pk}"' in body for r in other_results)
    by_title = client.get(url, {"q": "Policies for information security"}, HTTP_HX_REQUEST="true")
    assert f'id="candidate-{a51.pk}"' in by_title.content.decode()
    full = client.get(url, {"q": "A.5.1"})
    assert "<html" in full.content.decode()


def test_unlink(client_for: Any, org: Any, other_org: Any) -> None:
    result = make_assessment(org, limit=1).results.get()
    evidence = make_file_evidence(org)
    link = services.link(evidence, result, None)
    other = client_for(Role.CISO, other_org)
    url = reverse("evidence:link_remove", args=[evidence.pk, link.pk])
    assert other.post(url).status_code == 404
    response = client_for(Role.CONTROL_OWNER, org).post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert not EvidenceLink.objects.exists()
    assert AuditEvent.objects.filter(model="evidence.evidencelink", action="delete").exists()


# --- review and versions -------------------------------------------------------------------------


def test_review_needs_the_approve_permission_and_records_who_and_when(
    client_for: Any, org: Any
) -> None:
    evidence = make_file_evidence(org)
    url = reverse("evidence:review", args=[evidence.pk])
    owner = client_for(Role.CONTROL_OWNER, org)
    assert owner.post(url, {"decision": "approved"}).status_code == 403
    ciso = client_for(Role.CISO, org)
    refused = ciso.post(url, {"decision": "rejected", "comment": " "}, follow=True)
    assert "Say why" in refused.content.decode() or "說明" in refused.content.decode()
    evidence.refresh_from_db()
    assert evidence.review_state == "pending"
    before = timezone.now()
    ciso.post(url, {"decision": "approved", "comment": "Complete."})
    evidence.refresh_from_db()
    assert evidence.review_state == "approved"
    assert evidence.reviewer.username == f"ciso-{org.pk}"
    assert evidence.reviewed_at >= before
    assert evidence.review_comment == "Complete."
    ciso.post(url, {"decision": "rejected", "comment": "Signature missing."})
    evidence.refresh_from_db()
    assert (evidence.review_state, evidence.review_comment) == ("rejected", "Signature missing.")


def test_new_version_keeps_history_and_takes_over_links(client_for: Any, org: Any) -> None:
    results = list(make_assessment(org, limit=2).results.all())
    first = make_file_evidence(org, title="Backup procedure", results=results)
    services.review(first, None, "approved")
    client = client_for(Role.CONTROL_OWNER, org)
    response = client.post(
        reverse("evidence:new_version", args=[first.pk]),
        {
            "title": "Backup procedure",
            "file": upload("backup-v2.txt", b"version 2\n"),
            "expiry_date": "2027-12-31",
        },
    )
    assert response.status_code == 302
    second = Evidence.objects.get(supersedes=first)
    first.refresh_from_db()
    assert not first.is_current and second.is_current
    assert first.sha256 != second.sha256
    assert first.review_state == "approved" and second.review_state == "pending"
    assert set(second.links.values_list("result_id", flat=True)) == {r.pk for r in results}
    assert not first.links.exists()
    assert first.file.storage.exists(first.file.name)  # the earlier file is kept
    detail = client.get(reverse("evidence:detail", args=[second.pk])).content.decode()
    assert reverse("evidence:detail", args=[first.pk]) in detail
    # An earlier version gets no second successor and cannot be linked again.
    assert client.get(reverse("evidence:new_version", args=[first.pk])).status_code == 404
    with pytest.raises(ValidationError, match="earlier version"):
        services.link(first, results[0], None)
    with pytest.raises(ValidationError, match="newer version"):
        services.create_evidence(
            organisation=org, user=None, title="x", url="https://example.org/v2", supersedes=first
        )


def test_delete_only_unlinked_current_evidence(
    client_for: Any, org: Any, django_capture_on_commit_callbacks: Any
) -> None:
    result = make_assessment(org, limit=1).results.get()
    evidence = make_file_evidence(org, results=[result])
    client = client_for(Role.CONTROL_OWNER, org)
    url = reverse("evidence:delete", args=[evidence.pk])
    client.post(url)
    assert Evidence.objects.filter(pk=evidence.pk).exists()  # still linked
    EvidenceLink.objects.all().delete()
    newer = services.create_evidence(
        organisation=org, user=None, title="v2", url="https://example.org/v2", supersedes=evidence
    )
    client.post(url)
    assert Evidence.objects.filter(pk=evidence.pk).exists()  # kept as history
    newer.delete()
    name = evidence.file.name
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302
    assert not Evidence.objects.filter(pk=evidence.pk).exists()
    assert not evidence.file.storage.exists(name)


def test_edit_changes_metadata_only(client_for: Any, org: Any) -> None:
    evidence = make_file_evidence(org)
    sha = evidence.sha256
    client = client_for(Role.CONTROL_OWNER, org)
    url = reverse("evidence:edit", args=[evidence.pk])
    assert client.get(url).status_code == 200
    bad = client.post(
        url, {"title": "x", "effective_date": "2026-02-01", "expiry_date": "2026-01-01"}
    )
    assert bad.status_code == 200
    client.post(url, {"title": "Renamed", "description": "d", "expiry_date": "2027-01-31"})
    evidence.refresh_from_db()
    assert (evidence.title, evidence.expiry_date, evidence.sha256) == (
        "Renamed",
        dt.date(2027, 1, 31),
        sha,
    )


# --- lists ---------------------------------------------------------------------------------------


def _dated(org: Any, title: str, expiry_days: int | None, **fields: Any) -> Evidence:
    today = timezone.localdate()
    expiry = today + dt.timedelta(days=expiry_days) if expiry_days is not None else None
    return services.create_evidence(
        organisation=org,
        user=None,
        title=title,
        url=f"https://example.com/{title}",
        expiry_date=expiry,
        **fields,
    )


def _titles(response: Any) -> set[str]:
    return {e.title for e in response.context["object_list"]}


def test_list_filters(client_for: Any, org: Any, other_org: Any) -> None:
    result = make_assessment(org, limit=1).results.get()
    expired = _dated(org, "expired-item", -3)
    soon = _dated(org, "soon-item", 10, results=[result])
    later = _dated(org, "later-item", 200)
    _dated(org, "no-expiry-item", None)
    _dated(other_org, "foreign-item", -3)
    services.review(later, None, "approved")
    client = client_for(Role.AUDITOR, org)
    url = reverse("evidence:list")
    everything = _titles(client.get(url))
    assert everything == {"expired-item", "soon-item", "later-item", "no-expiry-item"}
    assert _titles(client.get(url, {"expired": "1"})) == {"expired-item"}
    assert _titles(client.get(url, {"expiring": "30"})) == {"soon-item"}
    assert _titles(client.get(url, {"expiring": "365"})) == {"soon-item", "later-item"}
    assert _titles(client.get(url, {"review": "approved"})) == {"later-item"}
    assert "soon-item" not in _titles(client.get(url, {"unlinked": "1"}))
    assert _titles(client.get(url, {"q": "LATER"})) == {"later-item"}
    assert _titles(client.get(url, {"expiring": "nonsense"})) == everything
    newer = services.create_evidence(
        organisation=org,
        user=None,
        title="soon-item v2",
        url="https://example.org/v2",
        supersedes=soon,
    )
    assert "soon-item" not in _titles(client.get(url))
    assert {"soon-item", newer.title} <= _titles(client.get(url, {"history": "1"}))
    page = client.get(url).content.decode()
    assert 'data-expiry="expired"' in page and "foreign-item" not in page
    assert expired.pk


def test_expiring_and_expired_view(client_for: Any, org: Any) -> None:
    _dated(org, "expired-item", -40)
    soon = _dated(org, "soon-item", 5)
    _dated(org, "later-item", 90)
    _dated(org, "no-expiry-item", None)
    client = client_for(Role.CONTROL_OWNER, org)
    url = reverse("evidence:expiring")
    response = client.get(url)
    assert [e.title for e in response.context["object_list"]] == ["expired-item", "soon-item"]
    assert response.context["counts"] == {"expired": 1, "expiring": 1}
    body = response.content.decode()
    assert 'data-expiry="expired"' in body and 'data-expiry="soon"' in body
    wider = client.get(url, {"days": "120"})
    assert [e.title for e in wider.context["object_list"]] == [
        "expired-item",
        "soon-item",
        "later-item",
    ]
    services.create_evidence(
        organisation=org, user=None, title="renewed", url="https://example.org/v2", supersedes=soon
    )
    assert "soon-item" not in _titles(client.get(url))  # replaced by a newer version
    # the counts are kept while the evidence is unchanged, and follow each change
    assert client.get(url).context["counts"] == {"expired": 1, "expiring": 0}
    assert client.get(url, {"days": "120"}).context["counts"] == {"expired": 1, "expiring": 1}
    _dated(org, "another-soon-item", 3)
    assert client.get(url).context["counts"] == {"expired": 1, "expiring": 1}
    assert client.get(url, {"days": "120"}).context["counts"] == {"expired": 1, "expiring": 2}


def test_list_query_count_does_not_grow_with_the_data(
    client_for: Any, org: Any, django_assert_max_num_queries: Any
) -> None:
    results = list(make_assessment(org, limit=5).results.all())
    client = client_for(Role.CONTROL_OWNER, org)
    client.get(reverse("evidence:list"))  # warm up the session and the role lookups

    def fill(count: int) -> None:
        for index in range(count):
            evidence = _dated(org, f"item-{Evidence.objects.count()}-{index}", index - 5)
            services.review(evidence, None, "approved")
            for result in results[: index % 5]:
                services.link(evidence, result, None)

    pages = [
        (reverse("evidence:list"), {}),
        (reverse("evidence:list"), {"page": "1", "unlinked": "1", "review": "approved"}),
        (reverse("evidence:expiring"), {"days": "60"}),
    ]
    fill(3)
    small = []
    for url, query in pages:
        with django_assert_max_num_queries(15) as counted:
            assert client.get(url, query).status_code == 200
        small.append(len(counted.captured_queries))
    fill(40)
    for (url, query), bound in zip(pages, small, strict=True):
        with django_assert_max_num_queries(bound):
            client.get(url, query)


def test_detail_page_in_both_languages(client_for: Any, org: Any) -> None:
    evidence = make_file_evidence(org)
    client = client_for(Role.CISO, org)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hant"
    zh = client.get(reverse("evidence:detail", args=[evidence.pk])).content.decode()
    assert "檢查完整性" in zh and "記錄審查結果" in zh
    assert evidence.sha256 in zh
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    en = client.get(reverse("evidence:detail", args=[evidence.pk])).content.decode()
    assert "Check integrity" in en
    assert "Record the review" in en  # the CISO may approve


# --- demo ----------------------------------------------------------------------------------------


def test_demo_evidence(django_capture_on_commit_callbacks: Any) -> None:
    from finres.web.evidence import demo as evidence_demo
    from finres.web.orgs import demo as orgs_demo
    from finres.web.setup import DemoContext

    context = DemoContext()
    orgs_demo.load(context)
    securities = context.organisations["securities"]
    make_assessment(securities, ISO)
    make_assessment(securities, TWSE)
    evidence_demo.load(context)
    items = Evidence.objects.filter(organisation=securities)
    today = timezone.localdate()
    assert items.filter(expiry_date__lt=today, superseded_by__isnull=True).count() == 1
    assert items.filter(
        expiry_date__gte=today, expiry_date__lte=today + dt.timedelta(days=30)
    ).exists()
    assert items.filter(review_state="approved").count() >= 3
    assert items.filter(kind="link").exists()
    assert items.filter(supersedes__isnull=False).exists()
    assert {e.content_type for e in items.filter(kind="file")} >= {
        "text/plain",
        "text/csv",
        "application/pdf",
    }
    for evidence in items.filter(kind="file"):
        assert services.verify(evidence).ok
    policy = items.get(original_name="information-security-policy.txt")
    assert {link.result.assessment.framework.code for link in policy.links.all()} == {ISO, TWSE}
    count = items.count()
    evidence_demo.load(context)  # idempotent
    assert Evidence.objects.filter(organisation=securities).count() == count


def test_demo_links_something_even_without_the_expected_requirements() -> None:
    from finres.web.evidence import demo as evidence_demo
    from finres.web.orgs import demo as orgs_demo
    from finres.web.setup import DemoContext

    context = DemoContext()
    orgs_demo.load(context)
    securities = context.organisations["securities"]
    make_assessment(securities, "nist-csf-2.0", limit=3)
    evidence_demo.load(context)
    assert EvidenceLink.objects.filter(organisation=securities).exists()


def test_minimal_pdf_is_a_pdf() -> None:
    from finres.web.evidence.demo import minimal_pdf

    data = minimal_pdf(["Hello (world)"])
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    assert "Hello (world)" in reader.pages[0].extract_text()


def test_nobody_reviews_the_evidence_they_uploaded(client_for: Any, org: Any) -> None:
    """Segregation of duties, as for exceptions: pages, API, service and database alike."""
    from django.db import IntegrityError, transaction

    ciso_client = client_for(Role.CISO, org)
    ciso = get_user_model().objects.get(username=f"ciso-{org.pk}")
    evidence = make_file_evidence(org)
    Evidence.objects.filter(pk=evidence.pk).update(uploaded_by=ciso)
    evidence.refresh_from_db()
    page = ciso_client.post(
        reverse("evidence:review", args=[evidence.pk]), {"decision": "approved"}, follow=True
    )
    assert "another person must review" in page.content.decode()
    api = ciso_client.post(
        f"/api/evidence/{evidence.pk}/review/",
        {"decision": "approved", "comment": ""},
        content_type="application/json",
    )
    assert api.status_code == 403
    evidence.refresh_from_db()
    assert evidence.review_state == "pending" and evidence.reviewer is None
    with pytest.raises(IntegrityError), transaction.atomic():
        Evidence.objects.filter(pk=evidence.pk).update(reviewer=ciso, review_state="approved")
