"""Imports of damaged or formula-bearing workbooks are refused clearly, never a 500."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl.utils import get_column_letter

from finres.web.evidence import xlsx
from finres.web.orgs.roles import Role

from .test_xlsx import COLUMN, assessment, client_for, edit, english, export, import_bytes, snapshot

__all__ = ["assessment", "client_for", "english"]  # fixtures shared with test_xlsx

pytestmark = pytest.mark.django_db

DATA_SHEET = "xl/worksheets/sheet1.xml"


def rewrite(data: bytes, member: str, change: Callable[[bytes], bytes]) -> bytes:
    """The workbook with one of its zip members changed (the others copied as they are)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    assert member in source.namelist()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == member:
                content = change(content)
            target.writestr(info, content)
    return out.getvalue()


def invalid_utf8(xml: bytes) -> bytes:
    return xml.replace(b"<sheetData>", b"<sheetData>\xff\xfe\xc3", 1)


def with_dtd(xml: bytes) -> bytes:
    doctype = b'<!DOCTYPE worksheet [<!ENTITY big "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx">]>'
    declaration = re.match(rb"<\?xml[^>]*\?>", xml)
    at = declaration.end() if declaration else 0
    return xml[:at] + doctype + xml[at:]


def dimension(ref: bytes) -> Callable[[bytes], bytes]:
    def change(xml: bytes) -> bytes:
        changed = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="' + ref + b'"', xml)
        assert changed != xml
        return changed

    return change


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (invalid_utf8, "could not be read"),
        (with_dtd, "document type declaration"),
        (dimension(b"not-a-range"), "could not be read"),
        (dimension(b"A1:A-5"), "could not be read"),
    ],
)
def test_a_damaged_sheet_is_refused_clearly(
    assessment: Any, damage: Callable[[bytes], bytes], message: str
) -> None:
    before = snapshot(assessment)
    report = import_bytes(assessment, rewrite(export(assessment), DATA_SHEET, damage))
    assert not report.ok and not report.applied
    assert [error.row for error in report.errors] == [0]
    assert message in report.errors[0].message
    assert snapshot(assessment) == before


@pytest.mark.parametrize("ref", [b"A1:A1", b"A1:XFD1048576", b"A1:B99999999999999999999"])
def test_a_false_dimension_is_not_believed(assessment: Any, ref: bytes) -> None:
    """The rows read are those the sheet has, whatever its dimension claims: a sheet that says
    it is one cell is not imported as empty."""

    def change(book: Any) -> None:
        sheet = book.worksheets[0]
        sheet.cell(2, COLUMN["comments"], "Changed after the export")

    data = rewrite(edit(export(assessment), change), DATA_SHEET, dimension(ref))
    report = import_bytes(assessment, data)
    assert report.ok and report.applied, report.errors
    assert report.rows == assessment.results.count() and report.changed == 1


def test_a_damaged_sheet_through_the_api_is_a_400(assessment: Any, client_for: Any) -> None:
    client = client_for(Role.CONTROL_OWNER, assessment.organisation)
    data = rewrite(export(assessment), DATA_SHEET, invalid_utf8)
    upload = SimpleUploadedFile("results.xlsx", data, content_type=xlsx.XLSX_CONTENT_TYPE)
    response = client.post(f"/api/assessment-workbooks/{assessment.pk}/import/", {"file": upload})
    assert response.status_code == 400
    assert response.json()["errors"][0]["row"] == 0


def test_formula_cells_are_refused_with_the_cell_named(assessment: Any) -> None:
    before = snapshot(assessment)

    def formulas(book: Any) -> None:
        sheet = book.worksheets[0]
        sheet.cell(2, COLUMN["comments"], '=CONCATENATE("a","b")')
        sheet.cell(3, COLUMN["maturity_level"], "=1+2")

    report = import_bytes(assessment, edit(export(assessment), formulas))
    assert not report.ok and not report.applied
    assert [error.row for error in report.errors] == [0]
    message = report.errors[0].message
    comments = f"{get_column_letter(COLUMN['comments'])}2"
    maturity = f"{get_column_letter(COLUMN['maturity_level'])}3"
    assert "Formulas are not imported" in message
    assert f"“{comments}”" in message and f"“{maturity}”" in message
    assert snapshot(assessment) == before


def test_formula_cells_through_the_api_are_a_400(assessment: Any, client_for: Any) -> None:
    client = client_for(Role.CONTROL_OWNER, assessment.organisation)
    data = edit(export(assessment), lambda book: book.worksheets[0].cell(2, 3, "=A1"))
    upload = SimpleUploadedFile("results.xlsx", data, content_type=xlsx.XLSX_CONTENT_TYPE)
    response = client.post(f"/api/assessment-workbooks/{assessment.pk}/import/", {"file": upload})
    assert response.status_code == 400
    assert "“C2”" in response.json()["errors"][0]["message"]
