"""Assessments in Excel: the full export, the gap report, and importing results back.

The export and the import share one format (``FORMAT``, version ``FORMAT_VERSION``): a data
sheet with one row per requirement result and a hidden, protected metadata sheet naming the
assessment. Columns are found by their header (in either language, or the column key), so a
workbook exported in English imports for a user working in Chinese and the other way round.

An import is checked whole before anything is written: every row is validated, every problem
is reported with its row number, and only a file without any problem is applied, in one
transaction, with each changed result written to the audit trail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import openpyxl
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Prefetch
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from finres.core.i18n import label as vocab_label
from finres.web.assessments.models import Assessment, RequirementResult, Result, maturity_levels
from finres.web.assessments.people import eligible_owners
from finres.web.audit import actions, log
from finres.web.evidence import files
from finres.web.evidence.models import EvidenceLink
from finres.web.evidence.xlsx_open import WorkbookError, open_workbook, sheet_rows
from finres.web.frameworks.models import Framework, Requirement
from finres.web.improvements.models import Finding
from finres.web.language import current_language
from finres.web.orgs.models import Organisation

FORMAT = "finres-assessment"
FORMAT_VERSION = 1
META_SHEET = "finres"
MAX_COLUMNS = 40  # the import never looks further right than this
GAP_RESULTS: tuple[str, ...] = tuple(
    str(choice) for choice in (Result.NON_COMPLIANT, Result.PARTIAL, Result.NOT_ASSESSED)
)
NOT_ASSESSED = str(Result.NOT_ASSESSED)
NOT_APPLICABLE = str(Result.NOT_APPLICABLE)
XLSX_CONTENT_TYPE = files.XLSX


def max_bytes() -> int:
    return int(getattr(settings, "FINRES_XLSX_MAX_BYTES", 10 * 1024 * 1024))


def max_uncompressed_bytes() -> int:
    return int(getattr(settings, "FINRES_XLSX_MAX_UNCOMPRESSED_BYTES", 100 * 1024 * 1024))


def max_rows() -> int:
    return int(getattr(settings, "FINRES_XLSX_MAX_ROWS", 20_000))


@dataclass(frozen=True)
class Column:
    key: str
    label: Any  # lazy translation
    width: int
    editable: bool = False
    wrap: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("framework", _("Framework"), 26),
    Column("requirement", _("Requirement ID"), 22),
    Column("ref", _("Reference"), 14),
    Column("title", _("Title"), 48, wrap=True),
    Column("obligation", _("Obligation"), 10),
    Column("result", _("Result"), 18, editable=True),
    Column("maturity_level", _("Maturity level"), 12, editable=True),
    Column("owner", _("Owner (user name)"), 18, editable=True),
    Column("due_date", _("Due date"), 13, editable=True),
    Column("comments", _("Comments"), 40, editable=True, wrap=True),
    Column("not_applicable_reason", _("Reason it does not apply"), 32, editable=True, wrap=True),
    Column("evidence", _("Evidence"), 40, wrap=True),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
EDITABLE = tuple(c.key for c in COLUMNS if c.editable)

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


# --- import ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


@dataclass
class ImportReport:
    rows: int = 0
    changed: int = 0
    errors: list[RowError] = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Planned:
    result: RequirementResult
    values: dict[str, Any]


def _labels_in_all_languages(value: Any) -> set[str]:
    names = set()
    for language in ("en", "zh-hant"):
        with translation.override(language):
            names.add(str(value).strip().casefold())
    return names


def _header_map(header: Sequence[Any]) -> tuple[dict[str, int], list[str]]:
    """Column key -> index, found by header text; and the headers that are not understood."""
    known: dict[str, str] = {}
    for column in COLUMNS:
        known[column.key.casefold()] = column.key
        for name in _labels_in_all_languages(column.label):
            known[name] = column.key
    positions: dict[str, int] = {}
    unknown: list[str] = []
    for index, cell in enumerate(header):
        text = str(cell).strip() if cell is not None else ""
        if not text:
            continue
        key = known.get(text.casefold())
        if key is None:
            unknown.append(text)
        elif key in positions:
            unknown.append(text)  # a column given twice cannot be read unambiguously
        else:
            positions[key] = index
    return positions, unknown


def _result_values() -> dict[str, str]:
    values: dict[str, str] = {}
    for value, label in Result.choices:
        values[value.casefold()] = value
        for name in _labels_in_all_languages(label):
            values[name] = value
    return values


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\r\n", "\n").replace("\r", "\n")


def _open(upload: IO[bytes], size: int | None) -> Any:
    return open_workbook(upload, size, max_bytes(), max_uncompressed_bytes())


def _metadata(workbook: Any) -> dict[str, Any]:
    if META_SHEET not in workbook.sheetnames:
        raise WorkbookError(
            gettext(
                "This workbook was not exported by FinRes (its metadata sheet is missing). "
                "Export the assessment, fill in that file and import it."
            )
        )
    values: dict[str, Any] = {}
    for number, row in sheet_rows(workbook[META_SHEET], max_col=2):
        if number > 50:
            break
        if row and row[0] is not None:
            values[str(row[0]).strip()] = row[1] if len(row) > 1 else None
    return values


def _data_sheet(workbook: Any) -> Any:
    for name in workbook.sheetnames:
        if name != META_SHEET:
            return workbook[name]
    raise WorkbookError(gettext("The workbook has no sheet with results."))


def read_rows(upload: IO[bytes], assessment: Assessment, size: int | None = None) -> Iterator[Any]:
    """Yields the header map first, then (row number, {column key: cell value}) per row."""
    workbook = _open(upload, size)
    try:
        meta = _metadata(workbook)
        if meta.get("format") != FORMAT:
            raise WorkbookError(gettext("This workbook is not a FinRes assessment export."))
        try:
            version = int(meta.get("format_version") or 0)
        except (TypeError, ValueError):
            version = 0
        if version != FORMAT_VERSION:
            raise WorkbookError(
                gettext(
                    "The workbook's format version %(found)s is not supported "
                    "(expected %(expected)s)."
                )
                % {"found": meta.get("format_version"), "expected": FORMAT_VERSION}
            )
        if str(meta.get("assessment_id")) != str(assessment.pk):
            raise WorkbookError(
                gettext(
                    "This workbook was exported from another assessment (number %(found)s), "
                    "not from this one (number %(expected)s)."
                )
                % {"found": meta.get("assessment_id"), "expected": assessment.pk}
            )
        sheet = _data_sheet(workbook)
        rows = sheet_rows(sheet, max_col=MAX_COLUMNS)
        first = next(rows, None)
        if first is None:
            raise WorkbookError(gettext("The results sheet is empty."))
        positions, unknown = _header_map(first[1])
        if "requirement" not in positions:
            raise WorkbookError(
                gettext("The results sheet has no “%(column)s” column.")
                % {"column": gettext("Requirement ID")}
            )
        if not any(key in positions for key in EDITABLE):
            raise WorkbookError(gettext("The results sheet has no column that can be imported."))
        if unknown:
            raise WorkbookError(
                gettext("These column headers are not understood: %(headers)s.")
                % {"headers": ", ".join(f"“{h}”" for h in unknown)}
            )
        yield positions
        limit = max_rows()
        count = 0
        for row_number, row in rows:
            if not row or all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
                continue
            count += 1
            if count > limit:
                raise WorkbookError(
                    gettext(
                        "The workbook has more than %(limit)s rows; split it or raise the limit."
                    )
                    % {"limit": limit}
                )
            yield (
                row_number,
                {key: row[index] if index < len(row) else None for key, index in positions.items()},
            )
    finally:
        workbook.close()


def _owners(organisation: Organisation) -> dict[str, Any]:
    """User name (case-insensitive) -> user, for the people who may own a result (the same
    rule as the assessment pages)."""
    return {user.get_username().casefold(): user for user in eligible_owners(organisation)}


def _parse_date(value: Any) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip().replace("/", "-")
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    raise ValueError(value)


def validate_rows(
    assessment: Assessment, rows: Iterator[Any], report: ImportReport
) -> list[_Planned]:
    """Check every row; returns what would change (empty if any row is wrong)."""
    next(rows)  # the header map: rows already carry column keys
    framework = assessment.framework
    results = {
        r.requirement.code: r
        for r in RequirementResult.objects.filter(assessment=assessment)
        .select_related("requirement", "owner")
        .select_for_update(of=("self",))
        .order_by("pk")
    }
    known_codes = set(
        Requirement.objects.filter(framework=framework).values_list("code", flat=True)
    )
    owners = _owners(assessment.organisation)
    result_values = _result_values()
    levels = maturity_levels(framework)
    seen: dict[str, int] = {}
    planned: list[_Planned] = []

    def error(row: int, key: str, message: str) -> None:
        report.errors.append(RowError(row, str(COLUMN_BY_KEY[key].label), message))

    for row_number, cells in rows:
        report.rows += 1
        errors_before = len(report.errors)
        code = _cell_text(cells.get("requirement")).strip()
        if not code:
            error(row_number, "requirement", gettext("The requirement ID is missing."))
            continue
        if code in seen:
            error(
                row_number,
                "requirement",
                gettext("Requirement %(code)s appears again (first on row %(row)s).")
                % {"code": code, "row": seen[code]},
            )
            continue
        seen[code] = row_number
        framework_code = _cell_text(cells.get("framework")).strip()
        if framework_code and framework_code != framework.code:
            error(
                row_number,
                "framework",
                gettext("Framework %(found)s is not this assessment's framework (%(expected)s).")
                % {"found": framework_code, "expected": framework.code},
            )
            continue
        result = results.get(code)
        if result is None:
            if code in known_codes:
                message = gettext("Requirement %(code)s is not part of this assessment.")
            else:
                message = gettext("Unknown requirement ID %(code)s in framework %(framework)s.")
            error(row_number, "requirement", message % {"code": code, "framework": framework.code})
            continue

        values: dict[str, Any] = {}
        if "result" in cells:
            text = _cell_text(cells["result"]).strip()
            if not text:
                values["result"] = NOT_ASSESSED
            elif text.casefold() in result_values:
                values["result"] = result_values[text.casefold()]
            else:
                error(
                    row_number,
                    "result",
                    gettext("“%(value)s” is not a result; use one of: %(choices)s.")
                    % {
                        "value": text,
                        "choices": ", ".join(str(label) for _value, label in Result.choices),
                    },
                )
        if "maturity_level" in cells:
            raw = cells["maturity_level"]
            text = _cell_text(raw).strip()
            if not text:
                values["maturity_level"] = None
            elif text.isdigit() and int(text) in levels:
                values["maturity_level"] = int(text)
            else:
                error(
                    row_number,
                    "maturity_level",
                    gettext(
                        "“%(value)s” is not a maturity level of this framework (use %(levels)s)."
                    )
                    % {"value": text, "levels": ", ".join(str(level) for level in levels)},
                )
        if "owner" in cells:
            username = _cell_text(cells["owner"]).strip()
            if not username:
                values["owner"] = None
            elif username.casefold() in owners:
                values["owner"] = owners[username.casefold()]
            else:
                error(
                    row_number,
                    "owner",
                    gettext(
                        "“%(value)s” is not a member of this organisation who may own requirements."
                    )
                    % {"value": username},
                )
        if "due_date" in cells:
            try:
                values["due_date"] = _parse_date(cells["due_date"])
            except ValueError:
                error(
                    row_number,
                    "due_date",
                    gettext("“%(value)s” is not a date; write it as YYYY-MM-DD.")
                    % {"value": _cell_text(cells["due_date"])},
                )
        for key in ("comments", "not_applicable_reason"):
            if key in cells:
                values[key] = _cell_text(cells[key])
        # The same rule as the result form: a reason belongs to a not-applicable result only.
        final_result = values.get("result", result.result)
        final_reason = values.get("not_applicable_reason", result.not_applicable_reason).strip()
        if final_result == NOT_APPLICABLE and not final_reason:
            error(
                row_number,
                "not_applicable_reason",
                gettext("“Not applicable” needs a reason it does not apply."),
            )
        values["not_applicable_reason"] = final_reason if final_result == NOT_APPLICABLE else ""
        if len(report.errors) == errors_before:
            planned.append(_Planned(result, values))
    return planned if report.ok else []


def _audit_value(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def apply(assessment: Assessment, planned: list[_Planned], report: ImportReport) -> None:
    """Write the changes (inside the caller's transaction), each changed result audited."""
    changed: list[RequirementResult] = []
    fields: set[str] = set()
    now = timezone.now()
    for item in planned:
        result = item.result
        changes: dict[str, list[Any]] = {}
        for key, new in item.values.items():
            if key == "owner":
                old_id, new_id = result.owner_id, new.pk if new is not None else None
                if old_id != new_id:
                    changes["owner_id"] = [old_id, new_id]
                    result.owner = new
                    fields.add("owner")
                continue
            old = getattr(result, key)
            if old != new:
                changes[key] = [_audit_value(old), _audit_value(new)]
                setattr(result, key, new)
                fields.add(key)
        if changes:
            result.updated = now
            changed.append(result)
            log.append(
                "update",
                "assessments.requirementresult",
                result.pk,
                str(result),
                changes,
                result.organisation_id,
            )
    if changed:
        RequirementResult.objects.bulk_update(changed, [*sorted(fields), "updated"], batch_size=500)
    report.changed = len(changed)


def import_results(
    assessment: Assessment, upload: IO[bytes], size: int | None = None, file_name: str = ""
) -> ImportReport:
    """Validate the whole workbook and, only if every row is right, apply it atomically."""
    report = ImportReport()
    if assessment.status == Assessment.Status.COMPLETED:
        # Results of a completed assessment are read-only, as on the assessment pages.
        report.errors.append(
            RowError(
                0, "", gettext("The assessment is completed; reopen it to change its results.")
            )
        )
        return report
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    digest = hashlib.sha256()
    if size <= max_bytes():  # a larger file is refused by read_rows without being read
        upload.seek(0)
        for chunk in iter(lambda: upload.read(files.CHUNK_SIZE), b""):
            digest.update(chunk)
    upload.seek(0)
    try:
        with transaction.atomic():
            planned = validate_rows(assessment, read_rows(upload, assessment, size), report)
            if not report.ok:
                return report
            apply(assessment, planned, report)
            log.append(
                "import",
                "assessments.assessment",
                assessment.pk,
                str(assessment),
                {
                    "file": file_name[:255],
                    "sha256": digest.hexdigest(),
                    "rows": report.rows,
                    "changed": report.changed,
                },
                assessment.organisation_id,
            )
            report.applied = True
    except WorkbookError as error:
        # The whole file is refused; row problems found before are no longer the point.
        report.errors = [RowError(0, "", error.message)]
        report.applied = False
    return report
