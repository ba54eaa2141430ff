"""Assessments in Excel: the full export, the gap report, and importing results back.

The export and the import share one format (``FORMAT``, version ``FORMAT_VERSION``): a data
sheet with one row per requirement result and a hidden, protected metadata sheet naming the
assessment. Columns are found by their header (in either language, or the column key), so a
workbook exported in English imports for a user working in Chinese and the other way round.

The import (``xlsx_import``, re-exported here) checks a file whole before anything is written:
every row is validated, every problem is reported with its row number, and only a file without
any problem is applied, in one short transaction, with one audit event for all its rows.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

import openpyxl
from django.db.models import Count, Prefetch
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from finres.core.i18n import label as vocab_label
from finres.web.assessments.models import Assessment, RequirementResult, Result, maturity_levels
from finres.web.audit import actions, log
from finres.web.evidence.models import EvidenceLink
from finres.web.evidence.xlsx_format import (
    COLUMN_BY_KEY,
    COLUMNS,
    EDITABLE,
    FORMAT,
    FORMAT_VERSION,
    GAP_RESULTS,
    MAX_COLUMNS,
    META_SHEET,
    NOT_APPLICABLE,
    NOT_ASSESSED,
    XLSX_CONTENT_TYPE,
    Column,
    max_bytes,
    max_rows,
    max_uncompressed_bytes,
)
from finres.web.evidence.xlsx_import import (
    ImportReport,
    RowError,
    import_results,
    read_rows,
    validate_rows,
)
from finres.web.evidence.xlsx_open import WorkbookError
from finres.web.frameworks.models import Framework
from finres.web.improvements.models import Finding
from finres.web.language import current_language

_HEADER_FILL = PatternFill("solid", fgColor="10243E")
_EDITABLE_FILL = PatternFill("solid", fgColor="FFF8E1")
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_GAP_FILLS = dict(
    zip(
        GAP_RESULTS,
        (PatternFill("solid", fgColor=colour) for colour in ("FDE2DF", "FFF1D6", "E3E8EF")),
        strict=True,
    )
)


def _text(value: Any) -> str:
    """A value as it may be stored in a cell (Excel refuses control characters)."""
    return ILLEGAL_CHARACTERS_RE.sub("", str(value)) if value is not None else ""


def _set_text(cell: Any, value: str) -> None:
    cell.value = value
    if value.startswith("="):
        cell.data_type = "s"  # text that looks like a formula stays text: no formula injection


def _results(assessment: Assessment, results: Sequence[str] | None = None) -> Any:
    queryset = (
        RequirementResult.objects.filter(
            assessment=assessment, organisation_id=assessment.organisation_id
        )
        .select_related("requirement", "owner")
        .prefetch_related(
            Prefetch(
                "evidence_links",
                queryset=EvidenceLink.objects.select_related("evidence").order_by(
                    "evidence__title", "pk"
                ),
            )
        )
        .order_by("requirement__position", "pk")
    )
    if results is not None:
        queryset = queryset.filter(result__in=results)
    return queryset


def _result_label(value: str) -> str:
    return str(dict(Result.choices).get(value, value))


def _result_row(result: RequirementResult, framework: Framework, language: str) -> dict[str, Any]:
    requirement = result.requirement
    return {
        "framework": framework.code,
        "requirement": requirement.code,
        "ref": requirement.ref,
        "title": requirement.title(language),
        "obligation": vocab_label(requirement.obligation, language)  # type: ignore[arg-type]
        if requirement.obligation
        else "",
        "result": _result_label(result.result),
        "maturity_level": result.maturity_level,
        "owner": result.owner.get_username() if result.owner else "",
        "due_date": result.due_date,
        "comments": result.comments,
        "not_applicable_reason": result.not_applicable_reason,
        "evidence": "\n".join(link.evidence.title for link in result.evidence_links.all()),
    }


def _write_header(sheet: Any, columns: Sequence[Column], row: int = 1) -> None:
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=row, column=index, value=str(column.label))
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(index)].width = column.width


def _write_value(cell: Any, column_key: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, dt.date):
        cell.value = value
        cell.number_format = "yyyy-mm-dd"
    elif isinstance(value, int):
        cell.value = value
    else:
        _set_text(cell, _text(value))


def export_assessment(assessment: Assessment) -> bytes:
    """The whole assessment as a workbook that ``import_results`` reads back."""
    language = current_language()
    framework = assessment.framework
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = _text(gettext("Results"))[:31]
    _write_header(sheet, COLUMNS)
    count = 0
    for row_number, result in enumerate(_results(assessment).iterator(chunk_size=2000), 2):
        values = _result_row(result, framework, language)
        for index, column in enumerate(COLUMNS, start=1):
            cell = sheet.cell(row=row_number, column=index)
            _write_value(cell, column.key, values[column.key])
            if column.editable:
                cell.fill = _EDITABLE_FILL
            if column.wrap:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        count += 1
    last_row = count + 1
    sheet.freeze_panes = "C2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{last_row}"
    _add_validations(sheet, framework, last_row)
    _write_metadata(workbook, assessment, count)
    workbook.properties.title = _text(assessment.name)
    workbook.properties.creator = "FinRes"
    content = _save(workbook)
    log.record_security_event(
        actions.EXPORT, target=assessment, details={"kind": "assessment", "format": "xlsx"}
    )
    return content


def _add_validations(sheet: Any, framework: Framework, last_row: int) -> None:
    if last_row < 2:
        return
    letters = {c.key: get_column_letter(i) for i, c in enumerate(COLUMNS, start=1)}
    labels = ",".join(str(label) for _value, label in Result.choices)
    results = DataValidation(type="list", formula1=f'"{labels}"', allow_blank=True)
    results.error = gettext("Choose one of the results in the list.")
    results.add(f"{letters['result']}2:{letters['result']}{last_row}")
    levels = maturity_levels(framework)
    maturity = DataValidation(
        type="list", formula1='"' + ",".join(str(level) for level in levels) + '"', allow_blank=True
    )
    maturity.add(f"{letters['maturity_level']}2:{letters['maturity_level']}{last_row}")
    sheet.add_data_validation(results)
    sheet.add_data_validation(maturity)


def _write_metadata(workbook: Any, assessment: Assessment, rows: int) -> None:
    meta = workbook.create_sheet(META_SHEET)
    entries = [
        ("format", FORMAT),
        ("format_version", FORMAT_VERSION),
        ("assessment_id", assessment.pk),
        ("assessment", _text(assessment.name)),
        ("framework", assessment.framework.code),
        ("period_start", assessment.period_start.isoformat()),
        ("period_end", assessment.period_end.isoformat()),
        ("rows", rows),
        ("exported_at", timezone.now().isoformat(timespec="seconds")),
    ]
    for row, (key, value) in enumerate(entries, start=1):
        meta.cell(row=row, column=1, value=key)
        meta.cell(row=row, column=2, value=value)
    meta.sheet_state = "hidden"
    meta.protection.sheet = True  # locked against accidental edits; the import checks it


def _save(workbook: Any) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


GAP_COLUMNS: tuple[Column, ...] = (
    Column("framework", _("Framework"), 26),
    Column("requirement", _("Requirement ID"), 22),
    Column("ref", _("Reference"), 14),
    Column("title", _("Title"), 48, wrap=True),
    Column("obligation", _("Obligation"), 10),
    Column("result", _("Result"), 18),
    Column("maturity_level", _("Maturity level"), 12),
    Column("owner", _("Owner (user name)"), 18),
    Column("due_date", _("Due date"), 13),
    Column("comments", _("Comments"), 40, wrap=True),
    Column("findings", _("Findings"), 40, wrap=True),
    Column("plans", _("Improvement plan"), 48, wrap=True),
    Column("evidence", _("Evidence"), 32, wrap=True),
)


def gap_report(assessment: Assessment) -> bytes:
    """What is not (yet) compliant: non-compliant, partially compliant and not assessed
    results, worst first, with the findings and improvement plans recorded against them."""
    language = current_language()
    framework = assessment.framework
    workbook = openpyxl.Workbook()
    summary = workbook.active
    summary.title = _text(gettext("Summary"))[:31]
    gaps = workbook.create_sheet(_text(gettext("Gaps"))[:31])
    _write_header(gaps, GAP_COLUMNS)

    rank = {value: index for index, value in enumerate(GAP_RESULTS)}
    findings = Prefetch(
        "findings",
        queryset=Finding.objects.filter(organisation_id=assessment.organisation_id)
        .select_related("owner")
        .order_by("due_date", "pk"),
    )
    rows = sorted(
        _results(assessment, results=list(GAP_RESULTS)).prefetch_related(findings),
        key=lambda r: (rank[r.result], r.requirement.position, r.pk),
    )
    for row_number, result in enumerate(rows, start=2):
        values = _result_row(result, framework, language)
        found = list(result.findings.all())
        values["findings"] = "\n".join(_finding_line(f) for f in found)
        values["plans"] = "\n".join(_text(f.plan) for f in found if f.plan)
        for index, column in enumerate(GAP_COLUMNS, start=1):
            cell = gaps.cell(row=row_number, column=index)
            _write_value(cell, column.key, values[column.key])
            if column.wrap:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        gaps.cell(row=row_number, column=6).fill = _GAP_FILLS[result.result]
    gaps.freeze_panes = "C2"
    gaps.auto_filter.ref = f"A1:{get_column_letter(len(GAP_COLUMNS))}{max(len(rows) + 1, 2)}"

    _write_summary(summary, assessment, framework, language, len(rows))
    workbook.properties.title = _text(f"{assessment.name} · {gettext('Gap report')}")
    workbook.properties.creator = "FinRes"
    content = _save(workbook)
    log.record_security_event(
        actions.EXPORT, target=assessment, details={"kind": "gap report", "format": "xlsx"}
    )
    return content


def _finding_line(finding: Finding) -> str:
    parts = [finding.title, str(Finding.Status(finding.status).label)]
    if finding.due_date:
        parts.append(gettext("due %(date)s") % {"date": finding.due_date.isoformat()})
    if finding.owner:
        parts.append(finding.owner.get_username())
    return _text(" · ".join(parts))


def _write_summary(
    sheet: Any, assessment: Assessment, framework: Framework, language: str, gap_count: int
) -> None:

    counts = dict(
        RequirementResult.objects.filter(assessment=assessment)
        .order_by()
        .values_list("result")
        .annotate(n=Count("pk"))
        .values_list("result", "n")
    )
    title = sheet.cell(row=1, column=1, value=gettext("Gap report"))
    title.font = Font(bold=True, size=14)
    info = [
        (gettext("Assessment"), assessment.name),
        (gettext("Framework"), f"{framework.name(language)} ({framework.code})"),
        (
            gettext("Period"),
            f"{assessment.period_start.isoformat()} – {assessment.period_end.isoformat()}",
        ),
        (gettext("Organisation"), assessment.organisation.name),
        (gettext("Generated"), timezone.localtime().strftime("%Y-%m-%d %H:%M")),
    ]
    row = 3
    for key, value in info:
        sheet.cell(row=row, column=1, value=key).font = Font(bold=True)
        _set_text(sheet.cell(row=row, column=2), _text(value))
        row += 1
    row += 1
    sheet.cell(row=row, column=1, value=gettext("Result")).font = Font(bold=True)
    sheet.cell(row=row, column=2, value=gettext("Number of requirements")).font = Font(bold=True)
    for value, label in Result.choices:
        row += 1
        sheet.cell(row=row, column=1, value=str(label))
        sheet.cell(row=row, column=2, value=counts.get(value, 0))
    row += 2
    sheet.cell(row=row, column=1, value=gettext("Gaps listed")).font = Font(bold=True)
    sheet.cell(row=row, column=2, value=gap_count)
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 60


__all__ = [
    "COLUMNS",
    "COLUMN_BY_KEY",
    "EDITABLE",
    "FORMAT",
    "FORMAT_VERSION",
    "GAP_COLUMNS",
    "GAP_RESULTS",
    "MAX_COLUMNS",
    "META_SHEET",
    "NOT_APPLICABLE",
    "NOT_ASSESSED",
    "XLSX_CONTENT_TYPE",
    "Column",
    "ImportReport",
    "RowError",
    "WorkbookError",
    "export_assessment",
    "gap_report",
    "import_results",
    "max_bytes",
    "max_rows",
    "max_uncompressed_bytes",
    "read_rows",
    "validate_rows",
]
