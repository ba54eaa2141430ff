"""The CISO's board report and the annual declaration: forms, workflow, PDF, Word, API."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from docx import Document
from docx.oxml.ns import qn
from PIL import Image
from pypdf import PdfReader

from finres.web.assessments.models import RequirementResult, Result
from finres.web.audit.models import AuditEvent
from finres.web.improvements.models import Finding
from finres.web.orgs.models import Organisation
from finres.web.orgs.roles import Role
from finres.web.reports import demo
from finres.web.reports.models import BoardReport, Declaration, DocumentStatus, Signatory

from .test_reports import populate

pytestmark = pytest.mark.django_db

HEADINGS_ZH = [
    "資安計畫執行及變更情形",
    "重大資安事件與改善措施",
    "現行資安風險評估情形及控制措施之有效性",
    "資安預算運用與資源配置情形",
]
HEADINGS_EN = [
    "Security programme: execution and changes",
    "Major security incidents and improvements",
    "Current risk assessment and effectiveness of controls",
    "Security budget use and resource allocation",
]
NARRATIVES = {
    key: demo.REPORT_2025[key]
    for key in (
        "summary",
        "programme_execution",
        "major_incidents",
        "risk_assessment",
        "budget_resources",
    )
}


def board_report(org: Organisation, year: int = 2025, **fields: Any) -> BoardReport:
    values: dict[str, Any] = {
        **NARRATIVES,
        "budget_planned": 42_000_000,
        "budget_spent": 39_500_000,
    }
    values.update(fields)
    return BoardReport.objects.create(organisation=org, year=year, **values)


def declaration(org: Organisation, year: int = 2025, signed: bool = True) -> Declaration:
    found = Declaration.objects.create(
        organisation=org,
        year=year,
        statement="本公司民國114年度之資訊安全整體執行情形聲明如下。",
        declared_on=dt.date(2026, 3, 20) if signed else None,
    )
    for position, (title, name) in enumerate(demo.SIGNATORIES, start=1):
        Signatory.objects.create(
            organisation=org,
            declaration=found,
            position=position,
            title=title,
            name=name,
            signed_on=dt.date(2026, 3, 20) if signed else None,
        )
    return found


def pdf_text(data: bytes) -> tuple[str, set[str]]:
    """The text of every page and the names of the fonts the PDF embeds."""
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    fonts: set[str] = set()
    for page in reader.pages:
        resources = page.get("/Resources")
        if resources is None:
            continue
        for font in (resources.get_object().get("/Font") or {}).values():
            font = font.get_object()
            fonts.add(str(font.get("/BaseFont")))
            for descendant in font.get("/DescendantFonts") or []:
                descriptor = descendant.get_object().get("/FontDescriptor")
                if descriptor is not None and "/FontFile3" in descriptor.get_object():
                    fonts.add(str(descendant.get_object().get("/BaseFont")) + " (embedded)")
    return text, fonts


def first_page_png(data: bytes, tmp_path: Path) -> Image.Image:
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed: make system-deps")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(data)
    subprocess.run(
        ["pdftoppm", "-r", "50", "-f", "1", "-l", "1", "-png", str(pdf), str(tmp_path / "page")],
        check=True,
        timeout=60,
    )
    (png,) = tmp_path.glob("page*.png")
    return Image.open(png).convert("L")


def inked_share(image: Image.Image) -> float:
    """The share of pixels that are clearly not white."""
    histogram = image.histogram()
    return sum(histogram[:200]) / (image.width * image.height)


# --- the form --------------------------------------------------------------------------------


def test_the_ciso_writes_a_board_report(ciso_client: Client, org: Organisation) -> None:
    page = ciso_client.get(reverse("reports:board_create") + "?year=2025")
    assert page.status_code == 200 and page.context["form"].initial["year"] == 2025
    response = ciso_client.post(
        reverse("reports:board_create"), {"year": 2025, **NARRATIVES, "budget_planned": 1000}
    )
    report = BoardReport.objects.get(organisation=org, year=2025)
    assert response.status_code == 302 and response.url == reverse(
        "reports:board_detail", args=[report.pk]
    )
    assert report.status == DocumentStatus.DRAFT
    assert report.prepared_by.username.startswith("ciso")
    assert AuditEvent.objects.filter(model="reports.boardreport", action="create").exists()


def test_bad_input_is_refused_with_a_message(ciso_client: Client, org: Organisation) -> None:
    board_report(org, 2025)
    response = ciso_client.post(
        reverse("reports:board_create"), {"year": 2025, "budget_planned": "-5"}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "year" in errors and "budget_planned" in errors
    assert BoardReport.objects.filter(organisation=org).count() == 1


def test_the_same_year_in_another_organisation_is_no_clash(
    ciso_client: Client, org: Organisation, other_org: Organisation
) -> None:
    board_report(other_org, 2025)
    response = ciso_client.post(reverse("reports:board_create"), {"year": 2025})
    assert response.status_code == 302


def test_who_may_do_what(client_for: Any, org: Organisation) -> None:
    report = board_report(org)
    board = client_for(Role.BOARD, org)
    assert board.get(reverse("reports:index")).status_code == 200
    # A draft is not for the board (see test_board_report_reading).
    assert board.get(reverse("reports:board_detail", args=[report.pk])).status_code == 404
    assert board.get(reverse("reports:board_pdf", args=[report.pk])).status_code == 404
    assert board.get(reverse("reports:board_create")).status_code == 403
    assert board.get(reverse("reports:board_edit", args=[report.pk])).status_code == 403
    assert board.post(reverse("reports:board_finalise", args=[report.pk])).status_code == 403
    assert board.post(reverse("reports:board_delete", args=[report.pk])).status_code == 403
    owner = client_for(Role.CONTROL_OWNER, org)
    assert owner.get(reverse("reports:board_detail", args=[report.pk])).status_code == 200
    assert owner.post(reverse("reports:board_finalise", args=[report.pk])).status_code == 403
    report.refresh_from_db()
    assert report.status == DocumentStatus.DRAFT


def test_another_organisations_documents_are_not_found(
    ciso_client: Client, other_org: Organisation
) -> None:
    report = board_report(other_org)
    statement = declaration(other_org)
    for name in ("board_detail", "board_edit", "board_pdf", "board_docx"):
        assert ciso_client.get(reverse(f"reports:{name}", args=[report.pk])).status_code == 404
    for name in ("board_finalise", "board_delete"):
        assert ciso_client.post(reverse(f"reports:{name}", args=[report.pk])).status_code == 404
    for name in ("declaration_detail", "declaration_edit", "declaration_pdf", "declaration_docx"):
        assert ciso_client.get(reverse(f"reports:{name}", args=[statement.pk])).status_code == 404
    for name in ("declaration_finalise", "declaration_delete"):
        url = reverse(f"reports:{name}", args=[statement.pk])
        assert ciso_client.post(url).status_code == 404
    report.refresh_from_db()
    assert report.status == DocumentStatus.DRAFT and BoardReport.objects.filter(pk=report.pk)


# --- making it final -------------------------------------------------------------------------


def test_a_report_with_an_empty_section_cannot_be_final(
    ciso_client: Client, org: Organisation
) -> None:
    report = board_report(org, major_incidents="")
    response = ciso_client.post(reverse("reports:board_finalise", args=[report.pk]), follow=True)
    report.refresh_from_db()
    assert report.status == DocumentStatus.DRAFT and not report.snapshot
    assert "重大資安事件與改善措施" in response.content.decode()


def test_a_final_report_keeps_the_figures_it_was_signed_with(
    ciso_client: Client, org: Organisation
) -> None:
    populate(org)
    report = board_report(org)
    ciso_client.post(reverse("reports:board_finalise", args=[report.pk]))
    report.refresh_from_db()
    assert report.status == DocumentStatus.FINAL and report.signed_at and report.signed_by
    assert len(report.snapshot_sha256) == 64
    signed = {f["code"]: f["counts"] for f in report.snapshot["frameworks"]}
    # The data changes afterwards: the report does not.
    RequirementResult.objects.filter(organisation=org).update(result=Result.COMPLIANT)
    Finding.objects.create(organisation=org, title="Found later", due_date=dt.date(2025, 1, 1))
    page = ciso_client.get(reverse("reports:board_detail", args=[report.pk]))
    assert {f["code"]: f["counts"] for f in page.context["data"]["frameworks"]} == signed
    assert page.context["data"]["findings"]["open"] == 3
    # And it can no longer be edited or deleted.
    response = ciso_client.post(
        reverse("reports:board_edit", args=[report.pk]), {"year": 2025, "summary": "changed"}
    )
    assert response.status_code == 302
    ciso_client.post(reverse("reports:board_delete", args=[report.pk]))
    report.refresh_from_db()
    assert report.summary == NARRATIVES["summary"]


def test_a_draft_can_be_deleted(ciso_client: Client, org: Organisation) -> None:
    report = board_report(org)
    response = ciso_client.post(reverse("reports:board_delete", args=[report.pk]))
    assert response.status_code == 302 and not BoardReport.objects.filter(pk=report.pk).exists()


# --- PDF and Word ------------------------------------------------------------------------------


def test_the_board_report_pdf_in_traditional_chinese(
    ciso_client: Client, org: Organisation, tmp_path: Path
) -> None:
    populate(org)
    report = board_report(org)
    response = ciso_client.get(reverse("reports:board_pdf", args=[report.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text, fonts = pdf_text(response.content)
    compact = text.replace("\n", "").replace(" ", "")
    for heading in HEADINGS_ZH:
        assert heading in compact, heading
    assert "資安長" in compact or "董事會" in compact
    assert "114年度資安整體執行情形良好" in compact  # the CISO's own narrative
    assert any("CJK" in font and "(embedded)" in font for font in fonts), fonts
    # Every glyph came from the CJK font (a missing one would need a fallback font).
    assert all("CJK" in font for font in fonts if "(embedded)" in font), fonts
    page = first_page_png(response.content, tmp_path)
    assert inked_share(page) > 0.01  # not blank: text, a table and a chart


def test_the_board_report_pdf_in_english(ciso_client: Client, org: Organisation) -> None:
    report = board_report(org)
    ciso_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = ciso_client.get(reverse("reports:board_pdf", args=[report.pk]))
    text, _ = pdf_text(response.content)
    flat = " ".join(text.split())
    for heading in HEADINGS_EN:
        assert heading in flat, heading
    assert "en.pdf" in response["Content-Disposition"]


def test_the_board_report_in_word(ciso_client: Client, org: Organisation) -> None:
    populate(org)
    report = board_report(org)
    response = ciso_client.get(reverse("reports:board_docx", args=[report.pk]))
    assert response.status_code == 200
    document = Document(io.BytesIO(response.content))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    for heading in HEADINGS_ZH:
        assert any(heading in text for text in headings), heading
    runs = [run for p in document.paragraphs for run in p.runs if run.text.strip()]
    assert runs and all(run._element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) for run in runs)
    normal = document.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert normal.get(qn("w:eastAsia"))
    assert len(document.inline_shapes) >= 2  # compliance and maturity charts
    tables = [[cell.text for cell in table.rows[0].cells] for table in document.tables]
    assert any("NIST CSF 2.0" in " ".join(row) or "2025" in row for row in tables)


def test_a_board_member_downloads_the_report(client_for: Any, org: Organisation) -> None:
    report = board_report(org)
    BoardReport.objects.filter(pk=report.pk).update(status=DocumentStatus.FINAL)
    board = client_for(Role.BOARD, org)
    response = board.get(reverse("reports:board_docx", args=[report.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")


# --- the declaration ---------------------------------------------------------------------------


def test_the_ciso_prepares_the_declaration_with_its_signatories(
    ciso_client: Client, org: Organisation
) -> None:
    page = ciso_client.get(reverse("reports:declaration_create") + "?year=2025")
    formset = page.context["formset"]
    assert [form.initial["title"] for form in formset.forms] == [
        "董事長",
        "總經理",
        "總稽核",
        "資訊安全長",
    ]
    assert "114" in page.context["form"].initial["statement"]
    data = {
        "year": 2025,
        "declared_on": "2026-03-20",
        "statement": page.context["form"].initial["statement"],
        "signatories-TOTAL_FORMS": 4,
        "signatories-INITIAL_FORMS": 0,
        "signatories-MIN_NUM_FORMS": 0,
        "signatories-MAX_NUM_FORMS": 12,
    }
    for index, (title, name) in enumerate(demo.SIGNATORIES):
        data.update(
            {
                f"signatories-{index}-position": index + 1,
                f"signatories-{index}-title": title,
                f"signatories-{index}-name": name,
                f"signatories-{index}-signed_on": "",
            }
        )
    response = ciso_client.post(reverse("reports:declaration_create"), data)
    assert response.status_code == 302, response.context and response.context["formset"].errors
    found = Declaration.objects.get(organisation=org, year=2025)
    assert [s.title for s in found.signatories.all()] == [
        "董事長",
        "總經理",
        "總稽核",
        "資訊安全長",
    ]
    assert {s.organisation_id for s in found.signatories.all()} == {org.pk}
    # Unsigned signatories keep it from being final.
    follow = ciso_client.post(reverse("reports:declaration_finalise", args=[found.pk]), follow=True)
    found.refresh_from_db()
    assert found.status == DocumentStatus.DRAFT
    assert "王大明" in follow.content.decode()


def test_a_declaration_without_signatories_is_refused(
    ciso_client: Client, org: Organisation
) -> None:
    data = {
        "year": 2025,
        "statement": "聲明",
        "signatories-TOTAL_FORMS": 1,
        "signatories-INITIAL_FORMS": 0,
        "signatories-MIN_NUM_FORMS": 0,
        "signatories-MAX_NUM_FORMS": 12,
        # The row as proposed (the chairman's title, no name) counts as left empty.
        "signatories-0-position": 1,
        "signatories-0-title": "董事長",
        "signatories-0-name": "",
    }
    response = ciso_client.post(reverse("reports:declaration_create"), data)
    assert response.status_code == 200
    assert response.context["formset"].non_form_errors()
    assert not Declaration.objects.filter(organisation=org).exists()


def test_a_signed_declaration_is_final_and_printed(
    ciso_client: Client, org: Organisation, tmp_path: Path
) -> None:
    found = declaration(org)
    ciso_client.post(reverse("reports:declaration_finalise", args=[found.pk]))
    found.refresh_from_db()
    assert found.status == DocumentStatus.FINAL and found.finalised_at
    response = ciso_client.get(reverse("reports:declaration_pdf", args=[found.pk]))
    text, fonts = pdf_text(response.content)
    compact = text.replace("\n", "").replace(" ", "")
    assert "資訊安全整體執行情形聲明書" in compact
    for title, name in demo.SIGNATORIES:
        assert title in compact and name in compact
    assert any("CJK" in font for font in fonts)
    assert inked_share(first_page_png(response.content, tmp_path)) > 0.005
    document = Document(
        io.BytesIO(ciso_client.get(reverse("reports:declaration_docx", args=[found.pk])).content)
    )
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert "王大明" in cells and "資訊安全長" in cells
    # Final: no more changes.
    edit = ciso_client.post(
        reverse("reports:declaration_edit", args=[found.pk]), {"year": 2025, "statement": "x"}
    )
    assert edit.status_code == 302
    found.refresh_from_db()
    assert found.statement.startswith("本公司")


# --- API ---------------------------------------------------------------------------------------


def test_board_reports_through_the_api(
    client_for: Any, ciso_client: Client, org: Organisation, other_org: Organisation
) -> None:
    foreign = board_report(other_org, 2024)
    created = ciso_client.post(
        "/api/board-reports/",
        {"year": 2025, **NARRATIVES},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    duplicate = ciso_client.post(
        "/api/board-reports/", {"year": 2025}, content_type="application/json"
    )
    assert duplicate.status_code == 400 and "year" in duplicate.json()
    listed = ciso_client.get("/api/board-reports/").json()
    assert [row["id"] for row in listed["results"]] == [pk]
    assert ciso_client.get(f"/api/board-reports/{foreign.pk}/").status_code == 404
    assert (
        ciso_client.patch(
            f"/api/board-reports/{foreign.pk}/", {"summary": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
    board = client_for(Role.BOARD, org)
    assert board.get(f"/api/board-reports/{pk}/").status_code == 404  # a draft
    assert board.post(f"/api/board-reports/{pk}/finalise/").status_code == 403
    assert (
        board.patch(
            f"/api/board-reports/{pk}/", {"summary": "x"}, content_type="application/json"
        ).status_code
        == 403
    )
    final = ciso_client.post(f"/api/board-reports/{pk}/finalise/")
    assert final.status_code == 200 and final.json()["status"] == "final"
    assert board.get(f"/api/board-reports/{pk}/").status_code == 200
    conflict = ciso_client.patch(
        f"/api/board-reports/{pk}/", {"summary": "x"}, content_type="application/json"
    )
    assert conflict.status_code == 409 and conflict.json()["detail"]
    assert ciso_client.delete(f"/api/board-reports/{pk}/").status_code == 409


def test_declarations_through_the_api(ciso_client: Client, org: Organisation) -> None:
    body = {
        "year": 2025,
        "statement": "聲明",
        "signatories": [
            {"position": 1, "title": "董事長", "name": "王大明", "signed_on": None},
            {"position": 2, "title": "資訊安全長", "name": "林書豪", "signed_on": "2026-03-20"},
        ],
    }
    created = ciso_client.post("/api/declarations/", body, content_type="application/json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert [s["name"] for s in created.json()["signatories"]] == ["王大明", "林書豪"]
    refused = ciso_client.post(f"/api/declarations/{pk}/finalise/")
    assert refused.status_code == 409 and "王大明" in refused.json()["detail"]
    body["declared_on"] = "2026-03-20"
    body["signatories"][0]["signed_on"] = "2026-03-20"
    updated = ciso_client.put(f"/api/declarations/{pk}/", body, content_type="application/json")
    assert updated.status_code == 200
    assert ciso_client.post(f"/api/declarations/{pk}/finalise/").json()["status"] == "final"
    empty = ciso_client.post(
        "/api/declarations/",
        {"year": 2024, "statement": "x", "signatories": []},
        content_type="application/json",
    )
    assert empty.status_code == 400 and "signatories" in empty.json()


# --- demo --------------------------------------------------------------------------------------


def test_demo_loads_reports_once() -> None:
    from finres.web.orgs import demo as orgs_demo
    from finres.web.setup import DemoContext

    context = DemoContext()
    orgs_demo.load(context)
    demo.load(context)
    demo.load(context)  # idempotent
    securities = context.organisations["securities"]
    reports = {r.year: r.status for r in BoardReport.objects.filter(organisation=securities)}
    assert reports == {2025: DocumentStatus.FINAL, 2026: DocumentStatus.DRAFT}
    statement = Declaration.objects.get(organisation=securities, year=2025)
    assert statement.status == DocumentStatus.FINAL and statement.signatories.count() == 4
    final = BoardReport.objects.get(organisation=securities, year=2025)
    assert final.snapshot["year"] == 2025 and final.signed_by.username == "demo-ciso"


def test_report_figures_through_the_api(client_for: Any, org: Organisation) -> None:
    populate(org)
    report = board_report(org)
    BoardReport.objects.filter(pk=report.pk).update(status=DocumentStatus.FINAL)
    board = client_for(Role.BOARD, org)
    data = board.get(f"/api/board-reports/{report.pk}/data/").json()
    assert data["year"] == 2025
    assert {f["code"] for f in data["frameworks"]} >= {"iso27001-2022-annex-a"}
    assert data["findings"]["open"] == 3 and data["exceptions"]["active"] == 1
