"""Reading and writing a register as a table: XLSX or CSV.

Writing: one sheet (XLSX) or a UTF-8 CSV with a byte-order mark (Excel opens it as UTF-8); in
both, a text that a spreadsheet would run as a formula (leading ``=``, ``+``, ``-``, ``@``, tab,
carriage return) is made inert: a text cell in XLSX, a leading apostrophe in CSV.

Reading: the file is checked before it is parsed (size, kind, XLSX unpacked size, number of rows)
and refused whole with one message (``TableError``) when it cannot be used. A formula cell in an
XLSX file, or a CSV value that starts with ``=``, is refused: the register takes values, not
formulas whose result depends on the spreadsheet that computed it. The apostrophe that the CSV
export adds is taken away again, so an exported file imports unchanged.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

import openpyxl
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_COLUMNS = 60


def max_bytes() -> int:
    return int(getattr(settings, "FINRES_XLSX_MAX_BYTES", 10 * 1024 * 1024))


def max_uncompressed_bytes() -> int:
    return int(getattr(settings, "FINRES_XLSX_MAX_UNCOMPRESSED_BYTES", 100 * 1024 * 1024))


def max_rows() -> int:
    return int(getattr(settings, "FINRES_REGISTER_MAX_ROWS", 20_000))


class TableError(Exception):
    """The file as a whole cannot be used."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FormulaCell(str):
    """A cell that held a formula (the formula's text): refused by the importer."""


# --- writing ------------------------------------------------------------------------------------


def formula_safe(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    return formula_safe(str(value))


def write_csv(header: Sequence[str], rows: Iterator[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_csv_cell(h) for h in header])
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_xlsx(title: str, header: Sequence[str], rows: Iterator[Sequence[Any]]) -> bytes:
    workbook = openpyxl.Workbook(write_only=False)
    workbook.remove(workbook.active)
    add_sheet(workbook, title, header, rows)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def add_sheet(
    workbook: Any,
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    width: int = 18,
) -> None:
    """One sheet as every exported register has it: a dark header row kept in view, text
    written as text (never run as a formula), yes/no, dates and numbers as themselves."""
    sheet = workbook.create_sheet(title[:31])
    sheet.append([str(h) for h in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="10243E")
    for row_number, row in enumerate(rows, start=2):
        for column, value in enumerate(row, start=1):
            cell = sheet.cell(row=row_number, column=column)
            if isinstance(value, bool):
                cell.value = "yes" if value else "no"
            elif isinstance(value, dt.date | int):
                cell.value = value
            elif value is None:
                continue
            else:
                cell.value = ILLEGAL_CHARACTERS_RE.sub("", str(value))
                cell.data_type = "s"  # text stays text, even when it looks like a formula
    for column in range(1, len(header) + 1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A2"


# --- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: Iterator[tuple[int, list[Any]]]  # (row number in the file, cell values)


def _check_size(size: int | None) -> None:
    limit = max_bytes()
    if size is not None and size > limit:
        raise TableError(
            _("The file is larger than the limit of %(limit)s.") % {"limit": filesizeformat(limit)}
        )


def _limited(rows: Iterator[tuple[int, list[Any]]]) -> Iterator[tuple[int, list[Any]]]:
    limit = max_rows()
    count = 0
    for number, row in rows:
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
            continue
        count += 1
        if count > limit:
            raise TableError(
                _("The file has more than %(limit)s rows; split it or raise the limit.")
                % {"limit": limit}
            )
        yield number, row


def read_table(upload: IO[bytes], name: str, size: int | None = None) -> Table:
    """The header and rows of an uploaded XLSX or CSV file (by content, not by name)."""
    _check_size(size)
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if not head:
        raise TableError(_("The file is empty."))
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise TableError(
            _("This is an old Excel file (.xls). Save it as an Excel workbook (.xlsx) first.")
        )
    if head.startswith(b"PK\x03\x04"):
        return _read_xlsx(upload)
    if name.lower().endswith((".xlsx", ".xlsm", ".xls")):
        raise TableError(_("The file is not an Excel workbook (XLSX)."))
    return _read_csv(upload)


def _read_xlsx(upload: IO[bytes]) -> Table:
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            total = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile:
        raise TableError(_("The file is not an Excel workbook (XLSX).")) from None
    if "xl/workbook.xml" not in names:
        raise TableError(_("The file is not an Excel workbook (XLSX)."))
    if total > max_uncompressed_bytes():
        raise TableError(
            _("The workbook unpacks to more than %(limit)s; it is refused.")
            % {"limit": filesizeformat(max_uncompressed_bytes())}
        )
    upload.seek(0)
    try:
        # data_only=False: a formula cell reads as its formula, so that it can be refused
        workbook = openpyxl.load_workbook(upload, read_only=True, data_only=False)
        sheet = workbook.worksheets[0]
        values = sheet.iter_rows(min_row=1, max_col=MAX_COLUMNS)
        header_cells = next(values, None)
    except Exception:
        # openpyxl raises many kinds of errors on damaged files; the file is refused whole.
        raise TableError(_("The workbook could not be read; it may be damaged.")) from None
    if header_cells is None:
        raise TableError(_("The first sheet is empty."))
    header = [_header_text(cell.value) for cell in header_cells]

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            for number, cells in enumerate(values, start=2):
                yield number, [_xlsx_value(cell) for cell in cells]
        finally:
            workbook.close()

    return Table(header, _limited(rows()))


def _xlsx_value(cell: Any) -> Any:
    value = cell.value
    if getattr(cell, "data_type", None) == "f":
        return FormulaCell(str(value))
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time() else value
    return value


def _header_text(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def _read_csv(upload: IO[bytes]) -> Table:
    raw = upload.read(max_bytes() + 1)
    if len(raw) > max_bytes():
        _check_size(len(raw))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TableError(_("The CSV file is not UTF-8 text. Save it as “CSV UTF-8”.")) from None
    if "\x00" in text:
        raise TableError(_("The file is neither an XLSX workbook nor a CSV file."))
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = [_header_text(h) for h in next(reader, [])]
    except csv.Error as error:
        raise TableError(
            _("The CSV file could not be read: %(error)s") % {"error": error}
        ) from None
    if not any(header):
        raise TableError(_("The file has no header row."))

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            for row in reader:
                yield reader.line_num, [_csv_value(v) for v in row[:MAX_COLUMNS]]
        except csv.Error as error:
            raise TableError(
                _("The CSV file could not be read at line %(line)s: %(error)s")
                % {"line": reader.line_num, "error": error}
            ) from None

    return Table(header, _limited(rows()))


def _csv_value(value: str) -> Any:
    if value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]  # the export's protection, taken away again
    if value.startswith("="):
        return FormulaCell(value)
    return value
