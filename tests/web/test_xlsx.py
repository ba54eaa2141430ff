"""Assessments in Excel: export, gap report, import (round trip, every error, all or nothing)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from finres.web.assessments.models import RequirementResult, Result
from finres.web.audit.models import AuditEvent
from finres.web.evidence import services, xlsx
from finres.web.improvements.models import Finding
from finres.web.orgs.roles import Role

from . import test_evidence as shared
from .test_evidence import ISO, TWSE, make_assessment, make_file_evidence

# The shared fixtures: English messages, and clients that ask for English pages.
english = shared.english
client_for = shared.client_for

pytestmark = pytest.mark.django_db

COLUMN = {c.key: index for index, c in enumerate(xlsx.COLUMNS, start=1)}


@pytest.fixture
def assessment(org: Any, make_user: Any) -> Any:
    assessment = make_assessment(org, ISO, limit=8)
    owner = make_user(Role.CONTROL_OWNER, org, username="alice")
    results = list(assessment.results.order_by("requirement__position"))
    results[0].result = Result.COMPLIANT
    results[0].maturity_level = 3
    results[0].owner = owner
    results[0].due_date = dt.date(2026, 6, 30)
    results[0].comments = "Policy approved by the board.\nReviewed yearly."
    results[0].save()
    results[1].result = Result.NOT_APPLICABLE
    results[1].not_applicable_reason = "No such activity."
    results[1].save()
    results[2].result = Result.NON_COMPLIANT
    results[2].comments = '=HYPERLINK("http://evil.example","click")'
    results[2].save()
    results[3].result = Result.PARTIAL
    results[3].save()
    evidence = make_file_evidence(org, title="Board minutes", results=[results[0], results[3]])
    make_file_evidence(org, title="Annual review", results=[results[0]])
    assert evidence.pk
    return assessment


def export(assessment: Any, language: str = "en") -> bytes:
    with translation.override(language):
        return xlsx.export_assessment(assessment)


def workbook(data: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(data))


def save(book: Any) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def edit(data: bytes, change: Callable[[Any], None]) -> bytes:
    book = workbook(data)
    change(book)
    return save(book)


def import_bytes(assessment: Any, data: bytes, language: str = "en") -> xlsx.ImportReport:
    with translation.override(language):
        return xlsx.import_results(assessment, io.BytesIO(data), file_name="results.xlsx")


def snapshot(assessment: Any) -> list[tuple[Any, ...]]:
    return list(
        RequirementResult.objects.filter(assessment=assessment)
        .order_by("pk")
        .values_list(
            "pk",
            "result",
            "maturity_level",
            "owner_id",
            "due_date",
            "comments",
            "not_applicable_reason",
            "updated",
        )
    )


def row_of(sheet: Any, code: str) -> int:
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row=row, column=COLUMN["requirement"]).value == code:
            return row
    raise AssertionError(code)


# --- export --------------------------------------------------------------------------------------


def test_export_has_every_result_and_a_hidden_locked_metadata_sheet(assessment: Any) -> None:
    book = workbook(export(assessment))
    sheet = book.worksheets[0]
    assert [sheet.cell(row=1, column=i).value for i in range(1, len(xlsx.COLUMNS) + 1)] == [
        "Framework",
        "Requirement ID",
        "Reference",
        "Title",
        "Obligation",
        "Result",
        "Maturity level",
        "Owner (user name)",
        "Due date",
        "Comments",
        "Reason it does not apply",
        "Evidence",
    ]
    assert sheet.max_row == 1 + assessment.results.count()
    first = assessment.results.order_by("requirement__position").first()
    row = row_of(sheet, first.requirement.code)
    values = {key: sheet.cell(row=row, column=index).value for key, index in COLUMN.items()}
    assert values["framework"] == ISO
    assert values["title"] == first.requirement.title("en")
    assert values["result"] == "Compliant"
    assert values["maturity_level"] == 3
    assert values["owner"] == "alice"
    assert values["due_date"].date() == dt.date(2026, 6, 30)
    assert values["comments"] == "Policy approved by the board.\nReviewed yearly."
    assert values["evidence"] == "Annual review\nBoard minutes"
    meta = book[xlsx.META_SHEET]
    assert meta.sheet_state == "hidden"
    assert meta.protection.sheet
    entries = {
        meta.cell(row=r, column=1).value: meta.cell(row=r, column=2).value
        for r in range(1, meta.max_row + 1)
    }
    assert entries["format"] == xlsx.FORMAT
    assert entries["format_version"] == xlsx.FORMAT_VERSION
    assert entries["assessment_id"] == assessment.pk
    # A comment that looks like a formula stays text.
    injected = sheet.cell(
        row=row_of(sheet, assessment.results.get(result=Result.NON_COMPLIANT).requirement.code),
        column=COLUMN["comments"],
    )
    assert injected.data_type == "s"


def test_export_follows_the_language(assessment: Any) -> None:
    sheet = workbook(export(assessment, "zh-hant")).worksheets[0]
    first = assessment.results.order_by("requirement__position").first()
    row = row_of(sheet, first.requirement.code)
    assert sheet.cell(row=row, column=COLUMN["title"]).value == first.requirement.title("zh-TW")
    assert sheet.cell(row=1, column=COLUMN["requirement"]).value != "Requirement ID"


def test_export_query_count_does_not_grow(org: Any, django_assert_max_num_queries: Any) -> None:
    small = make_assessment(org, ISO, limit=3)
    large = make_assessment(org, TWSE)
    for result in list(large.results.all())[:10]:
        make_file_evidence(org, title=f"e{result.pk}", results=[result])
    with django_assert_max_num_queries(10) as counted:
        xlsx.export_assessment(small)
    with django_assert_max_num_queries(len(counted.captured_queries)):
        xlsx.export_assessment(large)


# --- round trip ----------------------------------------------------------------------------------


def test_export_then_import_unchanged_changes_nothing(assessment: Any) -> None:
    before = snapshot(assessment)
    events = AuditEvent.objects.filter(model="assessments.requirementresult").count()
    for language in ("en", "zh-hant"):
        report = import_bytes(assessment, export(assessment, language), language)
        assert report.ok, report.errors
        assert report.applied
        assert report.rows == assessment.results.count()
        assert report.changed == 0
    assert snapshot(assessment) == before
    assert AuditEvent.objects.filter(model="assessments.requirementresult").count() == events


def test_a_workbook_exported_in_english_imports_for_a_chinese_user(assessment: Any) -> None:
    data = export(assessment, "en")
    first = assessment.results.order_by("requirement__position").first()

    def change(book: Any) -> None:
        sheet = book.worksheets[0]
        sheet.cell(
            row=row_of(sheet, first.requirement.code), column=COLUMN["result"]
        ).value = "Partially compliant"

    report = import_bytes(assessment, edit(data, change), "zh-hant")
    assert report.ok and report.changed == 1
    first.refresh_from_db()
    assert first.result == Result.PARTIAL


def test_import_applies_changes_and_audits_them_in_one_event(
    assessment: Any, make_user: Any, org: Any
) -> None:
    bob = make_user(Role.CISO, org, username="bob")
    results = list(assessment.results.order_by("requirement__position"))
    data = export(assessment)

    def change(book: Any) -> None:
        sheet = book.worksheets[0]
        row = row_of(sheet, results[4].requirement.code)
        sheet.cell(row=row, column=COLUMN["result"]).value = "non_compliant"  # a key works too
        sheet.cell(row=row, column=COLUMN["maturity_level"]).value = 2
        sheet.cell(row=row, column=COLUMN["owner"]).value = "BOB"
        sheet.cell(row=row, column=COLUMN["due_date"]).value = "2026/09/30"
        sheet.cell(row=row, column=COLUMN["comments"]).value = "Gap in logging."
        row = row_of(sheet, results[5].requirement.code)
        sheet.cell(row=row, column=COLUMN["result"]).value = "Not applicable"
        sheet.cell(row=row, column=COLUMN["not_applicable_reason"]).value = "  Outsourced.  "
        row = row_of(sheet, results[0].requirement.code)
        sheet.cell(row=row, column=COLUMN["owner"]).value = None
        sheet.cell(row=row, column=COLUMN["due_date"]).value = dt.datetime(2026, 7, 31)
        sheet.cell(row=row, column=COLUMN["title"]).value = "titles are not imported"

    report = import_bytes(assessment, edit(data, change))
    assert report.ok, report.errors
    assert report.changed == 3
    for result in results:
        result.refresh_from_db()
    assert (
        results[4].result,
        results[4].maturity_level,
        results[4].owner,
        results[4].due_date,
        results[4].comments,
    ) == (Result.NON_COMPLIANT, 2, bob, dt.date(2026, 9, 30), "Gap in logging.")
    assert (results[5].result, results[5].not_applicable_reason) == (
        Result.NOT_APPLICABLE,
        "Outsourced.",
    )
    assert results[0].owner is None and results[0].due_date == dt.date(2026, 7, 31)
    assert results[0].requirement.title("en") != "titles are not imported"
    # One chained event for the whole import, carrying every changed row (no event per row).
    assert not AuditEvent.objects.filter(
        model="assessments.requirementresult", object_id=str(results[4].pk)
    ).exists()
    summary = AuditEvent.objects.get(model="assessments.assessment", action="import")
    assert summary.changes["changed"] == 3 and summary.changes["rows"] == 8
    bulk = summary.changes["bulk"]
    assert bulk["model"] == "assessments.requirementresult" and bulk["count"] == 3
    changes = {key: row["changes"] for key, row in bulk["rows"].items()}
    assert summary.object_id == "bulk" and summary.changes["assessment"] == assessment.pk
    assert set(changes) == {str(results[i].pk) for i in (0, 4, 5)}
    event = changes[str(results[4].pk)]
    assert event["result"] == ["not_assessed", "non_compliant"]
    assert event["owner_id"] == [None, bob.pk]
    assert event["due_date"] == [None, "2026-09-30"]
    # Importing the same file again changes nothing more.
    assert import_bytes(assessment, edit(data, change)).changed == 0


def test_only_the_columns_present_are_imported(assessment: Any) -> None:
    first = assessment.results.order_by("requirement__position").first()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Requirement ID", "Result"])
    sheet.append([first.requirement.code, "Non-compliant"])
    meta = book.create_sheet(xlsx.META_SHEET)
    meta.append(["format", xlsx.FORMAT])
    meta.append(["format_version", xlsx.FORMAT_VERSION])
    meta.append(["assessment_id", assessment.pk])
    report = import_bytes(assessment, save(book))
    assert report.ok, report.errors
    first.refresh_from_db()
    assert first.result == Result.NON_COMPLIANT
    assert first.owner.username == "alice"  # untouched: no owner column
    assert first.comments.startswith("Policy approved")


# --- import errors -------------------------------------------------------------------------------


def _clear(cell: Any) -> None:
    cell.value = None


def _cell(book: Any, code: str, key: str, value: Any) -> None:
    sheet = book.worksheets[0]
    sheet.cell(row=row_of(sheet, code), column=COLUMN[key]).value = value


def test_every_bad_row_is_reported_and_nothing_is_imported(
    assessment: Any, org: Any, other_org: Any, make_user: Any
) -> None:
    make_user(Role.CISO, other_org, username="mallory")
    make_user(Role.AUDITOR, org, username="reader")  # a member, but not one who may own results
    codes = [r.requirement.code for r in assessment.results.order_by("requirement__position")]
    outside = (
        assessment.framework.requirements.filter(assessable=True)
        .exclude(code__in=codes)
        .order_by("position")
        .first()
    )
    data = export(assessment)

    def change(book: Any) -> None:
        sheet = book.worksheets[0]
        _cell(book, codes[7], "comments", "a good change that must not be applied")
        _cell(book, codes[0], "result", "Mostly fine")
        _cell(book, codes[1], "not_applicable_reason", None)
        _cell(book, codes[2], "maturity_level", 9)
        _cell(book, codes[3], "owner", "mallory")
        _cell(book, codes[4], "due_date", "31/12/2026")
        _cell(book, codes[5], "maturity_level", "high")
        _cell(book, codes[6], "owner", "reader")
        last = sheet.max_row
        sheet.cell(row=last + 1, column=COLUMN["requirement"]).value = "A.99.99"
        sheet.cell(row=last + 2, column=COLUMN["requirement"]).value = outside.code
        sheet.cell(row=last + 3, column=COLUMN["requirement"]).value = codes[7]
        sheet.cell(row=last + 4, column=COLUMN["requirement"]).value = "cc-12000-isms"
        sheet.cell(row=last + 4, column=COLUMN["framework"]).value = TWSE
        sheet.cell(row=last + 6, column=COLUMN["comments"]).value = "a row without an ID"

    before = snapshot(assessment)
    events = AuditEvent.objects.count()
    report = import_bytes(assessment, edit(data, change))
    assert not report.ok and not report.applied
    found = {(e.row, e.column): e.message for e in report.errors}
    header_rows = {code: index for index, code in enumerate(codes, start=2)}
    last = 1 + len(codes)
    expected = {
        (header_rows[codes[0]], "Result"): "is not a result",
        (header_rows[codes[1]], "Reason it does not apply"): "needs a reason",
        (header_rows[codes[2]], "Maturity level"): "is not a maturity level",
        (header_rows[codes[3]], "Owner (user name)"): "mallory",
        (header_rows[codes[4]], "Due date"): "is not a date",
        (header_rows[codes[5]], "Maturity level"): "“high”",
        (header_rows[codes[6]], "Owner (user name)"): "reader",
        (last + 1, "Requirement ID"): "Unknown requirement ID A.99.99",
        (last + 2, "Requirement ID"): "is not part of this assessment",
        (last + 3, "Requirement ID"): f"appears again (first on row {header_rows[codes[7]]})",
        (last + 4, "Framework"): "is not this assessment's framework",
        (last + 6, "Requirement ID"): "missing",
    }
    for key, fragment in expected.items():
        assert key in found, (key, found)
        assert fragment in found[key], (key, found[key])
    assert len(report.errors) == len(expected)
    assert snapshot(assessment) == before  # not even the good row
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda a, data: b"%PDF-1.4 not a workbook", "not an Excel workbook"),
        (lambda a, data: b"", "empty"),
        (lambda a, data: b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "old Excel file"),
        (lambda a, data: b"PK\x03\x04broken", "damaged"),
        (
            lambda a, data: edit(data, lambda b: b.remove(b[xlsx.META_SHEET])),
            "not exported by FinRes",
        ),
        (
            lambda a, data: edit(data, lambda b: b[xlsx.META_SHEET].cell(3, 2, a.pk + 1000)),
            "exported from another assessment",
        ),
        (
            lambda a, data: edit(data, lambda b: b[xlsx.META_SHEET].cell(2, 2, 99)),
            "format version 99",
        ),
        (
            lambda a, data: edit(data, lambda b: b.worksheets[0].cell(1, 13, "Colour")),
            "not understood: “Colour”",
        ),
        (
            lambda a, data: edit(data, lambda b: _clear(b.worksheets[0].cell(1, 2))),
            "no “Requirement ID” column",
        ),
    ],
)
def test_whole_file_problems(assessment: Any, make: Callable[..., bytes], message: str) -> None:
    before = snapshot(assessment)
    report = import_bytes(assessment, make(assessment, export(assessment)))
    assert not report.ok
    assert len(report.errors) == 1 and report.errors[0].row == 0
    assert message in report.errors[0].message
    assert snapshot(assessment) == before


def test_a_completed_assessment_is_read_only(assessment: Any) -> None:
    data = export(assessment)
    first = assessment.results.order_by("requirement__position").first()
    changed = edit(data, lambda b: _cell(b, first.requirement.code, "result", "Non-compliant"))
    assessment.status = assessment.Status.COMPLETED
    assessment.save()
    report = import_bytes(assessment, changed)
    assert "completed" in report.errors[0].message and not report.applied
    first.refresh_from_db()
    assert first.result == Result.COMPLIANT


def test_another_assessments_workbook_is_refused(assessment: Any, org: Any) -> None:
    other = make_assessment(org, ISO, limit=8, start=dt.date(2025, 1, 1))
    report = import_bytes(other, export(assessment))
    assert "exported from another assessment" in report.errors[0].message


def test_size_and_row_limits(assessment: Any, settings: Any) -> None:
    data = export(assessment)
    settings.FINRES_XLSX_MAX_BYTES = len(data) - 1
    assert "larger than the limit" in import_bytes(assessment, data).errors[0].message
    settings.FINRES_XLSX_MAX_BYTES = len(data)
    settings.FINRES_XLSX_MAX_ROWS = 5
    assert "more than 5 rows" in import_bytes(assessment, data).errors[0].message
    settings.FINRES_XLSX_MAX_ROWS = 8
    settings.FINRES_XLSX_MAX_UNCOMPRESSED_BYTES = 1000
    assert "unpacks to more than" in import_bytes(assessment, data).errors[0].message
    settings.FINRES_XLSX_MAX_UNCOMPRESSED_BYTES = 10**8
    assert import_bytes(assessment, data).ok


def test_macro_enabled_workbooks_are_refused(assessment: Any) -> None:
    import zipfile

    data = export(assessment)
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr("xl/vbaProject.bin", b"\x00" * 10)
    report = import_bytes(assessment, buffer.getvalue())
    assert "macros" in report.errors[0].message


# --- gap report ----------------------------------------------------------------------------------


def test_gap_report_lists_only_gaps_worst_first_with_improvement_plans(
    assessment: Any, org: Any
) -> None:
    non_compliant = assessment.results.get(result=Result.NON_COMPLIANT)
    Finding.objects.create(
        organisation=org,
        title="Logging not centralised",
        result=non_compliant,
        plan="Deploy a SIEM by Q3.",
        due_date=dt.date(2026, 9, 30),
    )
    with translation.override("en"):
        book = workbook(xlsx.gap_report(assessment))
    summary, gaps = book.worksheets
    header = [c.value for c in gaps[1]]
    results_column = header.index("Result") + 1
    rows = [
        [gaps.cell(row=r, column=c).value for c in range(1, len(header) + 1)]
        for r in range(2, gaps.max_row + 1)
    ]
    expected = assessment.results.filter(
        result__in=[Result.NON_COMPLIANT, Result.PARTIAL, Result.NOT_ASSESSED]
    ).count()
    assert len(rows) == expected == 6
    labels = [row[results_column - 1] for row in rows]
    assert labels[0] == "Non-compliant" and labels[1] == "Partially compliant"
    assert set(labels[2:]) == {"Not assessed"}
    first = dict(zip(header, rows[0], strict=True))
    assert "Logging not centralised" in first["Findings"]
    assert first["Improvement plan"] == "Deploy a SIEM by Q3."
    assert "Compliant" not in labels and "Not applicable" not in labels
    summary_text = " ".join(str(c.value) for row in summary.iter_rows() for c in row if c.value)
    assert assessment.name in summary_text


# --- pages ---------------------------------------------------------------------------------------


def test_export_gap_and_import_pages(
    client_for: Any, assessment: Any, org: Any, other_org: Any
) -> None:
    auditor = client_for(Role.AUDITOR, org)
    export_url = reverse("evidence:assessment_export", args=[assessment.pk])
    response = auditor.get(export_url)
    assert response.status_code == 200
    assert response["Content-Type"] == xlsx.XLSX_CONTENT_TYPE
    assert response["Content-Disposition"].startswith("attachment;")
    gaps = auditor.get(reverse("evidence:gap_report", args=[assessment.pk]))
    assert gaps.status_code == 200
    import_url = reverse("evidence:assessment_import", args=[assessment.pk])
    assert auditor.get(import_url).status_code == 403  # read-only
    outsider = client_for(Role.ADMINISTRATOR, other_org)
    for url in (export_url, import_url, reverse("evidence:gap_report", args=[assessment.pk])):
        assert outsider.get(url).status_code == 404
    assert client_for(Role.BOARD, org).get(export_url).status_code == 403

    owner = client_for(Role.CONTROL_OWNER, org)
    first = assessment.results.order_by("requirement__position").first()
    changed = edit(
        response.content, lambda b: _cell(b, first.requirement.code, "maturity_level", 4)
    )
    ok = owner.post(import_url, {"file": SimpleUploadedFile("r.xlsx", changed)}, follow=True)
    assert ok.status_code == 200
    first.refresh_from_db()
    assert first.maturity_level == 4
    bad = edit(response.content, lambda b: _cell(b, first.requirement.code, "result", "??"))
    refused = owner.post(import_url, {"file": SimpleUploadedFile("r.xlsx", bad)})
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "data-import-errors" in body and "??" in body
    assert (
        outsider.post(import_url, {"file": SimpleUploadedFile("r.xlsx", changed)}).status_code
        == 404
    )


def test_row_numbers_reported_match_the_sheet(assessment: Any) -> None:
    data = export(assessment)
    code = assessment.results.order_by("requirement__position")[4].requirement.code

    def change(book: Any) -> None:
        sheet = book.worksheets[0]
        sheet.insert_rows(3, amount=2)  # blank rows are skipped but still counted
        _cell(book, code, "result", "bad")

    report = import_bytes(assessment, edit(data, change))
    assert [e.row for e in report.errors] == [2 + 4 + 2]


def test_linked_evidence_titles_follow_new_versions(assessment: Any, org: Any) -> None:
    first = assessment.results.order_by("requirement__position").first()
    old = first.evidence_links.select_related("evidence").first().evidence
    services.create_evidence(
        organisation=org,
        user=None,
        title="Board minutes 2026",
        url="https://example.org/m",
        supersedes=old,
    )
    sheet = workbook(export(assessment)).worksheets[0]
    text = sheet.cell(row=row_of(sheet, first.requirement.code), column=COLUMN["evidence"]).value
    assert "2026" in text


def test_an_imported_change_is_in_the_results_history(
    assessment: Any, client_for: Any, org: Any
) -> None:
    """The import's one audit event carries the row: the result's page finds it there."""
    row = assessment.results.order_by("requirement__position")[4]
    data = export(assessment)

    def change(book: Any) -> None:
        sheet = book.worksheets[0]
        cell = sheet.cell(row=row_of(sheet, row.requirement.code), column=COLUMN["comments"])
        cell.value = "Imported comment"

    assert import_bytes(assessment, edit(data, change)).changed == 1
    page = client_for(Role.CISO, org).get(reverse("assessments:result", args=[row.pk]))
    history = page.context["history"]
    assert [(e.action, e.object_id) for e in history][:1] == [("import", "bulk")]
    assert history[0].row_changes["comments"] == ["", "Imported comment"]
    assert "Imported comment" in page.content.decode()
