"""Importing an assessment workbook's results back (see ``xlsx`` for the format).

An import is checked whole before anything is written: the rows are read and every one is
validated outside any transaction, every problem is reported with its row number, and only a
file without any problem is applied. The write is one short transaction whatever the number of
rows: the results are re-read locked (one query), their new values written in one statement
(``xlsx_bulk.update_rows``), the maintained counts refreshed, and one audit event carries every
changed row (``audit.log.append_bulk``), appended last so that the audit chain's head is held
only for that insert. Proposals to other frameworks' assessments follow, set-based, after the
commit, as after a change on the assessment page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from finres.web.assessments.aggregates import refresh_assessment_aggregates
from finres.web.assessments.models import Assessment, RequirementResult, Result, maturity_levels
from finres.web.assessments.people import eligible_owners
from finres.web.audit import log
from finres.web.evidence import files
from finres.web.evidence.xlsx_bulk import update_rows
from finres.web.evidence.xlsx_format import (
    COLUMN_BY_KEY,
    COLUMNS,
    EDITABLE,
    FORMAT,
    FORMAT_VERSION,
    MAX_COLUMNS,
    META_SHEET,
    NOT_APPLICABLE,
    NOT_ASSESSED,
    max_bytes,
    max_rows,
    max_uncompressed_bytes,
)
from finres.web.evidence.xlsx_open import WorkbookError, open_workbook, sheet_rows
from finres.web.frameworks.models import Requirement
from finres.web.orgs.models import Organisation

Progress = Callable[[int, int], None]
PROGRESS_EVERY = 500  # rows between two progress calls
RESULT_MODEL = "assessments.requirementresult"
# The columns an import writes (``owner`` as its id), and ``updated``.
WRITTEN = ("result", "maturity_level", "owner", "due_date", "comments", "not_applicable_reason")


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
class _Current:
    """A result as the import reads it: plain values, no model instance (5,000 of them are
    read twice per import)."""

    pk: int
    label: str  # the requirement's reference, else its id
    result: str
    maturity_level: int | None
    owner: int | None  # the owner's id
    due_date: dt.date | None
    comments: str
    not_applicable_reason: str


_CURRENT_FIELDS = (
    "pk",
    "requirement__ref",
    "requirement__code",
    "result",
    "maturity_level",
    "owner_id",
    "due_date",
    "comments",
    "not_applicable_reason",
)


def _current_results(queryset: Any) -> Iterator[tuple[str, _Current]]:
    """(requirement code, result) for each row of ``queryset``, in one query."""
    for pk, ref, code, *values in queryset.values_list(*_CURRENT_FIELDS).iterator(2000):
        yield code, _Current(pk, ref or code, *values)


@dataclass
class _Planned:
    result: _Current
    values: dict[str, Any]
    row: int = 0


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


def read_rows(
    upload: IO[bytes],
    assessment: Assessment,
    size: int | None = None,
    announced: dict[str, int] | None = None,
) -> Iterator[Any]:
    """Yields the header map first, then (row number, {column key: cell value}) per row.

    ``announced["rows"]`` is set to the number of rows the metadata announces (for progress).
    """
    workbook = _open(upload, size)
    try:
        meta = _metadata(workbook)
        if announced is not None:
            try:
                announced["rows"] = max(int(meta.get("rows") or 0), 0)
            except (TypeError, ValueError):
                announced["rows"] = 0
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
    assessment: Assessment,
    rows: Iterator[Any],
    report: ImportReport,
    progress: Progress | None = None,
    announced: dict[str, int] | None = None,
) -> list[_Planned]:
    """Check every row; returns what would change (empty if any row is wrong).

    Reads the results without locking them (the write re-reads them, locked, and applies the
    checked values to what it finds then), so checking a large file blocks no other writer.
    """
    next(rows)  # the header map: rows already carry column keys
    framework = assessment.framework
    results = dict(
        _current_results(RequirementResult.objects.filter(assessment=assessment).order_by("pk"))
    )
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
        if progress is not None and report.rows % PROGRESS_EVERY == 0:
            total = (announced or {}).get("rows", 0)
            progress(report.rows, max(total, report.rows + 1))
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
            planned.append(_Planned(result, values, row_number))
    return planned if report.ok else []


def _audit_value(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def apply(assessment: Assessment, planned: list[_Planned], report: ImportReport) -> list[Any]:
    """Write the checked values (inside the caller's transaction) onto the results as they are
    now, re-read locked; returns the audit rows of the changed results (nothing is written if a
    concurrent change made a row invalid: that row is reported)."""
    locked = RequirementResult.objects.filter(assessment=assessment).select_for_update(of=("self",))
    current = {row.pk: row for _code, row in _current_results(locked.order_by("pk"))}
    labels = {value: str(label) for value, label in Result.choices}  # looked up once
    now = timezone.now()
    writes: dict[int, dict[str, Any]] = {}
    audit_rows: list[dict[str, Any]] = []
    for item in planned:
        result = current.get(item.result.pk)
        if result is None:  # deleted meanwhile: nothing to write
            continue
        values = dict(item.values)
        final = values.get("result", result.result)
        if final != NOT_APPLICABLE:
            values["not_applicable_reason"] = ""
        elif not values.get("not_applicable_reason", result.not_applicable_reason).strip():
            report.errors.append(
                RowError(
                    item.row,
                    str(COLUMN_BY_KEY["not_applicable_reason"].label),
                    gettext("“Not applicable” needs a reason it does not apply."),
                )
            )
            continue
        changes: dict[str, list[Any]] = {}
        for key, new in values.items():
            new_value = new.pk if key == "owner" and new is not None else new
            old = getattr(result, key)
            if old != new_value:
                changes["owner_id" if key == "owner" else key] = [
                    _audit_value(old),
                    _audit_value(new_value),
                ]
                setattr(result, key, new_value)
        if changes:
            writes[result.pk] = {key: getattr(result, key) for key in WRITTEN}
            writes[result.pk]["updated"] = now
            # Named as ``RequirementResult.__str__`` names it.
            name = f"{result.label} · {labels.get(result.result, result.result)}"
            audit_rows.append(log.bulk_row(result.pk, name, changes))
    if report.errors:
        return []
    update_rows(RequirementResult, [*WRITTEN, "updated"], writes)
    report.changed = len(writes)
    return audit_rows


def _digest(upload: IO[bytes], size: int) -> str:
    digest = hashlib.sha256()
    if size <= max_bytes():  # a larger file is refused by read_rows without being read
        upload.seek(0)
        for chunk in iter(lambda: upload.read(files.CHUNK_SIZE), b""):
            digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def import_results(
    assessment: Assessment,
    upload: IO[bytes],
    size: int | None = None,
    file_name: str = "",
    progress: Progress | None = None,
) -> ImportReport:
    """Validate the whole workbook and, only if every row is right, apply it atomically.

    ``progress(done, total)`` is called as rows are checked (total: the rows the workbook's
    metadata announces) and once at the end.
    """
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
    digest = _digest(upload, size)
    try:
        announced: dict[str, int] = {}
        rows = read_rows(upload, assessment, size, announced)
        planned = validate_rows(assessment, rows, report, progress, announced)
        if not report.ok:
            return report
        with transaction.atomic():
            audit_rows = apply(assessment, planned, report)
            if not report.ok:
                return report
            if report.changed:
                # the one-statement write bypasses the bulk methods that refresh them
                refresh_assessment_aggregates([assessment.pk])
            # Last, just before the commit: the audit chain's head is locked from here on.
            log.append_bulk(
                "import",
                "assessments.assessment",
                assessment.organisation_id,
                str(assessment),
                audit_rows,
                rows_model=RESULT_MODEL,
                details={
                    "assessment": assessment.pk,
                    "file": file_name[:255],
                    "sha256": digest,
                    "rows": report.rows,
                    "changed": report.changed,
                },
            )
            report.applied = True
    except WorkbookError as error:
        # The whole file is refused; row problems found before are no longer the point.
        report.errors = [RowError(0, "", error.message)]
        report.applied = False
        return report
    if report.changed:
        _propagate(assessment)
    if progress is not None:
        progress(report.rows, report.rows)
    return report


def _propagate(assessment: Assessment) -> None:
    """Proposals on the other open assessments, as after a change on the assessment page."""
    from finres.web.assessments import proposals

    if assessment.status == Assessment.Status.IN_PROGRESS:
        proposals.propose_from(assessment)
