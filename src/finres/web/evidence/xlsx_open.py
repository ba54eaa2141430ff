"""Opening an uploaded workbook, and reading its sheets, so that a hostile or damaged file is
refused with a message for the user and never reaches the database or ends in a 500.

Checked before openpyxl reads anything: size, type (by content, not by name), unpacked size,
and that no part of the package declares a document type (a DTD can define entities; Excel
never writes one). While the cells are read: any parser error (invalid UTF-8, broken XML, a
dimension that is not a range) refuses the file; the sheet's declared dimension is not believed
(the rows are those it really has); formulas are refused with their cells named, since the
import reads values and a formula's would be lost silently.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from typing import IO, Any

import openpyxl
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from openpyxl.utils import get_column_letter

from finres.web.evidence import files

DAMAGED = "The workbook could not be read; it may be damaged."
FORMULA_CELLS_NAMED = 10  # the message names this many cells, then counts the others
_DOCTYPE = re.compile(rb"<!doctype", re.IGNORECASE)
_XML_PARTS = (".xml", ".rels", ".vml")


class WorkbookError(Exception):
    """The file as a whole cannot be used (not an XLSX, too large, another assessment …)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def damaged() -> WorkbookError:
    return WorkbookError(gettext(DAMAGED))


def open_workbook(
    upload: IO[bytes], size: int | None, max_bytes: int, max_uncompressed_bytes: int
) -> Any:
    """Open the upload with openpyxl (read-only, formulas kept as formulas) after the checks
    that keep a hostile file harmless."""
    if size is not None and size > max_bytes:
        raise WorkbookError(
            gettext("The file is larger than the limit of %(limit)s.")
            % {"limit": filesizeformat(max_bytes)}
        )
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if not head:
        raise WorkbookError(gettext("The file is empty."))
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise WorkbookError(
            gettext("This is an old Excel file (.xls). Save it as an Excel workbook (.xlsx) first.")
        )
    if not head.startswith(b"PK\x03\x04"):
        raise WorkbookError(gettext("The file is not an Excel workbook (XLSX)."))
    try:
        kind = files._ooxml_type(upload)
    except ValidationError as error:
        raise WorkbookError(
            gettext("The file is not an Excel workbook (XLSX): %(reason)s")
            % {"reason": " ".join(str(m) for m in error.messages)}
        ) from None
    if kind != files.XLSX:
        raise WorkbookError(gettext("The file is not an Excel workbook (XLSX)."))
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            total = sum(member.file_size for member in archive.infolist())
            if total > max_uncompressed_bytes:
                raise WorkbookError(
                    gettext("The workbook unpacks to more than %(limit)s; it is refused.")
                    % {"limit": filesizeformat(max_uncompressed_bytes)}
                )
            _refuse_document_types(archive)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        raise damaged() from None
    upload.seek(0)
    try:
        return openpyxl.load_workbook(upload, read_only=True, data_only=False)
    except Exception:
        # openpyxl raises many kinds of errors on damaged files; none of them is the user's
        # to read, and the file is refused whole.
        raise damaged() from None


def _refuse_document_types(archive: zipfile.ZipFile) -> None:
    for member in archive.infolist():
        if not member.filename.lower().endswith(_XML_PARTS):
            continue
        tail = b""
        with archive.open(member) as stream:
            for chunk in iter(lambda: stream.read(files.CHUNK_SIZE), b""):
                if _DOCTYPE.search(tail + chunk):
                    raise WorkbookError(
                        gettext(
                            "The workbook contains a document type declaration (in “%(part)s”), "
                            "which Excel never writes; it is refused."
                        )
                        % {"part": member.filename}
                    )
                tail = chunk[-16:]


def sheet_rows(sheet: Any, max_col: int) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """The sheet's rows from the first, as (row number, values); the declared dimension is
    ignored. The cells holding a formula are collected (their value read as empty), and once
    the rows are read the file is refused naming them. Any error of the parser refuses the file
    as damaged."""
    formulas: list[str] = []
    try:
        sheet.reset_dimensions()  # read what is there, not what the sheet claims
        for row_number, cells in enumerate(sheet.iter_rows(min_row=1, max_col=max_col), start=1):
            values = []
            for index, cell in enumerate(cells):
                value = getattr(cell, "value", None)
                if getattr(cell, "data_type", None) == "f":
                    formulas.append(f"{get_column_letter(index + 1)}{row_number}")
                    value = None
                values.append(value)
            yield row_number, tuple(values)
    except WorkbookError:
        raise
    except Exception:
        raise damaged() from None
    if formulas:
        named = ", ".join(f"“{cell}”" for cell in formulas[:FORMULA_CELLS_NAMED])
        more = len(formulas) - FORMULA_CELLS_NAMED
        message = gettext(
            "Formulas are not imported; these cells hold one: %(cells)s. Replace each formula "
            "with its value (copy, then paste as values) and import again."
        ) % {"cells": named}
        if more > 0:
            message += " " + gettext("(%(n)s more cells hold formulas.)") % {"n": more}
        raise WorkbookError(message)
